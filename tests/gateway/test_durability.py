"""The event log against crashes: `kill -9` of a real `serve` loses no answered request, any journal is recovered."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from distillguard.gateway.eventlog import EventLog
from distillguard.gateway.loopback import free_port
from distillguard.gateway.settings import EventLogSettings
from distillguard.ingest import Dataset, RejectionSink
from tests.gateway.conftest import PAYG, chat_body, serve
from tests.gateway.test_gateway_app import logged
from tests.gateway.test_serve_process import CONFIG as SERVE_CONFIG

CONFIG = SERVE_CONFIG.replace("flush_seconds = 0.5\n", "flush_seconds = 0.5\nrotate_rows = 40\n")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "distillguard", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)


async def load(
    port: int, answered: list[str], *, seconds: float, process: subprocess.Popen[Any] | None, helpers: list[int]
) -> None:
    """Eight clients in a loop, one in three streamed; ``answered``: the ids of replies received whole.

    With ``process``, it is killed (``kill -9``) after ``seconds``; ``helpers``: its child processes then.
    """
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:

        async def client(start: int) -> None:
            for i in range(start, start + 100_000, 8):
                body = chat_body(f"Question number {i}: what is {i} times 7?", stream=i % 3 == 0)
                try:
                    reply = await http.post("/v1/chat/completions", json=body, headers=PAYG)
                except httpx.HTTPError:
                    return  # the server is gone: this one was never answered
                if reply.status_code == 200 and (i % 3 or reply.text.endswith("data: [DONE]\n\n")):
                    answered.append(reply.headers["x-request-id"])

        tasks = [asyncio.create_task(client(s)) for s in range(8)]
        await asyncio.sleep(seconds)
        if process is not None:
            helpers.extend(children(process.pid))  # the part finisher and multiprocessing's resource tracker
            process.send_signal(signal.SIGKILL)
        else:
            for task in tasks:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def test_kill_9_under_load_loses_no_answered_exchange_and_the_log_stays_readable(
    gateway_dir: Path, upstream_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    process = serve(gateway_dir, CONFIG, upstream_url, port)
    answered: list[str] = []
    helpers: list[int] = []
    anyio.run(lambda: load(port, answered, seconds=3.0, process=process, helpers=helpers))
    assert helpers
    assert process.wait(30) == -signal.SIGKILL
    assert len(answered) > 50
    deadline = time.monotonic() + 15
    while alive := [pid for pid in helpers if Path(f"/proc/{pid}").exists()]:  # no orphan outlives the gateway
        assert time.monotonic() < deadline, f"processes {alive} outlived the killed gateway"
        time.sleep(0.2)
    journal = gateway_dir / "log" / ".journal"
    assert list(journal.glob("exchanges.*.jsonl"))  # the crash left the part being written

    # before any restart: the log reads whole (finished parts and the journal), validate passes
    assert set(answered) <= {r["request_id"] for r in logged(gateway_dir)}
    checked = cli("validate", str(gateway_dir / "log"))
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # a journal from another host name (a replica that died, sharing the directory) is recovered too
    for path in journal.iterdir():
        host = path.name.split(".", 1)[1].split("-", 1)[0] if path.suffix == ".jsonl" else path.name.split("-", 1)[0]
        path.rename(path.with_name(path.name.replace(host, "replica_7", 1)))
    with caplog.at_level(logging.WARNING, logger="distillguard.gateway"):
        log = EventLog(EventLogSettings(directory=gateway_dir / "log"))
    assert log.recovered > 0
    assert any("left by process" in m and "of host replica_7" in m for m in caplog.messages)
    log.close()
    assert not list(journal.glob("*.jsonl"))
    rows = logged(gateway_dir)
    assert set(answered) <= {r["request_id"] for r in rows}
    assert len(rows) == len({r["request_id"] for r in rows})  # nothing twice


def test_the_log_is_scannable_while_serve_runs(gateway_dir: Path, upstream_url: str) -> None:
    port = free_port()
    process = serve(gateway_dir, CONFIG.replace("rotate_rows = 40", "rotate_rows = 100000"), upstream_url, port)
    try:
        answered: list[str] = []
        anyio.run(lambda: load(port, answered, seconds=1.5, process=None, helpers=[]))
        assert answered
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            for i in range(3):  # keys tried
                wrong = {"authorization": f"Bearer sk-tried-{i:08d}"}
                assert http.post("/v1/chat/completions", json=chat_body(), headers=wrong).status_code == 401
        assert not list((gateway_dir / "log" / "exchanges").glob("*.parquet"))  # no part finished yet
        scanned = cli("scan", str(gateway_dir / "log"), "--out", str(gateway_dir / "scan"), "--workers", "1")
        assert scanned.returncode == 0, scanned.stdout + scanned.stderr
        assert "exchanges (0 rejected)" in scanned.stdout
        assert "3 without a valid key, from 1 addresses" in scanned.stdout  # (and clients the load cut off: 499)
        summary = json.loads((gateway_dir / "scan" / "summary.json").read_text())
        assert summary["refusals"]["by_reason"]["401 invalid_api_key"] == 3
        assert summary["exchanges_accepted"] >= len(answered)
        assert summary["refusals"]["key_failures_by_address"][0]["ip"] == "127.0.0.1"
        assert cli("validate", str(gateway_dir / "log")).returncode == 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    assert set(answered) <= {r["request_id"] for r in logged(gateway_dir)}


def row(request_id: str) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "timestamp": datetime.now(UTC),
        "account_id": "a",
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "response": "hello",
    }


def test_a_journal_a_live_process_writes_is_left_alone(tmp_path: Path) -> None:
    settings = EventLogSettings(directory=tmp_path / "log")
    writer = EventLog(settings, host="a")
    writer.record(row("r-1"), {"request_id": "r-1"})
    other = EventLog(settings, host="b", pid=writer.pid + 1)  # starts beside it: recovers nothing
    assert other.recovered == 0
    assert list((tmp_path / "log" / ".journal").glob("exchanges.a-*.jsonl"))
    writer.record(row("r-2"), {"request_id": "r-2"})
    writer.close()
    other.close()
    assert sorted(r["request_id"] for r in logged(tmp_path)) == ["r-1", "r-2"]


def test_a_line_cut_short_by_a_crash_is_left_out_by_readers_and_by_recovery(tmp_path: Path) -> None:
    script = f"""
import os, datetime
from pathlib import Path
from distillguard.gateway.eventlog import EventLog
from distillguard.gateway.settings import EventLogSettings
log = EventLog(EventLogSettings(directory=Path({str(tmp_path / "log")!r})), host="elsewhere")
for i in range(3):
    row = {{"request_id": f"r-{{i}}", "timestamp": datetime.datetime.now(datetime.UTC), "account_id": "a",
           "model": "m", "messages": [{{"role": "user", "content": "hi"}}], "response": "hello"}}
    log.record(row, {{"request_id": f"r-{{i}}"}})
log.refused({{"request_id": "x-1", "timestamp": datetime.datetime.now(datetime.UTC), "status": 401,
             "reason": "invalid_api_key", "ip": "203.0.113.9"}})
os._exit(9)  # a crash: no flush, no close
"""
    assert subprocess.run([sys.executable, "-c", script], check=False).returncode == 9
    [journal] = (tmp_path / "log" / ".journal").glob("exchanges.*.jsonl")
    with journal.open("ab") as handle:
        handle.write(b'{"request_id": "r-3", "timestamp": "2026-')  # the write the kill cut short
    with RejectionSink() as sink:
        dataset = Dataset(tmp_path / "log", sink)
        assert dataset.tables == ("exchanges", "refusals")
        assert [r["request_id"] for b in dataset.reader("exchanges") for r in b.to_pylist()] == ["r-0", "r-1", "r-2"]
        assert [r["status"] for b in dataset.reader("refusals") for r in b.to_pylist()] == [401]
        assert sink.total == 0
    log = EventLog(EventLogSettings(directory=tmp_path / "log"), host="here")
    assert log.recovered == 3
    log.close()
    assert [r["request_id"] for r in logged(tmp_path)] == ["r-0", "r-1", "r-2"]
    assert not list((tmp_path / "log" / ".journal").iterdir())
    os.sync()
