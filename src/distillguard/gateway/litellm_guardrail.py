"""distillguard as a LiteLLM proxy guardrail: the gateway's engine in LiteLLM's pre- and post-call hooks.

In the LiteLLM proxy's ``config.yaml``, the ``guardrails:`` section shown in
``docs/gateway.md`` and written by :func:`distillguard.gateway.litellm_config.guardrail_section`
(this class, ``mode: [pre_call, post_call]``, ``default_on: true``, and ``distillguard_config:``
the gateway TOML's path, or the ``DISTILLGUARD_CONFIG`` variable).

The gateway config is the one ``distillguard serve`` reads, less what LiteLLM does itself
(``upstream`` and ``keys_file`` are not used: LiteLLM authenticates and routes). The account
of a request is, in order, the key's ``metadata.distillguard_account``, its team, its user, or
the key itself; the tier is the key's ``metadata.tier`` or ``default_tier``.

- pre-call: signals, online state, the last scan's decisions and the policy, as in the gateway;
  ``block`` and ``challenge`` raise a 403, a spent budget a 429; ``watermark`` adds the
  watermark header to the upstream request (``extra_headers``).
- post-call (whole responses and streams): ``strip_reasoning`` removes ``reasoning_content``,
  thinking blocks and ``<think>`` text; the exchange and its decision go to the event log.

Install it in the LiteLLM proxy's environment: ``pip install 'distillguard[litellm]'``.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import logging
import os
import signal
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail

from distillguard.gateway.chat_request import BadRequestError, chat_request_of
from distillguard.gateway.engine import Engine, Exchange
from distillguard.gateway.keys import KeyEntry
from distillguard.gateway.reasoning import ThinkStripper, strip_text
from distillguard.gateway.relay import Outcome
from distillguard.gateway.settings import load_gateway_settings
from distillguard.gateway.watermark import edit_request_body

CHAT_CALLS = frozenset({"completion", "acompletion"})
OPEN_LIMIT = 100_000  # exchanges awaiting their response; the oldest are recorded as lost beyond this
METADATA_KEY = "distillguard_request_id"
DRAIN_SECONDS = 30.0
LOG = logging.getLogger("distillguard.gateway")


def _value(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def key_entry(auth: Any, default_tier: str) -> KeyEntry:
    """The account and tier of a LiteLLM key."""
    metadata = _value(auth, "metadata") or {}
    token = str(_value(auth, "token") or _value(auth, "api_key") or "anonymous")
    key_id = str(_value(auth, "key_alias") or "key-" + hashlib.sha256(token.encode()).hexdigest()[:12])
    account = metadata.get("distillguard_account") or _value(auth, "team_id") or _value(auth, "user_id") or key_id
    return KeyEntry(key_id=key_id, account_id=str(account), tier=str(metadata.get("tier") or default_tier))


class DistillguardGuardrail(CustomGuardrail):  # type: ignore[misc]  # LiteLLM ships no type information
    """The LiteLLM guardrail; ``distillguard_config`` names the gateway config (TOML)."""

    def __init__(self, distillguard_config: str | None = None, **kwargs: Any) -> None:
        path = distillguard_config or os.environ.get("DISTILLGUARD_CONFIG")
        self.settings = load_gateway_settings(Path(path) if path else None)
        self.engine = Engine(self.settings)
        self._open: OrderedDict[str, Exchange] = OrderedDict()
        self._started = False
        self._closing: set[asyncio.Task[None]] = set()
        atexit.register(self.engine.log.close)
        super().__init__(**kwargs)

    async def _start(self) -> None:
        if not self._started:
            self._started = True
            await self.engine.start()
            self._chain_shutdown_signals()

    def _chain_shutdown_signals(self) -> None:
        """Write the event log out when the proxy is stopped, once the requests in flight are done.

        The proxy's server drains requests on SIGTERM and then re-raises the signal, which ends the
        process without ``atexit``; so the guardrail hooks the signal too, in front of the server's
        own handler, and closes the log when no request it let through is still open.
        """
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)

            def handler(number: int, frame: Any, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(self._close_when_drained)
                if callable(previous):
                    previous(number, frame)

            try:
                signal.signal(signum, handler)
            except ValueError:  # not the main thread: only atexit remains
                LOG.warning("distillguard guardrail: cannot hook %s; the event log closes at exit only", signum)

    def _close_when_drained(self) -> None:
        async def close() -> None:
            deadline = time.monotonic() + DRAIN_SECONDS
            while self._open and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.to_thread(self.engine.log.close)

        task = asyncio.get_running_loop().create_task(close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: str
    ) -> Any:
        """Assess the request; refuse it with an HTTP error, or let it go on (with the watermark header)."""
        if call_type not in CHAT_CALLS:
            return data
        await self._start()
        started = time.perf_counter()
        try:
            chat = chat_request_of(data)
        except BadRequestError as exc:
            raise HTTPException(status_code=400, detail={"error": exc.message, "param": exc.param}) from None
        metadata = data.get("metadata") or {}
        headers = metadata.get("headers") or {}
        key = key_entry(user_api_key_dict, self.settings.default_tier)
        ip = metadata.get("requester_ip_address") or None
        exchange, refusal = await self.engine.assess(
            key, chat, ip=ip, user_agent=headers.get("user-agent"), started=started
        )
        if refusal is not None:
            detail = {"error": refusal.message, "code": refusal.code}
            raise HTTPException(status_code=refusal.status, detail=detail, headers=refusal.headers or None)
        self._open[exchange.request_id] = exchange
        while len(self._open) > OPEN_LIMIT:
            _, lost = self._open.popitem(last=False)
            self.engine.record(lost, Outcome(status=499, error="no response seen by the guardrail"))
        data.setdefault("metadata", {})[METADATA_KEY] = exchange.request_id
        flagged = exchange.decision.action == "watermark"
        if flagged:
            sent = {self.settings.watermark_header: "1"}
            if self.settings.watermark.account_header:
                sent[self.settings.watermark.account_header] = exchange.key.account_id
            data["extra_headers"] = {**(data.get("extra_headers") or {}), **sent}
        if self.settings.watermark.edits_bodies:
            extra = data.get("extra_body") if isinstance(data.get("extra_body"), dict) else {}
            edit_request_body(
                data,
                self.settings.watermark,
                watermark=flagged,
                account_id=exchange.key.account_id,
                engine_target=extra,
            )
            if extra:
                data["extra_body"] = extra
        return data

    def _exchange(self, data: dict[str, Any]) -> Exchange | None:
        request_id = (data.get("metadata") or {}).get(METADATA_KEY)
        return self._open.pop(request_id, None) if request_id else None

    async def async_post_call_success_hook(self, data: dict[str, Any], user_api_key_dict: Any, response: Any) -> Any:
        """Edit a whole response as the policy says and record the exchange."""
        exchange = self._exchange(data)
        if exchange is None:
            return response
        edit = self.engine.edit(exchange)
        outcome = Outcome()
        for choice in _value(response, "choices") or []:
            message = _value(choice, "message")
            if message is None:
                continue
            first = (_value(choice, "index") or 0) == 0
            if edit.strip_reasoning:
                _drop_reasoning(message)
            content = _value(message, "content")
            if isinstance(content, str):
                new = strip_text(content) if edit.strip_reasoning else content
                if edit.watermark is not None:
                    new = edit.watermark(new)
                message.content = new
                if first:
                    outcome.text.append(new)
            reasoning = _value(message, "reasoning_content")
            if first and isinstance(reasoning, str) and reasoning:
                outcome.reasoning.append(reasoning)
        outcome.usage(_usage(response))
        await self.engine.settle(exchange, outcome, None)
        return response

    async def async_post_call_failure_hook(
        self, request_data: dict[str, Any], original_exception: Exception, user_api_key_dict: Any, **kwargs: Any
    ) -> None:
        """Record an exchange whose upstream call failed."""
        exchange = self._exchange(request_data)
        if exchange is not None:
            status = getattr(original_exception, "status_code", 502)
            outcome = Outcome(status=status if isinstance(status, int) else 502, error=str(original_exception)[:300])
            await self.engine.settle(exchange, outcome, None)

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: Any, request_data: dict[str, Any]
    ) -> AsyncIterator[Any]:
        """Edit a stream chunk by chunk and record the exchange when it ends."""
        exchange = self._exchange(request_data)
        if exchange is None:
            async for chunk in response:
                yield chunk
            return
        edit = self.engine.edit(exchange)
        outcome = Outcome()
        strippers: dict[int, ThinkStripper] = {}
        try:
            async for chunk in response:
                for choice in _value(chunk, "choices") or []:
                    _stream_choice(choice, edit.strip_reasoning, edit.watermark, strippers, outcome)
                outcome.usage(_usage(chunk))
                yield chunk
        except asyncio.CancelledError:
            outcome.status, outcome.error = 499, "client went away"
            raise
        except Exception as exc:
            outcome.status, outcome.error = 502, f"stream failed: {exc!r}"[:300]
            raise
        finally:
            self.engine.settle_soon(exchange, outcome)


def _drop_reasoning(message: Any) -> None:
    for name in ("reasoning_content", "thinking_blocks", "reasoning"):
        if _value(message, name) is not None:
            setattr(message, name, None)


def _usage(obj: Any) -> dict[str, Any] | None:
    usage = _value(obj, "usage")
    if usage is None:
        return None
    return {"prompt_tokens": _value(usage, "prompt_tokens"), "completion_tokens": _value(usage, "completion_tokens")}


def _stream_choice(
    choice: Any, strip: bool, watermark: Any, strippers: dict[int, ThinkStripper], outcome: Outcome
) -> None:
    index = _value(choice, "index") or 0
    delta = _value(choice, "delta")
    finishing = _value(choice, "finish_reason") is not None
    if delta is None:
        return
    reasoning = _value(delta, "reasoning_content")
    if strip:
        _drop_reasoning(delta)
    elif index == 0 and isinstance(reasoning, str) and reasoning:
        outcome.reasoning.append(reasoning)
    content = _value(delta, "content")
    if isinstance(content, str) or (finishing and index in strippers):
        text = content if isinstance(content, str) else ""
        new = text
        if strip:
            stripper = strippers.setdefault(index, ThinkStripper())
            new = stripper.feed(text) + (stripper.finish() if finishing else "")
        if watermark is not None and new:
            new = watermark(new)
        if new != text:
            delta.content = new
        if index == 0:
            outcome.text.append(new)
    outcome.finished = outcome.finished or finishing
