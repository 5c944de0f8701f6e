"""A frozen Redis (SIGSTOP on a real redis-server): requests finish within the state budget, logged once."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from pathlib import Path

import httpx
import pytest

from distillguard.errors import StateUnavailableError
from distillguard.gateway.state_guard import StateBudget, StateGuard
from tests.gateway.conftest import PAYG, RedisServer, chat_body, redis_binary, settings_for
from tests.gateway.test_gateway_app import CHAT, logged, run, running

STATE_TIMEOUT_S = 0.5
#: The gateway's own work on top of the state budget (scoring, the canned upstream on loopback), with slack for a
#: loaded two-core machine; before the budget was shared, a frozen store held each request for three timeouts.
MARGIN_S = 0.5


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    messages = [r.getMessage() for r in caplog.records if r.name == "distillguard.gateway"]
    return [m for m in messages if "state store" in m]


@pytest.mark.parametrize(("failure", "status"), [("open", 200), ("closed", 503)])
def test_requests_finish_within_the_state_timeout_while_redis_is_frozen(
    gateway_dir: Path,
    upstream_url: str,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    failure: str,
    status: int,
) -> None:
    settings = settings_for(
        gateway_dir,
        upstream_url,
        state=redis_server.url,
        state_failure=failure,
        state_timeout_s=STATE_TIMEOUT_S,
        state_retry_s=0.3,
    )
    caplog.set_level(logging.INFO, logger="distillguard.gateway")
    durations: list[float] = []
    statuses: list[int] = []

    async def timed(http: httpx.AsyncClient, i: int) -> None:
        started = time.monotonic()
        reply = await http.post(CHAT, json=chat_body(f"Question {i}?"), headers=PAYG)
        durations.append(time.monotonic() - started)
        statuses.append(reply.status_code)

    async def outage() -> None:
        async with running(settings) as (app, http):
            assert (await http.post(CHAT, json=chat_body(), headers=PAYG)).status_code == 200  # connections open
            redis_server.process.send_signal(signal.SIGSTOP)
            try:
                await asyncio.gather(*(timed(http, i) for i in range(20)))  # a burst as it freezes
                for i in range(10):  # then one at a time, spread over the breaker's retries
                    await timed(http, 100 + i)
                    await asyncio.sleep(0.1)
            finally:
                redis_server.process.send_signal(signal.SIGCONT)
            deadline = time.monotonic() + 10
            while app.gateway.engine.guard.down:  # until a request finds the store answering again
                assert time.monotonic() < deadline, "the gateway never found the store again"
                await http.post(CHAT, json=chat_body(), headers=PAYG)
                await asyncio.sleep(0.05)
            assert (await http.post(CHAT, json=chat_body(), headers=PAYG)).status_code == 200

    run(outage)
    assert set(statuses) == {status}
    assert max(durations) < STATE_TIMEOUT_S + MARGIN_S, sorted(durations)[-5:]
    lines = outage_lines(caplog)
    assert len([line for line in lines if "unavailable, failing" in line]) == 1  # once, not once per request
    assert lines[-1].startswith(f"state store {redis_server.url} answers again after")
    assert len(lines) == 2  # within the default 60 s interval: the start of the outage and its end
    assert len(logged(gateway_dir)) >= 32  # every request recorded, refused or not


class Frozen:
    """A state call that never answers."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        await asyncio.sleep(3600)


def test_one_budget_bounds_all_of_a_requests_state_calls() -> None:
    async def body() -> None:
        clock_start = time.monotonic()
        guard = StateGuard("redis://h:1/0", timeout_s=0.2, retry_s=60, log_every_s=60, failure="open")
        budget = StateBudget(0.2)
        frozen = Frozen()
        with pytest.raises(StateUnavailableError, match=r"no answer within 0\.2 s"):
            await guard.call(budget, frozen)
        with pytest.raises(StateUnavailableError, match="unavailable"):  # the breaker: no second wait
            await guard.call(guard.budget(), frozen)
        assert frozen.calls == 1
        assert budget.left <= 0
        assert time.monotonic() - clock_start < 0.2 + MARGIN_S

    run(body)


def test_the_breaker_lets_one_call_try_again_after_the_retry_time(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    guard = StateGuard("redis://h:1/0", timeout_s=1, retry_s=5, log_every_s=30, failure="closed", clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="distillguard.gateway")

    async def fail() -> None:
        raise StateUnavailableError("redis://h:1/0: connection refused")

    async def answer() -> str:
        return "ok"

    async def body() -> None:
        for t in (0.0, 1.0, 4.0):
            now[0] = t
            with pytest.raises(StateUnavailableError):
                await guard.call(guard.budget(), fail)
        now[0] = 31.0  # the first try after the retry time fails again; a report is due
        with pytest.raises(StateUnavailableError):
            await guard.call(guard.budget(), fail)
        now[0] = 40.0
        assert await guard.call(guard.budget(), answer) == "ok"
        assert not guard.down

    run(body)
    lines = outage_lines(caplog)
    assert len(lines) == 3
    assert "state store unavailable, failing closed: redis://h:1/0: connection refused" in lines[0]
    assert "still unavailable after 31 s" in lines[1]
    assert "3 state calls failed in the last 31 s" in lines[1]
    assert lines[2].startswith("state store redis://h:1/0 answers again after 40.0 s")


def test_redis_tests_skip_with_the_reason_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("DISTILLGUARD_REQUIRE_REDIS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
        redis_binary()
    monkeypatch.setenv("DISTILLGUARD_REQUIRE_REDIS", "1")
    with pytest.raises(pytest.fail.Exception, match="DISTILLGUARD_REQUIRE_REDIS is set"):
        redis_binary()
