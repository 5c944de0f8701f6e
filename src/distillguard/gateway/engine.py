"""The per-request engine shared by the gateway and the LiteLLM guardrail.

:meth:`Engine.assess` scores the prompt with the batch scan's extraction signals, counts it in
the account's online state, decides with the last scan's verdicts and the policy, and takes the
request from the account's budget. It returns the exchange under way and, when the request must
not go upstream, a :class:`Refusal` (403 for ``block`` and ``challenge``, 429 with a retry time
for a spent budget, 503 when the state store is down and the policy fails closed).
:meth:`Engine.settle` writes the exchange and its decision to the event log and spends its tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from distillguard.errors import ConfigError, StateUnavailableError
from distillguard.gateway.batching import ScoringBatcher
from distillguard.gateway.chat_request import ChatRequest
from distillguard.gateway.conversation import (
    RequestScores,
    TurnPlan,
    conversation_turns,
    plan_turns,
    request_scores,
)
from distillguard.gateway.decisions import DecisionTable
from distillguard.gateway.eventlog import EventLog, watch_parent
from distillguard.gateway.keys import KeyEntry
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.gateway.policy import Decision, decide
from distillguard.gateway.relay import Outcome, ResponseEdit
from distillguard.gateway.settings import GatewaySettings
from distillguard.gateway.state import Admission, Budget, OnlineView, StateStore, open_state
from distillguard.gateway.state_guard import StateBudget, StateGuard
from distillguard.gateway.watermark import WatermarkContext, WatermarkHook, load_hook
from distillguard.signals.detectors import FIRES_AT, run_signals
from distillguard.signals.extraction import ExtractionModel, builtin_model

LOG = logging.getLogger("distillguard.gateway")
CHARS_PER_TOKEN = 4  # estimate where the upstream reports no usage
T = TypeVar("T")


@dataclass(frozen=True)
class Refusal:
    """An answer given instead of the model's, in OpenAI's error shape."""

    status: int
    message: str
    kind: str
    code: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Exchange:
    """One request on its way through the engine."""

    request_id: str
    arrived: datetime
    key: KeyEntry
    chat: ChatRequest
    ip: str | None
    user_agent: str | None
    decision: Decision
    families: dict[str, float]
    template: str
    evidence: dict[str, str]  # family -> the sentence saying which words, in which turn, made it fire
    budget: Budget
    turns: TurnPlan | None = None
    state_budget: StateBudget | None = None  # what is left of the request's time for state calls


BLOCKED = Refusal(403, "This account is blocked for violating the usage policy", "permission_error", "account_blocked")
CHALLENGED = Refusal(
    403,
    "Identity verification is required to continue: complete it in the console, then retry",
    "permission_error",
    "identity_verification_required",
)
STATE_DOWN = Refusal(503, "Rate-limit state is unavailable; retry shortly", "server_error", "state_unavailable")


class _Bucket:
    """A token bucket of ``rate`` a second, holding a second's worth (this process only)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class Engine:
    """Signals, online state, decisions, policy and the event log, for one process."""

    def __init__(
        self, settings: GatewaySettings, *, state: StateStore | None = None, model: ExtractionModel | None = None
    ) -> None:
        self.settings = settings
        self.decisions = DecisionTable(settings.decisions)
        self.state = state if state is not None else open_state(settings.state, settings.state_timeout_s)
        self.guard = StateGuard(
            self.state.url,
            timeout_s=settings.state_timeout_s,
            retry_s=settings.state_retry_s,
            log_every_s=settings.state_log_seconds,
            failure=settings.state_failure,
        )
        self.model = model or builtin_model()
        run_signals([""] * 40, self.model)  # both paths' tables load now (~0.3 s), not on the first requests
        self.batcher = ScoringBatcher(self.model)
        self.hook: WatermarkHook | None = load_hook(settings.watermark_hook)
        # parts are finished in a process of their own, away from the event loop's interpreter lock
        self._finisher = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=watch_parent,
            initargs=(os.getpid(),),
        )
        self.log = EventLog(settings.event_log, finisher=self._finisher)
        self.reloadable: dict[str, Any] = {"decisions": self.decisions}
        self.metrics = GatewayMetrics()
        self.metrics.gauge(
            "distillguard_decisions_loaded", "Accounts the last scan flagged.", lambda: len(self.decisions)
        )
        self.metrics.gauge("distillguard_event_log_pending", "Records waiting for a flush.", lambda: self.log.pending)
        self.metrics.gauge("distillguard_turns_scored", "Turns scored since start.", lambda: self.batcher.texts)
        self.metrics.gauge("distillguard_scoring_batches", "Calls of the batch scorer.", lambda: self.batcher.batches)
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: set[asyncio.Task[None]] = set()
        self._refusals = _Bucket(settings.event_log.max_refusals_per_second)
        self._refusals_warned = -60.0

    async def start(self) -> None:
        """Start the flush and reload loops."""
        self._tasks = [asyncio.create_task(self._flush_loop()), asyncio.create_task(self._reload_loop())]

    async def stop(self) -> None:
        """Stop the loops, write every buffered record, close the state store."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.to_thread(self.log.close)
        self._finisher.shutdown(wait=True)
        self.batcher.close()
        await self.state.close()

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.event_log.flush_seconds)
            try:
                await asyncio.to_thread(self.log.flush)
            except OSError:
                LOG.exception("event log: flush failed; records stay buffered and are retried")

    async def _reload_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reload_seconds)
            for name, source in self.reloadable.items():
                try:
                    if await asyncio.to_thread(source.reload):
                        LOG.info("reloaded %s from %s (%d entries)", name, source.path, len(source))
                except (ConfigError, OSError) as exc:
                    LOG.error("kept the previous %s: %s", name, exc)

    async def _state(self, budget: StateBudget, make: Callable[[], Awaitable[T]], fallback: T) -> T:
        """A state call within the request's budget; ``fallback`` if the store is down and the policy fails open."""
        try:
            result: T = await self.guard.call(budget, make)
        except StateUnavailableError:
            if self.settings.state_failure == "closed":
                raise
            return fallback
        return result

    async def _score(self, account: str, chat: ChatRequest, budget: StateBudget) -> tuple[TurnPlan, RequestScores]:
        """The turns this request scores (those the account's memory lacks) and their scores."""
        online = self.settings.online
        turns = conversation_turns(chat.messages)
        digests = [t.digest for t in turns]
        fresh = [False] * len(turns)
        try:
            ttl_s = online.turn_memory_hours * 3600
            seen = await self._state(budget, lambda: self.state.remember_turns(account, digests, ttl_s), fresh)
        except StateUnavailableError:
            seen = fresh  # failing closed, the request is refused; its turns are still scored for the record
        plan = plan_turns(turns, seen, online.max_turns_scored)
        if plan.deferred:  # not scored: forgotten, so that a later request of the conversation scores them
            chosen = {t.digest for t in plan.scored}
            left = [t.digest for t, was in zip(turns, seen, strict=True) if not was and t.digest not in chosen]
            with contextlib.suppress(StateUnavailableError):
                await self._state(budget, lambda: self.state.forget_turns(account, left), None)
        batch = await self.batcher.score([t.text for t in plan.scored])
        return plan, request_scores(plan.scored, batch)

    async def assess(
        self, key: KeyEntry, chat: ChatRequest, *, ip: str | None, user_agent: str | None, started: float
    ) -> tuple[Exchange, Refusal | None]:
        """The exchange and, if it must not go upstream, the refusal (already recorded)."""
        arrived = datetime.now(UTC)
        budget = self.guard.budget()
        account = key.account_id
        plan, signals = await self._score(account, chat, budget)
        fired = [s >= FIRES_AT for s in signals.scores]
        half_life_s = self.settings.online.half_life_minutes * 60
        state_down = False
        try:
            view = await self._state(
                budget, lambda: self.state.observe(account, fired, signals.template, half_life_s), OnlineView()
            )
        except StateUnavailableError:  # failing closed: decided and recorded all the same, then refused
            view, state_down = OnlineView(), True
        senders = 0
        shared = signals.shared_template
        if shared is not None and not state_down:
            window_s = self.settings.online.shared_template_window_minutes * 60
            try:
                senders = await self._state(budget, lambda: self.state.template_accounts(shared, account, window_s), 0)
            except StateUnavailableError:
                state_down = True
        decision = decide(
            key.tier,
            self.decisions.get(account),
            view,
            families=self.model.families,
            fired=tuple(f for f, hit in zip(self.model.families, fired, strict=True) if hit),
            settings=self.settings,
            senders=senders,
            template=shared or signals.template,
        )
        limits = self.settings.limits(key.tier)
        cost = 1.0 / self.settings.throttle_factor if decision.action == "throttle" else 1.0
        exchange = Exchange(
            request_id=f"dg-{uuid.uuid4().hex}",
            arrived=arrived,
            key=key,
            chat=chat,
            ip=ip,
            user_agent=user_agent,
            decision=decision,
            families=dict(zip(self.model.families, signals.scores, strict=True)),
            template=signals.template,
            evidence=signals.evidence,
            budget=Budget(limits.requests_per_minute, limits.tokens_per_minute, cost),
            turns=plan,
            state_budget=budget,
        )
        if state_down:
            self.record(exchange, Outcome(status=503, error="state store unavailable"), _since(started))
            return exchange, STATE_DOWN
        if decision.action in ("block", "challenge"):
            refusal = BLOCKED if decision.action == "block" else CHALLENGED
            self.record(exchange, Outcome(status=403), _since(started))
            return exchange, refusal
        try:
            admission = await self._state(
                budget, lambda: self.state.admit(account, exchange.budget), Admission(True, 0.0)
            )
        except StateUnavailableError:
            self.record(exchange, Outcome(status=503, error="state store unavailable"), _since(started))
            return exchange, STATE_DOWN
        if not admission.allowed:
            self.record(exchange, Outcome(status=429), _since(started))
            retry = max(1, math.ceil(admission.retry_after_s))
            message = f"Rate limit reached for {admission.limit} per minute on this account; retry in {retry} s"
            return exchange, Refusal(429, message, "requests", "rate_limit_exceeded", {"retry-after": str(retry)})
        return exchange, None

    def edit(self, exchange: Exchange) -> ResponseEdit:
        """What to change in the response to ``exchange``."""
        action = exchange.decision.action
        watermark = None
        if action == "watermark" and self.hook is not None:
            context = WatermarkContext(exchange.request_id, exchange.key.account_id, exchange.chat.model)
            watermark = self.hook(context)
        return ResponseEdit(
            strip_reasoning=action == "strip_reasoning",
            watermark=watermark,
            strip_unopened=self.settings.strip_unopened_reasoning,
        )

    def record(self, exchange: Exchange, outcome: Outcome, added_ms: float | None = None) -> int:
        """Queue the exchange (v1) and its decision for the event log; the tokens it used, as logged.

        Without the upstream's usage the counts are estimated (four characters a token), and the
        estimate is what the budget is charged too.
        """
        chat = exchange.chat
        response = outcome.response
        input_tokens = outcome.input_tokens
        if input_tokens is None:
            input_tokens = math.ceil(sum(len(m["content"] or "") for m in chat.messages) / CHARS_PER_TOKEN)
        output_tokens = outcome.output_tokens
        if output_tokens is None:
            output_tokens = math.ceil((len(response) + len(outcome.reasoning_text or "")) / CHARS_PER_TOKEN)
        row = {
            "request_id": exchange.request_id,
            "timestamp": exchange.arrived,
            "account_id": exchange.key.account_id,
            "model": chat.model,
            "messages": chat.messages,
            "response": response,
            "reasoning": outcome.reasoning_text,
            "tools": chat.tools,
            "api_key_id": exchange.key.key_id,
            "org_id": None,
            "end_user": chat.end_user,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "temperature": chat.temperature,
            "max_tokens": chat.max_tokens,
            "status": outcome.status,
            "ip": exchange.ip,
            "user_agent": exchange.user_agent,
            "surface": "api",
        }
        decision = exchange.decision
        record = {
            "request_id": exchange.request_id,
            "timestamp": exchange.arrived,
            "account_id": exchange.key.account_id,
            "tier": exchange.key.tier,
            "verdict": decision.verdict,
            "action": decision.action,
            "campaign_id": decision.campaign_id,
            "reasons": list(decision.reasons),
            "families": {f: round(s, 4) for f, s in exchange.families.items() if s >= FIRES_AT},
            "template": exchange.template,
            "evidence": exchange.evidence,
            "turns": None if exchange.turns is None else exchange.turns.counts(),
            "status": outcome.status,
            "error": outcome.error,
            "gateway_ms": None if added_ms is None else round(added_ms, 3),
        }
        self.log.record(row, record)
        self.metrics.observe(exchange.key.tier, decision.verdict, decision.action, outcome.status, added_ms)
        return input_tokens + output_tokens

    def refused(self, record: dict[str, Any]) -> None:
        """Count a request refused before the engine and log its record (``refusals`` table of the event log).

        Up to ``event_log.max_refusals_per_second`` records a second are logged; beyond, a flood (keys
        tried by the thousand) is counted in the metrics, not written, and said in the log once a minute.
        """
        self.metrics.refuse(record["status"], record["reason"])
        if self._refusals.take():
            self.log.refused(record)
            return
        self.metrics.refusals_unlogged.inc()
        now = time.monotonic()
        if now - self._refusals_warned >= 60:
            self._refusals_warned = now
            limit = self.settings.event_log.max_refusals_per_second
            LOG.warning("over %d refused requests a second: the rest are counted in the metrics only", limit)

    def settle_soon(self, exchange: Exchange, outcome: Outcome) -> None:
        """:meth:`settle` from code that cannot wait (a stream's end): record now, spend tokens in a task."""
        tokens = self.record(exchange, outcome)
        if outcome.status == 200 and tokens:
            task = asyncio.get_running_loop().create_task(self._spend(exchange, tokens, self.guard.budget()))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _spend(self, exchange: Exchange, tokens: int, budget: StateBudget) -> None:
        """Spend the tokens within ``budget`` (not at all while the store is down)."""
        account = exchange.key.account_id
        with contextlib.suppress(StateUnavailableError):
            await self.guard.call(budget, lambda: self.state.spend_tokens(account, exchange.budget, tokens))

    async def settle(self, exchange: Exchange, outcome: Outcome, added_ms: float | None) -> None:
        """Record the exchange and spend its tokens (after the response)."""
        tokens = self.record(exchange, outcome, added_ms)
        if outcome.status == 200 and tokens:  # the client waits: what is left of the request's state budget
            await self._spend(exchange, tokens, exchange.state_budget or self.guard.budget())
