"""Finding a dataset's tables, and the accounts and labels tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distillguard.errors import DatasetError
from distillguard.ingest import Dataset, RejectionSink, discover
from tests.conftest import exchange, write_jsonl


def test_directory_with_no_tables(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(DatasetError, match="no tables found"):
        discover(tmp_path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        discover(tmp_path / "absent")


def test_table_given_twice_is_ambiguous(tmp_path: Path, nq_questions: list[str]) -> None:
    write_jsonl(tmp_path / "exchanges.jsonl", [exchange(0, nq_questions[0], "a")])
    write_jsonl(tmp_path / "exchanges.jsonl.gz", [])
    with pytest.raises(DatasetError, match="more than once"):
        discover(tmp_path)


def test_empty_table_directory(tmp_path: Path) -> None:
    (tmp_path / "exchanges").mkdir()
    with pytest.raises(DatasetError, match=r"holds no \.parquet or \.jsonl files"):
        discover(tmp_path)


def test_all_three_tables(tmp_path: Path, nq_questions: list[str]) -> None:
    write_jsonl(tmp_path / "exchanges.jsonl", [exchange(i, q, "a") for i, q in enumerate(nq_questions[:5])])
    write_jsonl(
        tmp_path / "accounts.jsonl",
        [
            {"account_id": "acct-0", "tier": "research", "created_at": "2026-01-05T09:00:00Z", "country": "DE"},
            {"account_id": "acct-1", "tier": "platinum"},  # unknown tier
            {"account_id": "acct-2", "country": "Germany"},  # not alpha-2
            {"account_id": "acct-0", "tier": "free"},  # repeated
            {"account_id": "acct-3", "verified": "yes"},  # wrong type
        ],
    )
    write_jsonl(tmp_path / "labels.jsonl", [{"account_id": "acct-0", "campaign_id": None, "role": "chat_user"}])
    rejected = tmp_path / "out" / "rejected.jsonl"
    with RejectionSink(rejected) as sink:
        data = Dataset(tmp_path, sink)
        assert data.tables == ("exchanges", "accounts", "labels")
        counts = {t: sum(b.num_rows for b in data.reader(t)) for t in data.tables}
    assert counts == {"exchanges": 5, "accounts": 1, "labels": 1}
    reasons = [(r["row"], r["field"], r["reason"]) for r in map(json.loads, rejected.read_text().splitlines())]
    assert sorted(reasons) == [
        (2, "tier", "unknown_tier"),
        (3, "country", "bad_country"),
        (4, "account_id", "duplicate_key"),
        (5, "verified", "wrong_type"),
    ]


def test_configured_tiers_are_accepted(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "accounts.jsonl", [{"account_id": "a", "tier": "platinum"}])
    with RejectionSink() as sink:
        data = Dataset(tmp_path, sink, tiers=("free", "platinum"))
        assert sum(b.num_rows for b in data.reader("accounts")) == 1


def test_absent_table_is_an_error(tmp_path: Path, nq_questions: list[str]) -> None:
    write_jsonl(tmp_path / "exchanges.jsonl", [exchange(0, nq_questions[0], "a")])
    with RejectionSink() as sink, pytest.raises(DatasetError, match="no `labels` table"):
        Dataset(tmp_path, sink).reader("labels")
