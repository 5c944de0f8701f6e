"""Real servers on loopback for the gateway tests: the canned upstream and redis-server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from distillguard.gateway.loopback import free_port, stop, wait_for_port
from distillguard.gateway.settings import GatewaySettings

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


@pytest.fixture(scope="session")
def upstream_url() -> Iterator[str]:
    """The canned OpenAI-compatible server, in its own process."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "distillguard.gateway.canned", "--port", str(port)])
    wait_for_port(port, process)
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A fresh redis-server on loopback (installed by .ci/run)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: `apt-get install redis-server` (.ci/run does it)")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    yield f"redis://127.0.0.1:{port}/0"
    stop(process)


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
    try:
        wait_for_port(port, process, timeout_s=60)  # workers load the model; a busy machine takes its time
    except RuntimeError:
        stop(process)
        raise
    return process


def client(port: int) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
