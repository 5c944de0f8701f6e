"""Shared fixtures: real text from ../shared/data and small v1 rows built from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "corpora"


def corpus_path(name: str) -> Path:
    """The path of one corpus file, skipping the test where ../shared/data is absent."""
    path = CORPORA / name
    if not path.exists():
        pytest.skip(f"{path} is absent: these tests need the shared corpora beside the project")
    return path


@pytest.fixture(scope="session")
def nq_questions() -> list[str]:
    """Real search questions (Natural Questions open dev set)."""
    lines = corpus_path("users_nq_open_dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:200]]


@pytest.fixture(scope="session")
def gsm8k_items() -> list[dict[str, str]]:
    """Real grade-school maths problems with their worked solutions."""
    lines = corpus_path("sweep_gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:200]]


def exchange(index: int, prompt: str, answer: str, **extra: Any) -> dict[str, Any]:
    """A valid v1 exchange (JSON shapes) around one real prompt and answer."""
    row: dict[str, Any] = {
        "request_id": f"req-{index:06d}",
        "timestamp": f"2026-02-{1 + index % 28:02d}T{index % 24:02d}:{index % 60:02d}:07.123456+00:00",
        "account_id": f"acct-{index % 7}",
        "model": "atlas-2-pro",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": prompt},
        ],
        "response": answer,
        "input_tokens": len(prompt.split()),
        "output_tokens": len(answer.split()),
        "temperature": 0.7,
        "max_tokens": 1024,
        "status": 200,
        "ip": f"203.0.113.{index % 250}",
        "user_agent": "python-httpx/0.27",
        "surface": "api",
    }
    row.update(extra)
    return row


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``rows`` as JSON Lines, making the directory as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def real_exchanges(gsm8k_items: list[dict[str, str]], nq_questions: list[str]) -> list[dict[str, Any]]:
    """Fifty valid exchanges: GSM8K problems with solutions, NQ questions with short answers."""
    rows = [exchange(i, item["question"], item["answer"]) for i, item in enumerate(gsm8k_items[:25])]
    rows += [exchange(25 + i, q, "I believe the answer is on record.") for i, q in enumerate(nq_questions[:25])]
    return rows
