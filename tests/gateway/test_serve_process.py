"""`distillguard serve` as a real process: SIGTERM under load loses nothing; a crash leaves a journal to recover."""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import orjson
import pyarrow.parquet as pq
import pytest

from distillguard.gateway import eventlog
from distillguard.gateway.eventlog import EventLog
from distillguard.gateway.loopback import free_port
from distillguard.gateway.settings import EventLogSettings
from tests.gateway.conftest import PAYG, chat_body, serve
from tests.gateway.test_gateway_app import logged

CONFIG = """
schema_version = 1
keys_file = "keys.toml"
[event_log]
directory = "log"
flush_seconds = 0.5
[tiers.payg]
requests_per_minute = 100000
tokens_per_minute = 100000000
"""


def test_sigterm_under_load_loses_no_exchange(gateway_dir: Path, upstream_url: str) -> None:
    port = free_port()
    process = serve(gateway_dir, CONFIG, upstream_url, port)
    answered: list[str] = []

    async def load() -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:

            async def one(i: int) -> None:
                body = chat_body(f"Question number {i}: what is {i} times 7?", stream=i % 3 == 0)
                try:
                    reply = await http.post("/v1/chat/completions", json=body, headers=PAYG)
                except httpx.TransportError:
                    return  # refused once the server stopped accepting
                if reply.status_code == 200:
                    answered.append(reply.headers["x-request-id"])

            async def stream(start: int) -> None:
                for i in range(start, start + 10_000, 8):
                    await one(i)
                    if process.poll() is not None:
                        return

            tasks = [asyncio.create_task(stream(s)) for s in range(8)]
            deadline = time.monotonic() + 60
            while len(answered) < 100:  # under load: a hundred answered, more in flight
                assert time.monotonic() < deadline, "the gateway answered too few requests"
                await asyncio.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            await asyncio.gather(*tasks)

    anyio.run(load)
    assert process.wait(30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a clean shutdown
    assert len(answered) >= 100
    rows = logged(gateway_dir)
    logged_ids = {r["request_id"] for r in rows}
    assert set(answered) <= logged_ids
    assert not list((gateway_dir / "log" / ".journal").glob("*.jsonl"))  # every journal finished


def test_a_killed_gateways_journal_is_recovered_at_the_next_start(tmp_path: Path) -> None:
    settings = EventLogSettings(directory=tmp_path / "log", flush_seconds=0.1)
    script = f"""
import os, datetime
from pathlib import Path
from distillguard.gateway import eventlog
from distillguard.gateway.eventlog import EventLog
from distillguard.gateway.settings import EventLogSettings
log = EventLog(EventLogSettings(directory=Path({str(settings.directory)!r})))
row = {{"request_id": "r-1", "timestamp": datetime.datetime.now(datetime.UTC), "account_id": "a", "model": "m",
       "messages": [{{"role": "user", "content": "hi"}}], "response": "hello"}}
log.record(row, {{"request_id": "r-1"}})
log.flush()
os._exit(9)  # a crash: no close, no rotation
"""
    crashed = subprocess.run([sys.executable, "-c", script], check=False)
    assert crashed.returncode == 9
    assert len(list((settings.directory / ".journal").glob("exchanges.*.jsonl"))) == 1
    log = EventLog(settings)
    assert log.recovered == 1
    assert not list((settings.directory / ".journal").glob("*.jsonl"))
    assert [r["request_id"] for r in logged(tmp_path)] == ["r-1"]
    log.close()


def serve_once(config: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "distillguard", "serve", "--config", str(config), *options]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("schema_version = 1\nupstream = 'http://127.0.0.1:9'\n", "set keys_file (TOML) or keys_database"),
        ("schema_version = 1\n[policy]\nblock = 'explode'\n", "policy.block = 'explode'"),
        ("schema_version = 1\nkeys_file = 'keys.toml'\n", "no upstream"),
    ],
)
def test_serve_refuses_a_bad_config_naming_what_is_wrong(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "keys.toml").write_text("")
    (tmp_path / "g.toml").write_text(config)
    result = serve_once(tmp_path / "g.toml")
    assert result.returncode == 2
    assert message in result.stderr


def test_parts_rotate_in_the_finisher_process_and_close_waits_for_them(tmp_path: Path) -> None:
    settings = EventLogSettings(directory=tmp_path / "log", rotate_rows=3)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as finisher:
        log = EventLog(settings, finisher=finisher)
        for i in range(7):
            row = {
                "request_id": f"r-{i}",
                "timestamp": datetime.now(UTC),
                "account_id": "a",
                "model": "m",
                "messages": [{"role": "user", "content": f"q{i}"}],
                "response": "",
            }
            log.record(row, {"request_id": f"r-{i}"})
            log.flush()
        log.close()
    assert log.written == 7
    assert len(list((tmp_path / "log" / "exchanges").glob("*.parquet"))) == 3  # 3 + 3 by rotation, 1 at close
    assert sorted(r["request_id"] for r in logged(tmp_path)) == [f"r-{i}" for i in range(7)]
    assert not list((tmp_path / "log" / ".journal").iterdir())


def test_jsonl_parts_are_a_v1_dataset_that_scan_reads(tmp_path: Path) -> None:
    settings = EventLogSettings(directory=tmp_path / "log", format="jsonl", rotate_rows=50)
    log = EventLog(settings)
    for i in range(120):
        row = {
            "request_id": f"r-{i}",
            "timestamp": datetime(2026, 11, 1, 12, i % 60, tzinfo=UTC),
            "account_id": f"acct-{i % 4}",
            "model": "m",
            "messages": [{"role": "user", "content": f"What is {i} times 3?"}],
            "response": str(3 * i),
            "status": 200,
        }
        log.record(row, {"request_id": f"r-{i}"})
        log.flush()
    log.close()
    assert len(list((tmp_path / "log" / "exchanges").glob("part-*.jsonl"))) == 3
    assert len(logged(tmp_path)) == 120
    command = [sys.executable, "-m", "distillguard", "scan", str(tmp_path / "log"), "--out", str(tmp_path / "scan")]
    subprocess.run([*command, "--workers", "1"], check=True, capture_output=True, timeout=300)
    accounts = pq.read_table(tmp_path / "scan" / "accounts.parquet")
    assert sorted(accounts.column("account_id").to_pylist()) == [f"acct-{i}" for i in range(4)]


def test_a_failed_write_keeps_the_records_for_the_next_flush(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = EventLog(EventLogSettings(directory=tmp_path / "log"))
    row = {
        "request_id": "r-1",
        "timestamp": datetime.now(UTC),
        "account_id": "a",
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "response": "",
    }

    def disk_full(fd: int, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(eventlog, "_write_all", disk_full)
        log.record(row, {"request_id": "r-1"})  # the request is not failed for it
        assert log.pending == 1
        with pytest.raises(OSError, match="No space left"):
            log.flush()  # retried, failing again
    assert log.pending == 1
    log.close()
    assert log.pending == 0
    assert [r["request_id"] for r in logged(tmp_path)] == ["r-1"]


async def raw_chat(port: int, body: dict[str, Any]) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A chat request sent on a bare connection, which the caller can drop whenever it likes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    content = orjson.dumps(body)
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: {PAYG['authorization']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(content)}\r\n\r\n"
    )
    writer.write(head.encode() + content)
    await writer.drain()
    return reader, writer


@pytest.mark.parametrize("stream", [True, False])
def test_a_client_leaving_before_its_answer_is_logged_as_499(
    gateway_dir: Path, upstream_url: str, stream: bool
) -> None:
    port = free_port()
    process = serve(gateway_dir, CONFIG, upstream_url, port)

    async def leave_early() -> None:
        if stream:
            reader, writer = await raw_chat(port, {**chat_body(stream=True), "model": "canned-trickle"})
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
            await reader.readuntil(b"\n\n")  # the first event, then away
        else:
            _, writer = await raw_chat(port, {**chat_body(), "model": "canned-slow-3"})
            await asyncio.sleep(0.5)  # the upstream is still thinking: away
        writer.close()
        await writer.wait_closed()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            deadline = time.monotonic() + 30
            while 'status="499"' not in (await http.get("/metrics")).text:  # the gateway saw it leave
                assert time.monotonic() < deadline, "the departure was never recorded"
                await asyncio.sleep(0.05)

    try:
        anyio.run(leave_early)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    [row] = logged(gateway_dir)
    assert row["status"] == 499


def test_serve_with_two_workers_on_redis_enforces_the_tier_and_logs_all(
    gateway_dir: Path, upstream_url: str, redis_url: str
) -> None:
    config = CONFIG.replace("schema_version = 1\n", f'schema_version = 1\nstate = "{redis_url}"\n')
    config = config.replace("requests_per_minute = 100000", "requests_per_minute = 10")
    port = free_port()
    process = serve(gateway_dir, config, upstream_url, port, "--workers", "2")
    statuses: list[int] = []

    async def burst() -> None:
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits) as http:
            replies = await asyncio.gather(
                *(http.post("/v1/chat/completions", json=chat_body(f"Question {i}?"), headers=PAYG) for i in range(40))
            )
            statuses.extend(r.status_code for r in replies)

    try:
        anyio.run(burst)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    assert statuses.count(200) == 10
    assert statuses.count(429) == 30
    assert sorted(r["status"] for r in logged(gateway_dir)) == [200] * 10 + [429] * 30


def test_workers_without_shared_state_are_refused(tmp_path: Path) -> None:
    (tmp_path / "keys.toml").write_text("")
    (tmp_path / "g.toml").write_text("schema_version = 1\nkeys_file = 'keys.toml'\nupstream = 'http://127.0.0.1:9'\n")
    result = serve_once(tmp_path / "g.toml", "--workers", "2")
    assert result.returncode == 2
    assert "needs state shared by the worker processes" in result.stderr
