"""Every refused request leaves a trace (event log and metrics), never the key; answers hide the upstream."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import orjson

from distillguard.gateway.loopback import free_port
from distillguard.ingest import Dataset, RejectionSink
from tests.gateway.conftest import FREE, PAYG, chat_body, settings_for
from tests.gateway.test_gateway_app import CHAT, logged, running

TRIED = [f"sk-guess-{i:08d}" for i in range(12)]  # a brute force of keys


def refusals(directory: Path) -> list[dict[str, Any]]:
    """The refusal records of the event log, read through the validator (no rejections allowed)."""
    with RejectionSink() as sink:
        rows = [r for b in Dataset(directory / "log", sink).reader("refusals") for r in b.to_pylist()]
        assert sink.total == 0
    return rows


def test_refused_requests_are_logged_and_counted_without_the_key(gateway_dir: Path, upstream_url: str) -> None:
    settings = settings_for(gateway_dir, upstream_url, max_body_bytes=2048)
    metrics = ""

    async def body() -> None:
        nonlocal metrics
        async with running(settings) as (_, http):
            assert (await http.post(CHAT, json=chat_body())).status_code == 401
            for key in TRIED:
                reply = await http.post(CHAT, json=chat_body(), headers={"authorization": f"Bearer {key}"})
                assert reply.status_code == 401
                assert reply.headers["x-request-id"].startswith("dg-")
            assert (await http.post(CHAT, content=b"{not json", headers=FREE)).status_code == 400
            assert (await http.post(CHAT, json=chat_body("x" * 5000), headers=FREE)).status_code == 413
            assert (await http.get("/v1/nothing")).status_code == 404
            assert (await http.get(CHAT)).status_code == 405
            assert (await http.post(CHAT, json=chat_body(), headers=PAYG)).status_code == 200
            metrics = (await http.get("/metrics")).text

    anyio.run(body)
    rows = refusals(gateway_dir)
    assert Counter((r["status"], r["reason"]) for r in rows) == {
        (401, "missing_api_key"): 1,
        (401, "invalid_api_key"): len(TRIED),
        (400, "invalid_json"): 1,
        (413, "body_too_large"): 1,
        (404, "unknown_url"): 1,
        (405, "method_not_allowed"): 1,
    }
    assert {r["ip"] for r in rows} == {"198.51.100.7"}  # who is trying keys
    bad_body = next(r for r in rows if r["reason"] == "invalid_json")
    assert (bad_body["account_id"], bad_body["api_key_id"], bad_body["body_bytes"]) == ("acct-free", "k-free", 9)
    assert next(r for r in rows if r["reason"] == "invalid_api_key")["account_id"] is None
    assert [r["status"] for r in logged(gateway_dir)] == [200]  # the v1 exchanges: only what reached the engine
    assert f'distillguard_refused_total{{reason="invalid_api_key",status="401"}} {float(len(TRIED))}' in metrics
    assert 'distillguard_refused_total{reason="body_too_large",status="413"} 1.0' in metrics
    written = b"".join(p.read_bytes() for p in (gateway_dir / "log").rglob("*") if p.is_file()) + metrics.encode()
    for key in TRIED:  # neither the keys tried nor their hashes are kept anywhere
        assert key.encode() not in written
        assert hashlib.sha256(key.encode()).hexdigest().encode() not in written


def test_a_flood_of_refusals_is_counted_beyond_the_logging_rate(gateway_dir: Path, upstream_url: str) -> None:
    settings = settings_for(gateway_dir, upstream_url, event_log={"max_refusals_per_second": 5})
    metrics = ""

    async def body() -> None:
        nonlocal metrics
        async with running(settings) as (_, http):
            for key in TRIED * 3:
                await http.post(CHAT, json=chat_body(), headers={"authorization": f"Bearer {key}"})
            metrics = (await http.get("/metrics")).text

    anyio.run(body)
    written = len(refusals(gateway_dir))
    assert 5 <= written < len(TRIED) * 3
    assert f'distillguard_refused_total{{reason="invalid_api_key",status="401"}} {float(len(TRIED) * 3)}' in metrics
    assert f"distillguard_refusals_unlogged_total {float(len(TRIED) * 3 - written)}" in metrics


def test_a_trailing_slash_is_an_unknown_url_not_a_redirect_naming_the_host(
    gateway_dir: Path, upstream_url: str
) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (_, http):
            for path in (CHAT + "/", "/v1/models/"):
                reply = await http.post(path, json=chat_body(), headers={"host": "attacker.example"})
                assert reply.status_code == 404
                assert "location" not in reply.headers
                assert "attacker.example" not in reply.text

    anyio.run(body)
    assert [r["reason"] for r in refusals(gateway_dir)] == ["unknown_url", "unknown_url"]


def test_upstream_failures_name_neither_the_upstream_address_nor_its_body(gateway_dir: Path, upstream_url: str) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"

    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (_, http):
            failed = await http.post(CHAT, json={**chat_body(), "model": "canned-500"}, headers=PAYG)
            assert failed.status_code == 502
            assert "canned failure" not in failed.text  # the upstream's own error message
            assert upstream_url.split("//")[1] not in failed.text
        async with running(settings_for(gateway_dir, unreachable)) as (_, http):
            for reply in (
                await http.post(CHAT, json=chat_body(), headers=PAYG),
                await http.get("/v1/models", headers=PAYG),
            ):
                assert reply.status_code == 502
                assert unreachable.split("//")[1] not in reply.text
                assert "127.0.0.1" not in reply.text
                assert reply.json()["error"]["code"] == "upstream_error"

    anyio.run(body)
    assert any("canned failure" in (r["error"] or "") for r in map(orjson.loads, read_decisions(gateway_dir)))


def read_decisions(directory: Path) -> list[bytes]:
    return [line for p in (directory / "log" / "decisions").glob("*.jsonl") for line in p.read_bytes().splitlines()]


def test_validate_reads_the_refusals_of_a_gateway_log(gateway_dir: Path, upstream_url: str) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (_, http):
            await http.post(CHAT, json=chat_body(), headers={"authorization": "Bearer sk-wrong-000000"})
            await http.post(CHAT, json=chat_body(), headers=PAYG)

    anyio.run(body)
    command = [sys.executable, "-m", "distillguard", "validate", str(gateway_dir / "log")]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split()[:3] for line in result.stdout.splitlines() if line.startswith("refusals")] == [
        ["refusals", "1", "1"]
    ]
