"""Real servers on loopback for the gateway tests: the canned upstream and redis-server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from distillguard.gateway.loopback import free_port, stop, wait_for_port
from distillguard.gateway.settings import GatewaySettings
from distillguard.gateway.state import MemoryState, RedisState, StateStore

KEYS = """
[[keys]]
id = "k-free"
account_id = "acct-free"
tier = "free"
key = "sk-free-000001"

[[keys]]
id = "k-payg"
account_id = "acct-payg"
tier = "payg"
key = "sk-payg-000001"

[[keys]]
id = "k-bad"
account_id = "acct-campaign"
tier = "payg"
key = "sk-camp-000001"
"""

FREE = {"authorization": "Bearer sk-free-000001"}
PAYG = {"authorization": "Bearer sk-payg-000001"}
CAMPAIGN = {"authorization": "Bearer sk-camp-000001"}


def listening(port: int, process: subprocess.Popen[Any], timeout_s: float = 20.0) -> None:
    """Wait for ``process`` to listen on ``port``; stopped, never left running, if it does not."""
    try:
        wait_for_port(port, process, timeout_s)
    except RuntimeError:
        stop(process)
        raise


@pytest.fixture(scope="session")
def upstream_url() -> Iterator[str]:
    """The canned OpenAI-compatible server, in its own process."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "distillguard.gateway.canned", "--port", str(port)])
    listening(port, process)
    yield f"http://127.0.0.1:{port}"
    stop(process)


#: Set by .ci/run: a missing redis-server fails the tests that need it instead of skipping them.
REQUIRE_REDIS = "DISTILLGUARD_REQUIRE_REDIS"


def redis_binary() -> str:
    """The redis-server to start; the test skips with the reason where it is absent, unless CI requires it."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is not installed (Debian package redis-server; .ci/run installs it)"
        if os.environ.get(REQUIRE_REDIS):
            pytest.fail(f"{reason}, and {REQUIRE_REDIS} is set")
        pytest.skip(reason)
    return binary


@dataclass(frozen=True)
class RedisServer:
    """A redis-server process on loopback."""

    url: str
    process: subprocess.Popen[Any]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server on loopback (installed by .ci/run)."""
    binary = redis_binary()
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*command, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    listening(port, process)
    yield RedisServer(f"redis://127.0.0.1:{port}/0", process)
    process.send_signal(signal.SIGCONT)  # a test may have frozen it
    stop(process)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of a fresh redis-server on loopback."""
    return redis_server.url


@pytest.fixture(params=["memory", "redis"])
def store_factory(request: pytest.FixtureRequest) -> Callable[[], StateStore]:
    """Each state store in turn: in memory, and in a real redis-server."""
    if request.param == "memory":
        return MemoryState
    url: str = request.getfixturevalue("redis_url")
    return lambda: RedisState(url)


@pytest.fixture
def gateway_dir(tmp_path: Path) -> Path:
    (tmp_path / "keys.toml").write_text(KEYS, encoding="utf-8")
    return tmp_path


def settings_for(directory: Path, upstream: str, **updates: Any) -> GatewaySettings:
    """Gateway settings around the test keys, logging under ``directory/log``."""
    data: dict[str, Any] = {
        "upstream": upstream,
        "keys_file": str(directory / "keys.toml"),
        "event_log": {"directory": str(directory / "log"), "flush_seconds": 0.2},
        "reload_seconds": 0.2,
    }
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return GatewaySettings.model_validate(data)


def chat_body(prompt: str = "What is the capital of France?", **extra: Any) -> dict[str, Any]:
    return {"model": "canned", "messages": [{"role": "user", "content": prompt}], **extra}


def serve(directory: Path, config: str, upstream: str, port: int, *options: str) -> subprocess.Popen[Any]:
    """``distillguard serve`` in its own process, with ``config`` written beside the keys."""
    path = directory / f"gateway-{port}.toml"
    path.write_text(config, encoding="utf-8")
    command = [sys.executable, "-m", "distillguard", "serve", "--upstream", upstream, "--config", str(path)]
    process = subprocess.Popen([*command, "--port", str(port), "--log-level", "warning", *options], env={**os.environ})
    listening(port, process, timeout_s=90)  # several workers each load the model; two shared cores are slow
    return process


def client(port: int) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
