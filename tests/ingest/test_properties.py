"""Properties: no input crashes the JSON Lines reader or loses a row."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from distillguard.ingest import Dataset, RejectionSink

# Pieces that make near-valid lines likelier than pure noise does.
FRAGMENTS = st.sampled_from(
    [
        b'{"request_id": "r1", "timestamp": "2026-02-01T10:00:00Z", "account_id": "a", "model": "m", '
        b'"messages": [{"role": "user", "content": "hi"}], "response": ""}',
        b'{"request_id": "r1"}',
        b"\n",
        b"\r\n",
        b"   ",
        b"{",
        b"}",
        b'"',
        b"\xff",
        b"null",
        b"[]",
        b'{"timestamp": "yesterday"}',
    ]
)
LINES = st.lists(st.one_of(FRAGMENTS, st.binary(max_size=40)), max_size=30).map(b"".join)


def non_blank_lines(data: bytes) -> int:
    return sum(1 for line in data.split(b"\n") if line.rstrip(b"\r\n").strip())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINES)
@example(b"\xc2\x85")  # U+0085 in a quarantined row once split its record in two for str.splitlines()
def test_any_bytes_end_as_rows_or_rejections(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "exchanges.jsonl"
        path.write_bytes(data)
        rejected = Path(tmp) / "rejected.jsonl"
        with RejectionSink(rejected) as sink:
            reader = Dataset(path, sink, batch_rows=1_024).reader("exchanges")
            accepted = sum(batch.num_rows for batch in reader)
        records = [json.loads(line) for line in rejected.read_text().splitlines()]
    assert accepted + len(records) == non_blank_lines(data)
    assert all(r["reason"] and r["message"] and r["row"] >= 1 for r in records)


ROW = st.fixed_dictionaries(
    {
        "request_id": st.text(min_size=1, max_size=12),
        # RFC 3339 offsets are whole minutes (historic zones with seconds are not RFC 3339); times within a
        # plausible span (years 0001 or 9999 are implausible_timestamp, tested in test_addresses_and_times.py)
        "timestamp": st.builds(
            lambda d, minutes: d.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
            st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 11, 1)),
            st.integers(min_value=-23 * 60, max_value=23 * 60),
        ),
        "account_id": st.text(min_size=1, max_size=8),
        "model": st.sampled_from(["atlas-2", "atlas-3"]),
        "messages": st.lists(
            st.fixed_dictionaries(
                {"role": st.sampled_from(["system", "user", "assistant", "tool"]), "content": st.text(max_size=30)}
            ),
            min_size=1,
            max_size=3,
        ),
        "response": st.text(max_size=30),
        "input_tokens": st.integers(min_value=0, max_value=2**40),
    }
)


@settings(max_examples=100, deadline=None)
@given(st.lists(ROW, max_size=20, unique_by=lambda r: r["request_id"]))
def test_valid_rows_are_all_accepted_in_order(rows: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "exchanges.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        with RejectionSink() as sink:
            out = [r for b in Dataset(path, sink).reader("exchanges") for r in b.to_pylist()]
            assert sink.total == 0
    assert [r["request_id"] for r in out] == [r["request_id"] for r in rows]
    assert [r["messages"] for r in out] == [r["messages"] for r in rows]
