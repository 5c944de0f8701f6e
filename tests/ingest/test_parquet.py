"""Parquet: files, part directories, hive partitions, casts, schema errors, lossless round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.errors import FormatError, SchemaError
from distillguard.ingest import Dataset, RejectionSink, write_jsonl, write_parquet
from distillguard.schema import arrow_schema
from tests.conftest import exchange
from tests.conftest import write_jsonl as write_rows


def v1_table(rows: list[dict[str, Any]], tmp_path: Path) -> pa.Table:
    """Rows (JSON shapes) read through the JSON Lines reader into a canonical table."""
    path = write_rows(tmp_path / "src" / "exchanges.jsonl", rows)
    with RejectionSink() as sink:
        return pa.Table.from_batches(list(Dataset(path, sink).reader("exchanges")), arrow_schema("exchanges"))


def read_table(path: Path) -> tuple[pa.Table, RejectionSink]:
    sink = RejectionSink()
    data = Dataset(path, sink)
    return pa.Table.from_batches(list(data.reader("exchanges")), arrow_schema("exchanges")), sink


def test_round_trip_jsonl_parquet_jsonl_is_lossless(tmp_path: Path, real_exchanges: list[dict[str, Any]]) -> None:
    rows = [dict(r, tools=["calculator"], reasoning="step 1", end_user=None) for r in real_exchanges]
    original = v1_table(rows, tmp_path)
    write_parquet(original.to_batches(), tmp_path / "a" / "exchanges.parquet", "exchanges")
    via_parquet, _ = read_table(tmp_path / "a")
    assert via_parquet.equals(original)
    write_jsonl(via_parquet.to_batches(), tmp_path / "b" / "exchanges.jsonl.zst")
    via_jsonl, sink = read_table(tmp_path / "b")
    assert sink.total == 0
    assert via_jsonl.equals(original)


def test_directory_of_parts_and_hive_partitions(tmp_path: Path, real_exchanges: list[dict[str, Any]]) -> None:
    table = v1_table(real_exchanges, tmp_path)
    root = tmp_path / "ds" / "exchanges"
    halves = {"atlas-2-pro": table.slice(0, 20), "atlas-3": table.slice(20)}
    for model, part in halves.items():
        directory = root / f"model={model}"
        directory.mkdir(parents=True)
        pq.write_table(part.drop_columns(["model"]), directory / "part-0.parquet")
    (root / "_SUCCESS").write_text("")
    result, sink = read_table(tmp_path / "ds")
    assert sink.total == 0
    assert result.num_rows == table.num_rows
    assert result.column("model").to_pylist() == ["atlas-2-pro"] * 20 + ["atlas-3"] * (table.num_rows - 20)


def test_narrower_and_wider_types_are_cast(tmp_path: Path, real_exchanges: list[dict[str, Any]]) -> None:
    table = v1_table(real_exchanges, tmp_path)
    other = table.set_column(
        table.schema.get_field_index("request_id"), "request_id", table.column("request_id").cast(pa.large_string())
    )
    other = other.set_column(other.schema.get_field_index("status"), "status", other.column("status").cast(pa.int16()))
    other = other.set_column(
        other.schema.get_field_index("timestamp"),
        "timestamp",
        other.column("timestamp").cast(pa.timestamp("ns", tz="Europe/Paris")),
    )
    pq.write_table(other, tmp_path / "exchanges.parquet")
    result, _ = read_table(tmp_path / "exchanges.parquet")
    assert result.equals(table)


def test_bad_rows_in_parquet_are_quarantined_with_row_numbers(
    tmp_path: Path, real_exchanges: list[dict[str, Any]]
) -> None:
    table = v1_table(real_exchanges, tmp_path)
    tokens = table.column("output_tokens").to_pylist()
    tokens[7] = -3
    ids = table.column("request_id").to_pylist()
    ids[30] = ids[2]
    table = table.set_column(table.schema.get_field_index("output_tokens"), "output_tokens", pa.array(tokens))
    table = table.set_column(table.schema.get_field_index("request_id"), "request_id", pa.array(ids))
    pq.write_table(table, tmp_path / "exchanges.parquet")
    result, sink = read_table(tmp_path / "exchanges.parquet")
    assert result.num_rows == table.num_rows - 2
    assert sorted(sink.counts.items()) == [
        (("exchanges", "output_tokens", "negative_value"), 1),
        (("exchanges", "request_id", "duplicate_key"), 1),
    ]


@pytest.mark.parametrize(
    ("column", "values", "match"),
    [
        ("timestamp", pa.array(["2026-02-01T00:00:00Z"]), "`timestamp` has type string"),
        ("timestamp", pa.array([0], pa.timestamp("us")), "time zone"),
        ("input_tokens", pa.array(["12"]), "`input_tokens` has type string"),
    ],
)
def test_wrong_schema_names_file_and_field(
    tmp_path: Path, nq_questions: list[str], column: str, values: pa.Array, match: str
) -> None:
    table = v1_table([exchange(0, nq_questions[0], "a")], tmp_path)
    table = table.set_column(table.schema.get_field_index(column), column, values)
    pq.write_table(table, tmp_path / "exchanges.parquet")
    with pytest.raises(SchemaError, match=match) as caught:
        read_table(tmp_path / "exchanges.parquet")
    assert "exchanges.parquet" in str(caught.value)


def test_missing_required_column(tmp_path: Path, nq_questions: list[str]) -> None:
    table = v1_table([exchange(0, nq_questions[0], "a")], tmp_path).drop_columns(["account_id"])
    pq.write_table(table, tmp_path / "exchanges.parquet")
    with pytest.raises(SchemaError, match="required field `account_id` is missing"):
        read_table(tmp_path / "exchanges.parquet")


def test_file_that_is_not_parquet(tmp_path: Path) -> None:
    (tmp_path / "exchanges.parquet").write_text("request_id,timestamp\n")
    with pytest.raises(FormatError, match=r"exchanges\.parquet: not a readable Parquet file"):
        read_table(tmp_path / "exchanges.parquet")
