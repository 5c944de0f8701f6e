"""The guardrail inside a real LiteLLM proxy (litellm[proxy]==1.100.0 in .venv-litellm, made by .ci/run)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.gateway.canned import SHAPES_ANSWER
from distillguard.gateway.litellm_config import guardrail_section
from distillguard.gateway.loopback import free_port, stop, wait_for_port
from tests.gateway.test_gateway_app import events, logged

ROOT = Path(__file__).resolve().parents[2]
LITELLM = ROOT / ".venv-litellm" / "bin" / "litellm"
MASTER_KEY = "sk-litellm-master-key-0123456789abcdef0123456789"

GATEWAY = """
schema_version = 1
decisions = "accounts.parquet"
reload_seconds = 0.2
[policy]
allow = "strip_reasoning"
block = "block"
[event_log]
directory = "log"
flush_seconds = 0.2
"""

LITELLM_CONFIG = """
model_list:
  - model_name: canned
    litellm_params:
      model: openai/canned
      api_base: {upstream}/v1
      api_key: none
  - model_name: canned-shapes
    litellm_params:
      model: openai/canned-shapes
      api_base: {upstream}/v1
      api_key: none
general_settings:
  master_key: {key}
"""


@pytest.fixture
def litellm_command() -> Path:
    if not LITELLM.exists():
        if os.environ.get("DISTILLGUARD_REQUIRE_LITELLM"):
            pytest.fail(f"{LITELLM} is missing: .ci/run installs it (pip install -e '.[litellm]' in .venv-litellm)")
        pytest.skip(f"{LITELLM} is absent: make it with python3 -m venv .venv-litellm && pip install -e '.[litellm]'")
    return LITELLM


def block(path: Path, account: str) -> None:
    table = pa.table(
        {
            "account_id": [account],
            "risk": [0.99],
            "verdict": ["block"],
            "campaign_id": ["c-litellm"],
            "reasons": [["shares a payment fingerprint with 30 accounts"]],
        }
    )
    pq.write_table(table, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)


def test_guardrail_strips_blocks_and_logs_inside_a_real_litellm_proxy(
    tmp_path: Path, upstream_url: str, litellm_command: Path
) -> None:
    (tmp_path / "gateway.toml").write_text(GATEWAY)
    config = LITELLM_CONFIG.format(upstream=upstream_url, key=MASTER_KEY) + guardrail_section(tmp_path / "gateway.toml")
    (tmp_path / "litellm.yaml").write_text(config)
    port = free_port()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
    command = [str(litellm_command), "--config", str(tmp_path / "litellm.yaml"), "--port", str(port)]
    process = subprocess.Popen([*command, "--num_workers", "1"], env=env, cwd=tmp_path)
    try:
        wait_for_port(port, process, timeout_s=180)
        headers = {"authorization": f"Bearer {MASTER_KEY}"}
        body: dict[str, Any] = {"model": "canned", "messages": [{"role": "user", "content": "Capital of France?"}]}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as http:
            whole = http.post("/v1/chat/completions", json=body)
            assert whole.status_code == 200, whole.text
            message = whole.json()["choices"][0]["message"]
            assert message["content"] == "The capital of France is Paris."
            assert not message.get("reasoning_content")
            streamed = http.post("/v1/chat/completions", json={**body, "stream": True})
            chunks = [c for c in events(streamed.text) if c != "[DONE]"]
            text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
            assert text == "The capital of France is Paris."
            assert "reasoning_content" not in streamed.text or '"reasoning_content":null' in streamed.text
            shapes = {**body, "model": "canned-shapes"}  # every shape of reasoning, through LiteLLM's own parsing
            whole = http.post("/v1/chat/completions", json=shapes)
            assert whole.status_code == 200, whole.text
            assert "SECRET" not in whole.text
            assert whole.json()["choices"][0]["message"]["content"] == SHAPES_ANSWER
            streamed = http.post("/v1/chat/completions", json={**shapes, "stream": True})
            assert "SECRET" not in streamed.text
            chunks = [c for c in events(streamed.text) if c != "[DONE]"]
            assert (
                "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == SHAPES_ANSWER
            )
            deadline = time.monotonic() + 10
            decisions = tmp_path / "log" / "decisions"
            while not list(decisions.glob("*.jsonl")) and not list((tmp_path / "log" / ".journal").glob("decisions.*")):
                assert time.monotonic() < deadline, "the guardrail wrote no decision"
                time.sleep(0.1)
            journal = [*decisions.glob("*.jsonl"), *(tmp_path / "log" / ".journal").glob("decisions.*")]
            account = orjson.loads(journal[0].read_bytes().splitlines()[0])["account_id"]
            block(tmp_path / "accounts.parquet", account)
            deadline = time.monotonic() + 15
            while (refused := http.post("/v1/chat/completions", json=body)).status_code == 200:
                assert time.monotonic() < deadline, "the block was never enforced"
                time.sleep(0.2)
            assert refused.status_code == 403
            assert "blocked" in refused.text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            stop(process)
    rows = logged(tmp_path)
    assert {r["status"] for r in rows} >= {200, 403}
    ok = [r for r in rows if r["status"] == 200]
    assert ok[0]["response"] == "The capital of France is Paris."
    assert ok[0]["reasoning"] is None
    assert ok[0]["messages"] == [{"role": "user", "content": "Capital of France?"}]
