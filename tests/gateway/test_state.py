"""The state stores: the same behaviour in memory and in a real redis-server, atomic across replicas."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import httpx
import pytest

from distillguard.errors import StateUnavailableError
from distillguard.gateway.loopback import free_port
from distillguard.gateway.state import Budget, MemoryState, RedisState, StateStore
from tests.gateway.conftest import PAYG, chat_body, settings_for
from tests.gateway.test_gateway_app import CHAT, logged, running


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(body: Callable[[], Awaitable[None]]) -> None:
    anyio.run(body)


def test_request_budget_refills_at_the_per_minute_rate(store_factory: Callable[[], StateStore]) -> None:
    async def body() -> None:
        store = store_factory()
        budget = Budget(requests_per_minute=6, tokens_per_minute=10_000)
        admitted = [(await store.admit("a", budget)).allowed for _ in range(8)]
        assert admitted == [True] * 6 + [False] * 2
        refused = await store.admit("a", budget)
        assert refused.limit == "requests"
        assert 9.0 < refused.retry_after_s <= 10.0  # one request every 10 s
        assert (await store.admit("b", budget)).allowed  # another account has its own budget
        await store.close()

    run(body)


def test_token_budget_goes_negative_then_holds_back(store_factory: Callable[[], StateStore]) -> None:
    async def body() -> None:
        store = store_factory()
        budget = Budget(requests_per_minute=100, tokens_per_minute=600)
        assert (await store.admit("a", budget)).allowed
        await store.spend_tokens("a", budget, 900)
        refused = await store.admit("a", budget)
        assert (refused.allowed, refused.limit) == (False, "tokens")
        assert 30.0 <= refused.retry_after_s <= 31.0  # 300 over at 10 tokens/s
        await store.close()

    run(body)


def test_throttled_cost_divides_the_budget(store_factory: Callable[[], StateStore]) -> None:
    async def body() -> None:
        store = store_factory()
        budget = Budget(requests_per_minute=20, tokens_per_minute=10_000, cost=4.0)
        admitted = [(await store.admit("a", budget)).allowed for _ in range(7)]
        assert admitted.count(True) == 5
        await store.close()

    run(body)


def test_evidence_counts_families_and_template_reuse(store_factory: Callable[[], StateStore]) -> None:
    async def body() -> None:
        store = store_factory()
        view = None
        for i in range(10):
            view = await store.observe("a", [i % 2 == 0, False], "t-wrapper" if i < 8 else f"t-{i}", 3600)
        assert view is not None
        assert view.requests == pytest.approx(10, rel=1e-3)
        assert view.share(0) == pytest.approx(0.5, rel=1e-3)
        assert view.share(1) == 0
        assert view.reused == pytest.approx(7, rel=1e-3)  # the wrapper's first use is not a reuse
        await store.close()

    run(body)


def test_memory_evidence_decays_with_the_half_life() -> None:
    async def body() -> None:
        clock = Clock()
        store = MemoryState(clock)
        for _ in range(8):
            await store.observe("a", [True], "t", 60)
        clock.now += 120  # two half-lives
        view = await store.observe("a", [False], "u", 60)
        assert view.requests == pytest.approx(8 / 4 + 1)
        assert view.families[0] == pytest.approx(2.0)
        budget = Budget(6, 1000)
        for _ in range(6):
            await store.admit("b", budget)
        assert not (await store.admit("b", budget)).allowed
        clock.now += 10
        assert (await store.admit("b", budget)).allowed

    run(body)


def test_redis_limits_hold_across_replicas_under_concurrency(redis_url: str) -> None:
    """Four clients (as four gateway replicas) race for one budget: exactly the limit is admitted."""

    async def body() -> None:
        replicas = [RedisState(redis_url, timeout_s=10) for _ in range(4)]
        budget = Budget(requests_per_minute=50, tokens_per_minute=10**6)
        results = await asyncio.gather(*(r.admit("shared", budget) for r in replicas for _ in range(40)))
        assert sum(a.allowed for a in results) in (50, 51)  # 51 only if a second passes mid-race (refill 0.83/s)
        for replica in replicas:
            await replica.close()

    run(body)


def test_redis_down_raises_state_unavailable() -> None:
    async def body() -> None:
        store = RedisState(f"redis://127.0.0.1:{free_port()}/0")
        with pytest.raises(StateUnavailableError):
            await store.admit("a", Budget(10, 10))
        with pytest.raises(StateUnavailableError):
            await store.observe("a", [True], "t", 60)
        assert await store.ping() is False
        await store.close()

    run(body)


@pytest.mark.parametrize(("failure", "status"), [("open", 200), ("closed", 503)])
def test_gateway_follows_the_fail_policy_when_redis_is_down(
    gateway_dir: Path, upstream_url: str, failure: str, status: int
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings = settings_for(gateway_dir, upstream_url, state=dead, state_failure=failure)

    async def body() -> None:
        async with running(settings) as (_, http):
            reply = await http.post(CHAT, json=chat_body(), headers=PAYG)
            assert reply.status_code == status
            if status == 503:
                assert reply.json()["error"]["code"] == "state_unavailable"
            health = await http.get("/healthz")
            assert health.json()["state"]["reachable"] is False
            assert health.status_code == (200 if failure == "open" else 503)  # a load balancer keeps it if it serves

    run(body)
    [row] = logged(gateway_dir)
    assert row["status"] == status  # refused or not, written


def test_gateway_on_redis_shares_limits_between_two_gateways(
    gateway_dir: Path, upstream_url: str, redis_url: str
) -> None:
    settings = settings_for(gateway_dir, upstream_url, state=redis_url, tiers={"payg": {"requests_per_minute": 10}})

    async def body() -> None:
        async with running(settings) as (_, first), running(settings) as (_, second):
            statuses = []
            for i in range(16):
                http: httpx.AsyncClient = first if i % 2 else second
                statuses.append((await http.post(CHAT, json=chat_body(), headers=PAYG)).status_code)
            assert statuses.count(200) == 10

    run(body)


def test_template_senders_are_counted_once_each(store_factory: Callable[[], StateStore]) -> None:
    async def body() -> None:
        store = store_factory()
        counts = [await store.template_accounts("t-wrapper", account, 3600) for account in ("a", "b", "a", "c")]
        assert counts == [1, 2, 2, 3]
        assert await store.template_accounts("t-other", "a", 3600) == 1
        await store.close()

    run(body)


def test_memory_template_senders_leave_the_window() -> None:
    async def body() -> None:
        clock = Clock()
        store = MemoryState(clock)
        for account in ("a", "b", "c"):
            await store.template_accounts("t", account, 60)
        clock.now += 30
        assert await store.template_accounts("t", "d", 60) == 4
        clock.now += 45  # a, b and c were last seen 75 s ago
        assert await store.template_accounts("t", "e", 60) == 2

    run(body)
