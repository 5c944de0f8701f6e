"""LiteLLM spend logs and OpenAI request/response pairs onto v1."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from distillguard.config import LiteLLMSettings
from distillguard.ingest import RejectionSink, TableReader
from distillguard.ingest.litellm import read_spend_logs
from distillguard.ingest.openai_pairs import read_openai_pairs


def spend_log(index: int, question: str, answer: str, **extra: Any) -> dict[str, Any]:
    """A SpendLogs row as LiteLLM's proxy writes it with store_prompts_in_spend_logs on."""
    row: dict[str, Any] = {
        "request_id": f"chatcmpl-{index:04d}",
        "call_type": "acompletion",
        "api_key": f"88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4{index % 3}",
        "spend": 0.00012,
        "total_tokens": 60,
        "prompt_tokens": 21,
        "completion_tokens": 39,
        "startTime": f"2026-03-0{1 + index % 9} 08:1{index % 10}:00.250",  # Postgres timestamp(3), UTC, no offset
        "endTime": "2026-03-01 08:10:02.000",
        "model": "atlas-2-pro",
        "model_group": "atlas",
        "user": f"team-user-{index % 4}",
        "team_id": "team-blue",
        "end_user": f"customer-{index}",
        "requester_ip_address": "198.51.100.7",
        "status": "success",
        "metadata": {"user_api_key_org_id": "org-9", "headers": {"user-agent": "OpenAI/Python 1.51.0"}},
        "messages": [{"role": "user", "content": [{"type": "text", "text": question}]}],
        "response": {
            "id": f"chatcmpl-{index:04d}",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer, "reasoning_content": "hmm"}}],
        },
        "proxy_server_request": {"model": "atlas", "temperature": 0.2, "max_tokens": 256, "tools": []},
    }
    row.update(extra)
    return row


def collect(candidates: Any, sink: RejectionSink) -> list[dict[str, Any]]:
    return [r for b in TableReader("exchanges", candidates, sink) for r in b.to_pylist()]


def test_litellm_jsonl(tmp_path: Path, gsm8k_items: list[dict[str, str]]) -> None:
    rows = [spend_log(i, item["question"], item["answer"]) for i, item in enumerate(gsm8k_items[:10])]
    rows.append(spend_log(10, "q", "a", messages=None, proxy_server_request=None))  # prompts not stored
    rows.append(spend_log(11, "q", "a", user="", team_id="", api_key=""))
    path = tmp_path / "spend_logs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with RejectionSink() as sink:
        out = collect(read_spend_logs(path, sink, 1024, LiteLLMSettings()), sink)
        assert sorted(sink.counts) == [
            ("exchanges", "account_id", "missing_required"),
            ("exchanges", "messages", "missing_required"),
        ]
    first = out[0]
    assert first["account_id"] == "team-user-0"
    assert first["messages"] == [{"role": "user", "content": gsm8k_items[0]["question"]}]
    assert first["response"] == gsm8k_items[0]["answer"]
    assert first["reasoning"] == "hmm"
    assert first["timestamp"].isoformat() == "2026-03-01T08:10:00.250000+00:00"
    assert (first["input_tokens"], first["output_tokens"], first["status"]) == (21, 39, 200)
    assert (first["temperature"], first["max_tokens"]) == (0.2, 256)
    assert (first["ip"], first["user_agent"], first["org_id"]) == ("198.51.100.7", "OpenAI/Python 1.51.0", "org-9")


@pytest.mark.parametrize("field", ["user", "team_id", "api_key"])
def test_litellm_account_field_setting(tmp_path: Path, field: str) -> None:
    path = tmp_path / "spend_logs.jsonl"
    row = spend_log(0, "What is 2+2?", "4")
    path.write_text(json.dumps(row) + "\n")
    with RejectionSink() as sink:
        setting = LiteLLMSettings(account_field=field)
        (out,) = collect(read_spend_logs(path, sink, 1024, setting), sink)
    assert out["account_id"] == row[field]


def test_litellm_csv_export(tmp_path: Path, nq_questions: list[str]) -> None:
    rows = [spend_log(i, q, "an answer\nover two lines") for i, q in enumerate(nq_questions[:6])]
    path = tmp_path / "LiteLLM_SpendLogs.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()})
    with RejectionSink() as sink:
        out = collect(read_spend_logs(path, sink, 1024, LiteLLMSettings()), sink)
        assert sink.total == 0
    assert [r["messages"][0]["content"] for r in out] == nq_questions[:6]
    assert out[0]["response"] == "an answer\nover two lines"
    assert out[0]["input_tokens"] == 21


def pair(index: int, question: str, answer: str, **extra: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "request": {
            "model": "atlas-2-pro",
            "messages": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": question}],
            "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}],
            "temperature": 0,
            "max_completion_tokens": 512,
            "user": "end-user-42",
        },
        "response": {
            "id": f"chatcmpl-{index}",
            "created": 1772000000 + index,
            "model": "atlas-2-pro-2026-02",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42},
        },
    }
    line.update(extra)
    return line


def test_openai_pairs(tmp_path: Path, nq_questions: list[str]) -> None:
    lines = [pair(i, q, "answer") for i, q in enumerate(nq_questions[:5])]
    lines.append(pair(5, "q", "a", account_id="acct-explicit", ip="192.0.2.1"))
    batch_api = pair(6, "q", "a")
    batch_api["custom_id"] = "task-6"
    batch_api["response"] = {"status_code": 200, "request_id": "x", "body": batch_api["response"]}
    lines.append(batch_api)
    lines.append({"response": {}})  # no request body
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with RejectionSink() as sink:
        out = collect(read_openai_pairs(path, sink, 1024, "acct-default"), sink)
        assert list(sink.counts) == [("exchanges", "request", "missing_required")]
    first = out[0]
    assert first["messages"][0] == {"role": "system", "content": "Be brief."}
    assert first["messages"][1]["content"] == nq_questions[0]
    assert (first["account_id"], first["end_user"], first["tools"]) == ("acct-default", "end-user-42", ["get_weather"])
    assert (first["max_tokens"], first["temperature"], first["status"]) == (512, 0.0, 200)
    assert first["timestamp"].timestamp() == 1772000000
    assert (out[5]["account_id"], out[5]["ip"]) == ("acct-explicit", "192.0.2.1")
    assert out[6]["request_id"] == "task-6"


def test_openai_pairs_without_account(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps(pair(0, "q", "a")) + "\n")
    with RejectionSink() as sink:
        assert collect(read_openai_pairs(path, sink, 1024, None), sink) == []
        assert list(sink.counts) == [("exchanges", "account_id", "missing_required")]
