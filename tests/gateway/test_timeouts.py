"""Slow clients against a real `distillguard serve`: headers and bodies that trickle in are cut off."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from distillguard.gateway.loopback import free_port
from distillguard.ingest import Dataset, RejectionSink
from tests.gateway.conftest import KEYS, PAYG, client, serve

TIMEOUT_S = 0.5
#: Slack for a loaded two-core machine: the cut-off must come well before the trickle would have ended.
MARGIN_S = 1.5
TRICKLE_S = 6.0  # how long the slow client would go on

CONFIG = f"""
schema_version = 1
keys_file = "keys.toml"
header_timeout_s = {TIMEOUT_S}
body_timeout_s = {TIMEOUT_S}
[event_log]
directory = "log"
"""


@pytest.fixture(scope="module")
def gateway_server(tmp_path_factory: pytest.TempPathFactory, upstream_url: str) -> Iterator[tuple[int, Path]]:
    """One gateway for the module's tests (each starts its own connections): its port and directory."""
    directory = tmp_path_factory.mktemp("slow-clients")
    (directory / "keys.toml").write_text(KEYS, encoding="utf-8")
    port = free_port()
    process = serve(directory, CONFIG, upstream_url, port)
    yield port, directory
    process.send_signal(signal.SIGTERM)
    process.wait(30)


@pytest.fixture
def gateway_port(gateway_server: tuple[int, Path]) -> int:
    return gateway_server[0]


def trickle(port: int, head: bytes, drip: bytes) -> tuple[float, bytes]:
    """Send ``head``, then ``drip`` one byte every 0.1 s; how long until the server cut us off, and what it said."""
    with socket.create_connection(("127.0.0.1", port), timeout=TRICKLE_S + 5) as sock:
        started = time.monotonic()
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        for byte in drip:
            try:
                sock.send(bytes([byte]))
            except OSError:  # reset: the server has closed
                break
            time.sleep(0.1)
            try:
                chunk = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                break
            answer += chunk
            if not chunk:  # closed
                break
        return time.monotonic() - started, answer


def test_headers_that_trickle_in_are_cut_off_with_a_408(gateway_port: int) -> None:
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
    elapsed, answer = trickle(gateway_port, head, b"X-Slow: " + b"a" * int(TRICKLE_S * 10))
    assert answer.startswith(b"HTTP/1.1 408")
    assert b'"code":"request_timeout"' in answer
    assert elapsed < TIMEOUT_S + MARGIN_S < TRICKLE_S


def test_a_connection_that_sends_nothing_is_closed(gateway_port: int) -> None:
    with socket.create_connection(("127.0.0.1", gateway_port), timeout=TRICKLE_S) as sock:
        started = time.monotonic()
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 408")
        while answer:
            answer = sock.recv(65536)  # then closed
        assert time.monotonic() - started < TIMEOUT_S + MARGIN_S


def test_a_body_that_trickles_in_is_cut_off_with_a_408(gateway_port: int) -> None:
    body = b'{"model": "canned", "messages": [{"role": "user", "content": "' + b"a" * 200 + b'"}]}'
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: {PAYG['authorization']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    elapsed, answer = trickle(gateway_port, head, body[: int(TRICKLE_S * 10)])
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"connection: close" in answer.lower()
    assert b"body did not arrive within 0.5 s" in answer
    assert elapsed < TIMEOUT_S + MARGIN_S < TRICKLE_S


def test_a_body_cut_off_is_logged_as_a_408_refusal(gateway_server: tuple[int, Path]) -> None:
    port, directory = gateway_server
    body = b'{"model": "canned", "messages": []}'
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: {PAYG['authorization']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body) + 100}\r\n\r\n"
    ).encode()
    _, answer = trickle(port, head, body)
    assert answer.startswith(b"HTTP/1.1 408")
    time.sleep(0.5)
    with RejectionSink() as sink:
        rows = [r for b in Dataset(directory / "log", sink).reader("refusals") for r in b.to_pylist()]
    assert [(r["status"], r["reason"], r["account_id"]) for r in rows if r["reason"] != "invalid_api_key"][-1:] == [
        (408, "request_timeout", "acct-payg")
    ]


def timeouts(port: int) -> dict[str, float]:
    with client(port) as http:
        lines = http.get("/metrics").text.splitlines()
    prefix = 'distillguard_client_timeouts_total{phase="'
    counted = [line[len(prefix) :].split('"}') for line in lines if line.startswith(prefix)]
    return {phase: float(value) for phase, value in counted}


def test_prompt_clients_are_served_and_timeouts_are_counted(gateway_port: int) -> None:
    before = timeouts(gateway_port)
    trickle(gateway_port, b"GET /healthz HTTP/1.1\r\n", b"Host: slow")
    with client(gateway_port) as http:
        body = {"model": "canned", "messages": [{"role": "user", "content": "hi"}]}
        assert http.post("/v1/chat/completions", json=body, headers=PAYG).status_code == 200
        assert http.post("/v1/chat/completions", json=body, headers=PAYG).status_code == 200  # kept alive
    assert timeouts(gateway_port).get("headers", 0) == before.get("headers", 0) + 1
