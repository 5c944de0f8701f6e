"""JSON Lines: every bad row is quarantined with its line, field and reason; good rows go on."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import zstandard

from distillguard.errors import FormatError
from distillguard.ingest import Dataset, RejectionSink
from tests.conftest import exchange, write_jsonl


def read_all(path: Path, tmp_path: Path) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    rejected_path = tmp_path / "rejected.jsonl"
    with RejectionSink(rejected_path) as sink:
        reader = Dataset(path, sink).reader("exchanges")
        rows = [row for batch in reader for row in batch.to_pylist()]
        assert reader.rows_in == reader.accepted + reader.rejected
    rejections = [json.loads(line) for line in rejected_path.read_text().splitlines()]
    return reader.rows_in, rows, rejections


def test_real_rows_are_all_accepted(tmp_path: Path, real_exchanges: list[dict[str, Any]]) -> None:
    path = write_jsonl(tmp_path / "exchanges.jsonl", real_exchanges)
    rows_in, rows, rejections = read_all(path, tmp_path)
    assert rows_in == len(real_exchanges) == len(rows)
    assert rejections == []
    assert rows[0]["messages"][1]["content"] == real_exchanges[0]["messages"][1]["content"]
    assert rows[0]["timestamp"].tzinfo is not None


# Each case: a change to a valid row, the field named in the rejection and the reason code.
BAD_ROWS = [
    ({"timestamp": "yesterday"}, "timestamp", "bad_timestamp"),
    ({"timestamp": "2026-02-01T10:00:00"}, "timestamp", "bad_timestamp"),  # no offset
    ({"timestamp": "2026-02-30T10:00:00Z"}, "timestamp", "bad_timestamp"),  # no such day
    ({"timestamp": 1767225600}, "timestamp", "wrong_type"),
    ({"request_id": None}, "request_id", "missing_required"),
    ({"request_id": ""}, "request_id", "empty_value"),
    ({"account_id": 42}, "account_id", "wrong_type"),
    ({"model": None}, "model", "missing_required"),
    ({"response": None}, "response", "missing_required"),
    ({"messages": []}, "messages", "empty_messages"),
    ({"messages": "hello"}, "messages", "wrong_type"),
    ({"messages": [{"role": "bot", "content": "hi"}]}, "messages", "bad_role"),
    ({"messages": [{"role": "user", "content": ["a", "b"]}]}, "messages", "wrong_type"),
    ({"input_tokens": -1}, "input_tokens", "negative_value"),
    ({"output_tokens": -20}, "output_tokens", "negative_value"),
    ({"max_tokens": True}, "max_tokens", "wrong_type"),
    ({"input_tokens": 2**70}, "input_tokens", "wrong_type"),  # beyond 64 bits: decoded as a float
    ({"temperature": -0.5}, "temperature", "bad_temperature"),
    ({"status": 42}, "status", "bad_status"),
    ({"status": 2**40}, "status", "out_of_range"),
    ({"tools": ["search", 3]}, "tools", "wrong_type"),
]


@pytest.mark.parametrize(("change", "field", "reason"), BAD_ROWS)
def test_bad_row_is_rejected_with_reason(
    tmp_path: Path, nq_questions: list[str], change: dict[str, Any], field: str, reason: str
) -> None:
    good = [exchange(i, q, "an answer") for i, q in enumerate(nq_questions[:3])]
    bad = exchange(99, nq_questions[3], "an answer", note="the bad row", **change)  # extra fields are kept in raw
    path = write_jsonl(tmp_path / "exchanges.jsonl", [good[0], bad, good[1], good[2]])
    rows_in, rows, rejections = read_all(path, tmp_path)
    assert rows_in == 4
    assert [r["request_id"] for r in rows] == ["req-000000", "req-000001", "req-000002"]
    assert len(rejections) == 1
    (rejection,) = rejections
    assert (rejection["row"], rejection["field"], rejection["reason"]) == (2, field, reason)
    assert rejection["file"] == str(path)
    assert rejection["message"]
    assert json.loads(rejection["raw"])["note"] == "the bad row"


def test_repeated_request_id_keeps_the_first(tmp_path: Path, nq_questions: list[str]) -> None:
    rows = [exchange(i, q, "a") for i, q in enumerate(nq_questions[:5])]
    rows.append(exchange(2, nq_questions[9], "later copy"))
    path = write_jsonl(tmp_path / "exchanges.jsonl", rows)
    _, accepted, rejections = read_all(path, tmp_path)
    assert len(accepted) == 5
    assert [(r["row"], r["reason"]) for r in rejections] == [(6, "duplicate_key")]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"not json at all", "invalid_json"),
        (b'["a", "list"]', "not_an_object"),
        (b'{"request_id": "\xff\xfe"}', "invalid_utf8"),
        (b'{"request_id": "x"', "invalid_json"),
    ],
)
def test_unreadable_line_is_rejected(tmp_path: Path, nq_questions: list[str], line: bytes, reason: str) -> None:
    good = json.dumps(exchange(0, nq_questions[0], "a")).encode()
    path = tmp_path / "exchanges.jsonl"
    path.write_bytes(good + b"\n\n" + line + b"\n")
    rows_in, rows, rejections = read_all(path, tmp_path)
    assert rows_in == 2  # the blank line is not a row
    assert len(rows) == 1
    assert [(r["row"], r["reason"]) for r in rejections] == [(3, reason)]


def test_rfc3339_offsets_are_normalised_to_utc(tmp_path: Path, nq_questions: list[str]) -> None:
    row = exchange(0, nq_questions[0], "a", timestamp="2026-02-01t10:30:00.123456789+05:30")
    _, rows, _ = read_all(write_jsonl(tmp_path / "exchanges.jsonl", [row]), tmp_path)
    assert rows[0]["timestamp"].isoformat() == "2026-02-01T05:00:00.123456+00:00"


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_compressed_files_read_like_plain(tmp_path: Path, real_exchanges: list[dict[str, Any]], suffix: str) -> None:
    data = "".join(json.dumps(r) + "\n" for r in real_exchanges).encode()
    packed = gzip.compress(data) if suffix == ".gz" else zstandard.ZstdCompressor().compress(data)
    path = tmp_path / f"exchanges.jsonl{suffix}"
    path.write_bytes(packed)
    rows_in, rows, _ = read_all(path, tmp_path)
    assert rows_in == len(rows) == len(real_exchanges)


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_truncated_archive_is_a_clear_error(tmp_path: Path, real_exchanges: list[dict[str, Any]], suffix: str) -> None:
    data = "".join(json.dumps(r) + "\n" for r in real_exchanges * 20).encode()
    packed = gzip.compress(data) if suffix == ".gz" else zstandard.ZstdCompressor().compress(data)
    path = tmp_path / f"exchanges.jsonl{suffix}"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(FormatError, match=r"exchanges\.jsonl.*(truncated|cut off)"):
        read_all(path, tmp_path)


def test_file_named_gz_that_is_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "exchanges.jsonl.gz"
    path.write_text('{"request_id": "plain text, not gzip"}\n')
    with pytest.raises(FormatError, match=r"exchanges\.jsonl\.gz"):
        read_all(path, tmp_path)
