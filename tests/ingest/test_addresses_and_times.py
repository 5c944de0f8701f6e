"""Values an attacker or a broken clock controls: client addresses, implausible times, huge bad rows."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from distillguard.cli import EXIT_REJECTED, main
from distillguard.ingest import Dataset, RejectionSink
from distillguard.ingest.rejections import RAW_KEPT
from distillguard.schema import arrow_schema
from tests.conftest import exchange, write_jsonl


def read(path: Path, tmp_path: Path, table: str = "exchanges", **rules: Any) -> tuple[list[Any], list[Any]]:
    rejected = tmp_path / "rejected.jsonl"
    with RejectionSink(rejected) as sink:
        rows = [r for b in Dataset(path, sink, **rules).reader(table) for r in b.to_pylist()]  # type: ignore[arg-type]
    return rows, [json.loads(line) for line in rejected.read_text().splitlines()]


GOOD_ADDRESSES = ["203.0.113.5", "2001:db8::1", "2001:DB8:0:0:0:0:0:1", "::ffff:192.0.2.1", "fe80::1%eth0", "::"]
BAD_ADDRESSES = ["not-an-ip", "1" * 5000, "999.1.1.1", "01.2.3.4", "203.0.113.5 ", "203.0.113", "2001:db8::1::2", ""]


def parquet_with(tmp_path: Path, name: str, values: list[Any]) -> Path:
    """A Parquet exchanges table of valid rows whose column ``name`` holds ``values``."""
    rows = [exchange(i, "What is 2 + 2?", "4") for i in range(len(values))]
    with RejectionSink() as sink:
        reader = Dataset(write_jsonl(tmp_path / "src" / "exchanges.jsonl", rows), sink).reader("exchanges")
        table = pa.Table.from_batches(list(reader), arrow_schema("exchanges"))
    at = table.schema.get_field_index(name)
    table = table.set_column(at, name, pa.array(values, table.schema.field(name).type))
    path = tmp_path / "pq" / "exchanges.parquet"
    path.parent.mkdir()
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_validate_rejects_a_malformed_ip_whatever_the_format(tmp_path: Path, fmt: str) -> None:
    addresses = GOOD_ADDRESSES + BAD_ADDRESSES
    if fmt == "parquet":
        source = parquet_with(tmp_path, "ip", addresses)
    else:
        rows = [exchange(i, "What is 2 + 2?", "4", ip=ip) for i, ip in enumerate(addresses)]
        source = write_jsonl(tmp_path / "src" / "exchanges.jsonl", rows)
    accepted, rejected = read(source, tmp_path)
    assert sorted(r["ip"] for r in accepted) == sorted(GOOD_ADDRESSES)
    assert [(r["field"], r["reason"]) for r in rejected] == [("ip", "bad_ip")] * len(BAD_ADDRESSES)
    longest = next(r for r in rejected if "5,000 characters" in r["message"])
    assert len(longest["message"]) < 200  # the message names the value, cut to a readable length


def test_an_accounts_signup_ip_is_checked_too(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "accounts.jsonl",
        [{"account_id": "a", "signup_ip": "10.0.0.1"}, {"account_id": "b", "signup_ip": "localhost"}],
    )
    accepted, rejected = read(tmp_path, tmp_path, "accounts")
    assert [r["account_id"] for r in accepted] == ["a"]
    assert [(r["row"], r["field"], r["reason"]) for r in rejected] == [(2, "signup_ip", "bad_ip")]


def dataset_around(tmp_path: Path, *odd: str) -> Path:
    rows = [exchange(i, f"What is {i} times 3?", str(3 * i)) for i in range(30)]  # February 2026
    rows += [exchange(100 + i, "What is 1 + 1?", "2", timestamp=t) for i, t in enumerate(odd)]
    return write_jsonl(tmp_path / "data" / "exchanges.jsonl", rows)


def test_years_0001_and_9999_are_implausible(tmp_path: Path) -> None:
    path = dataset_around(tmp_path, "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1999-12-31T23:59:59Z")
    accepted, rejected = read(path, tmp_path)
    assert len(accepted) == 30
    assert [(r["field"], r["reason"]) for r in rejected] == [("timestamp", "implausible_timestamp")] * 3
    assert "before 2000-01-01" in rejected[0]["message"]
    assert "after this machine's clock" in rejected[1]["message"]


def test_a_time_far_from_the_rest_of_the_dataset_is_implausible(tmp_path: Path) -> None:
    path = dataset_around(tmp_path, "2016-03-01T00:00:00Z", "2025-06-01T00:00:00Z")
    accepted, rejected = read(path, tmp_path)
    assert len(accepted) == 31  # 2025 is within three years of February 2026
    [row] = rejected
    assert row["reason"] == "implausible_timestamp"
    assert "from the middle of the dataset's first rows (2026-02-" in row["message"]
    accepted, rejected = read(path, tmp_path, spread_days=100)  # ingest.timestamp_spread_days
    assert len(rejected) == 2


def test_an_offset_that_pushes_a_time_out_of_range_is_a_bad_timestamp(tmp_path: Path) -> None:
    path = dataset_around(tmp_path, "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")
    _, rejected = read(path, tmp_path)
    assert [r["reason"] for r in rejected] == ["bad_timestamp", "bad_timestamp"]


@settings(max_examples=60, deadline=None)
@given(moment=st.datetimes(), minutes=st.integers(-23 * 60, 23 * 60))
def test_no_time_crashes_the_reader(tmp_path_factory: pytest.TempPathFactory, moment: datetime, minutes: int) -> None:
    tmp_path = tmp_path_factory.mktemp("times")
    text = moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat()
    accepted, rejected = read(dataset_around(tmp_path, text), tmp_path)
    assert len(accepted) + len(rejected) == 31
    assert {r["reason"] for r in rejected} <= {"bad_timestamp", "implausible_timestamp"}


def test_validate_rejects_implausible_times_and_scan_leaves_them_out(tmp_path: Path) -> None:
    dataset_around(tmp_path, "9999-12-31T23:59:59Z")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "data")])
    assert result.exit_code == EXIT_REJECTED
    assert "implausible_timestamp" in result.output


def test_a_huge_bad_line_is_cut_in_rejected_jsonl_with_its_size(tmp_path: Path) -> None:
    huge = json.dumps({**exchange(1, "q", "a"), "status": "x" * 3_000_000})
    path = tmp_path / "exchanges.jsonl"
    path.write_text(json.dumps(exchange(0, "q", "a")) + "\n" + huge + "\n" + "{" * 100_000 + "\n")
    _, rejected = read(path, tmp_path)
    assert [r["reason"] for r in rejected] == ["wrong_type", "invalid_json"]
    for record, size in zip(rejected, (len(huge), 100_000), strict=True):
        assert record["raw_truncated"] is True
        assert record["raw_bytes"] == size
        assert len(record["raw"]) == RAW_KEPT
    assert (tmp_path / "rejected.jsonl").stat().st_size < 4 * RAW_KEPT


def test_a_huge_bad_parquet_row_is_cut_too(tmp_path: Path) -> None:
    _, [record] = read(parquet_with(tmp_path, "ip", ["x" * 100_000]), tmp_path)
    assert record["reason"] == "bad_ip"
    assert record["raw_truncated"] is True
    assert record["raw_bytes"] > 100_000
    assert isinstance(record["raw"], str)
