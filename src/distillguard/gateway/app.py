"""The gateway: an OpenAI-compatible reverse proxy that scores, decides and enforces per request.

Routes: ``POST /v1/chat/completions`` (streamed or not), ``GET /v1/models``, ``GET /healthz``.
Per request: authenticate the key (401), read the body within ``max_body_bytes`` (413), validate
it (400), score the prompt with the same extraction signals as the batch scan, update the
account's online state, decide (:mod:`distillguard.gateway.policy`), then enforce: ``block`` and
``challenge`` answer 403, a spent budget 429 with ``Retry-After``, and the rest go upstream with
their edits. Upstream failures reach the client as 502/504 in OpenAI's error shape, in a stream
as a final ``error`` event. Every request, refused or not, is written to the event log with its
decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import anyio
import orjson
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from distillguard.errors import ConfigError
from distillguard.gateway.chat_request import BadRequestError, ChatRequest, parse_chat_request
from distillguard.gateway.decisions import DecisionTable
from distillguard.gateway.eventlog import EventLog
from distillguard.gateway.keys import KeyEntry, KeyRing
from distillguard.gateway.policy import Decision, decide
from distillguard.gateway.relay import Outcome, ResponseEdit, StreamEditor, edit_completion
from distillguard.gateway.settings import GatewaySettings
from distillguard.gateway.state import Admission, Budget, OnlineView, StateStore, StateUnavailableError, open_state
from distillguard.gateway.watermark import WatermarkContext, WatermarkHook, load_hook
from distillguard.signals.detectors import FIRES_AT, run_signals
from distillguard.signals.extraction import ExtractionModel, builtin_model

LOG = logging.getLogger("distillguard.gateway")
CHARS_PER_TOKEN = 4  # estimate where the upstream reports no usage


def error_response(status: int, message: str, kind: str, code: str | None, param: str | None = None) -> Response:
    """An error in OpenAI's shape."""
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _error_event(message: str, code: str) -> bytes:
    body = {"error": {"message": message, "type": "upstream_error", "param": None, "code": code}}
    return b"data: " + orjson.dumps(body) + b"\n\n"


def _state_down() -> Response:
    return error_response(503, "Rate-limit state is unavailable; retry shortly", "server_error", "state_unavailable")


def _upstream_base(url: str) -> str:
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


@dataclass
class _Exchange:
    """One request on its way through the gateway."""

    request_id: str
    arrived: datetime
    key: KeyEntry
    chat: ChatRequest
    ip: str | None
    user_agent: str | None
    decision: Decision
    families: dict[str, float]
    template: str
    budget: Budget


class Gateway:
    """The gateway's state and request handlers; :func:`create_app` wires it into Starlette."""

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        state: StateStore | None = None,
        model: ExtractionModel | None = None,
    ) -> None:
        if settings.upstream is None:
            raise ConfigError("no upstream: give --upstream URL or set `upstream` in the gateway config")
        self.settings = settings
        self.upstream = _upstream_base(settings.upstream)
        self.keys = KeyRing(settings.keys_file, settings.keys_database)
        self.decisions = DecisionTable(settings.decisions)
        self.state = state if state is not None else open_state(settings.state, settings.state_timeout_s)
        self.model = model or builtin_model()
        self.hook: WatermarkHook | None = load_hook(settings.watermark_hook)
        self.log = EventLog(settings.event_log)
        self._client: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the upstream client and start the flush and reload loops."""
        wait = self.settings.upstream_timeout_s
        # sock_read bounds the wait for the answer and, in a stream, for each next chunk
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=min(10.0, wait), sock_read=wait)
        connector = aiohttp.TCPConnector(limit=1000, keepalive_timeout=30)
        self._client = aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False)
        self._tasks = [asyncio.create_task(self._flush_loop()), asyncio.create_task(self._reload_loop())]
        # Everything loaded so far (libraries, the model) lives as long as the process: keep it out of the
        # collector's full passes, which otherwise stall every request in flight for tens of milliseconds.
        gc.collect()
        gc.freeze()

    async def stop(self) -> None:
        """Stop the loops, write every buffered record, and close connections."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.to_thread(self.log.close)
        if self._client is not None:
            await self._client.close()
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
            for name, source in (("keys", self.keys), ("decisions", self.decisions)):
                try:
                    if await asyncio.to_thread(source.reload):
                        LOG.info("reloaded %s from %s (%d entries)", name, source.path, len(source))
                except (ConfigError, OSError) as exc:
                    LOG.error("kept the previous %s: %s", name, exc)

    @property
    def client(self) -> aiohttp.ClientSession:
        """The upstream client (open between start and stop)."""
        if self._client is None:
            raise RuntimeError("the gateway is not started")
        return self._client

    # -- helpers ----------------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> KeyEntry | Response:
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header[:7].lower() == "bearer " else request.headers.get("api-key", "")
        if not key:
            return error_response(401, "Missing API key: send Authorization: Bearer KEY", "invalid_request_error", None)
        entry = self.keys.lookup(key)
        if entry is None:
            return error_response(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key")
        return entry

    async def _body(self, request: Request) -> bytes | Response:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return error_response(413, f"Request body over {limit} bytes", "invalid_request_error", "body_too_large")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return error_response(
                    413, f"Request body over {limit} bytes", "invalid_request_error", "body_too_large"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _client_ip(self, request: Request) -> str | None:
        if self.settings.forwarded_for:
            forwarded = request.headers.get("x-forwarded-for")
            if forwarded:
                return forwarded.split(",")[0].strip()
        return request.client.host if request.client else None

    async def _state_call(self, call: Any, fallback: Any) -> Any:
        try:
            return await call
        except StateUnavailableError as exc:
            if self.settings.state_failure == "closed":
                raise
            LOG.warning("state store unavailable, failing open: %s", exc)
            return fallback

    def _record(self, exchange: _Exchange, outcome: Outcome, added_ms: float | None = None) -> None:
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
            "status": outcome.status,
            "error": outcome.error,
            "gateway_ms": None if added_ms is None else round(added_ms, 3),
        }
        self.log.record(row, record)

    async def _settle(self, exchange: _Exchange, outcome: Outcome, added_ms: float | None) -> None:
        """Record the exchange and spend its tokens (after the response)."""
        self._record(exchange, outcome, added_ms)
        tokens = (outcome.output_tokens or 0) + (outcome.input_tokens or 0)
        if outcome.status == 200 and tokens:
            with contextlib.suppress(StateUnavailableError):
                await self.state.spend_tokens(exchange.key.account_id, exchange.budget, tokens)

    # -- routes -----------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        """Liveness and the state store's reachability."""
        ok = await self.state.ping()
        body = {
            "status": "ok" if ok or self.settings.state_failure == "open" else "degraded",
            "state": {"url": self.state.url.split("@")[-1], "reachable": ok},
            "keys": len(self.keys),
            "decisions": len(self.decisions),
            "buffered_records": self.log.pending,
        }
        return Response(orjson.dumps(body), media_type="application/json", status_code=200 if ok else 503)

    async def models(self, request: Request) -> Response:
        """The upstream's model list, for authenticated clients."""
        entry = self._authenticate(request)
        if isinstance(entry, Response):
            return entry
        try:
            async with self.client.get(f"{self.upstream}/v1/models", headers=self._upstream_headers(None)) as upstream:
                content = await upstream.read()
        except TimeoutError:
            return error_response(504, "The upstream model server timed out", "upstream_error", "upstream_timeout")
        except aiohttp.ClientError as exc:
            return error_response(502, f"The upstream model server failed: {exc}", "upstream_error", "upstream_error")
        return self._passthrough(upstream.status, content)

    def _passthrough(self, status: int, content: bytes) -> Response:
        if status >= 500:
            detail = content[:300].decode("utf-8", "replace")
            return error_response(
                502, f"The upstream model server answered {status}: {detail}", "upstream_error", "upstream_error"
            )
        return Response(content, status_code=status, media_type="application/json")

    def _upstream_headers(self, exchange: _Exchange | None) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.settings.upstream_api_key:
            headers["authorization"] = f"Bearer {self.settings.upstream_api_key}"
        if exchange is not None:
            headers["x-request-id"] = exchange.request_id
            if exchange.decision.action == "watermark":
                headers[self.settings.watermark_header] = "1"
        return headers

    def _edit(self, exchange: _Exchange) -> ResponseEdit:
        action = exchange.decision.action
        watermark = None
        if action == "watermark" and self.hook is not None:
            context = WatermarkContext(exchange.request_id, exchange.key.account_id, exchange.chat.model)
            watermark = self.hook(context)
        return ResponseEdit(strip_reasoning=action == "strip_reasoning", watermark=watermark)

    async def chat(self, request: Request) -> Response:
        """``POST /v1/chat/completions``."""
        started = time.perf_counter()
        arrived = datetime.now(UTC)
        entry = self._authenticate(request)
        if isinstance(entry, Response):
            return entry
        try:
            body = await self._body(request)
        except ClientDisconnect:
            return Response(status_code=400)
        if isinstance(body, Response):
            return body
        try:
            chat = parse_chat_request(body)
        except BadRequestError as exc:
            return error_response(400, exc.message, "invalid_request_error", exc.code, exc.param)
        signals = run_signals([chat.prompt], self.model)
        scores = signals.scores[0].tolist()
        fired = tuple(f for f, s in zip(self.model.families, scores, strict=True) if s >= FIRES_AT)
        account = entry.account_id
        try:
            view = await self._state_call(
                self.state.observe(
                    account,
                    [s >= FIRES_AT for s in scores],
                    signals.templates[0],
                    self.settings.online.half_life_minutes * 60,
                ),
                OnlineView(),
            )
        except StateUnavailableError:
            return error_response(
                503, "Rate-limit state is unavailable; try again shortly", "server_error", "state_unavailable"
            )
        decision = decide(
            entry.tier,
            self.decisions.get(account),
            view,
            families=self.model.families,
            fired=fired,
            settings=self.settings,
        )
        limits = self.settings.limits(entry.tier)
        cost = 1.0 / self.settings.throttle_factor if decision.action == "throttle" else 1.0
        exchange = _Exchange(
            request_id=f"dg-{uuid.uuid4().hex}",
            arrived=arrived,
            key=entry,
            chat=chat,
            ip=self._client_ip(request),
            user_agent=request.headers.get("user-agent"),
            decision=decision,
            families=dict(zip(self.model.families, scores, strict=True)),
            template=signals.templates[0],
            budget=Budget(limits.requests_per_minute, limits.tokens_per_minute, cost),
        )
        headers = {"x-request-id": exchange.request_id}
        if decision.action in ("block", "challenge"):
            self._record(exchange, Outcome(status=403), (time.perf_counter() - started) * 1000)
            if decision.action == "block":
                response = error_response(
                    403, "This account is blocked for violating the usage policy", "permission_error", "account_blocked"
                )
            else:
                response = error_response(
                    403,
                    "Identity verification is required to continue: complete it in the console, then retry",
                    "permission_error",
                    "identity_verification_required",
                )
            response.headers.update(headers)
            return response
        try:
            admission: Admission = await self._state_call(
                self.state.admit(account, exchange.budget), Admission(True, 0.0)
            )
        except StateUnavailableError:
            return error_response(
                503, "Rate-limit state is unavailable; try again shortly", "server_error", "state_unavailable"
            )
        if not admission.allowed:
            self._record(exchange, Outcome(status=429), (time.perf_counter() - started) * 1000)
            retry = max(1, math.ceil(admission.retry_after_s))
            response = error_response(
                429,
                f"Rate limit reached for {admission.limit} per minute on this account; retry in {retry} s",
                "requests",
                "rate_limit_exceeded",
            )
            response.headers.update({**headers, "retry-after": str(retry)})
            return response
        if chat.stream:
            return await self._forward_stream(exchange, body, headers, started)
        return await self._forward(exchange, body, headers, started)

    async def _forward(self, exchange: _Exchange, body: bytes, headers: dict[str, str], started: float) -> Response:
        outcome = Outcome()
        sent = time.perf_counter()
        try:
            async with self.client.post(
                f"{self.upstream}/v1/chat/completions", data=body, headers=self._upstream_headers(exchange)
            ) as upstream:
                status, content = upstream.status, await upstream.read()
        except TimeoutError:
            outcome.status, outcome.error = 504, "upstream timeout"
            await self._settle(exchange, outcome, None)
            return error_response(504, "The upstream model server timed out", "upstream_error", "upstream_timeout")
        except aiohttp.ClientError as exc:
            outcome.status, outcome.error = 502, f"upstream: {exc!r}"
            await self._settle(exchange, outcome, None)
            return error_response(502, f"The upstream model server failed: {exc}", "upstream_error", "upstream_error")
        back = time.perf_counter()
        if status != 200:
            response = self._passthrough(status, content)
            outcome.status, outcome.error = response.status_code, content[:300].decode("utf-8", "replace")
        else:
            try:
                completion = orjson.loads(content)
            except orjson.JSONDecodeError:
                completion = None
            if not isinstance(completion, dict):
                outcome.status, outcome.error = 502, "upstream sent a body that is not a JSON object"
                response = error_response(
                    502, "The upstream model server sent an invalid response", "upstream_error", "upstream_error"
                )
            else:
                if edit_completion(completion, self._edit(exchange), outcome):
                    content = orjson.dumps(completion)
                response = Response(content, media_type="application/json")
        response.headers.update(headers)
        added_ms = (sent - started + time.perf_counter() - back) * 1000
        await self._settle(exchange, outcome, added_ms)
        return response

    async def _forward_stream(
        self, exchange: _Exchange, body: bytes, headers: dict[str, str], started: float
    ) -> Response:
        outcome = Outcome()
        try:
            upstream = await self.client.post(
                f"{self.upstream}/v1/chat/completions", data=body, headers=self._upstream_headers(exchange)
            )
        except TimeoutError:
            outcome.status, outcome.error = 504, "upstream timeout"
            await self._settle(exchange, outcome, None)
            return error_response(504, "The upstream model server timed out", "upstream_error", "upstream_timeout")
        except aiohttp.ClientError as exc:
            outcome.status, outcome.error = 502, f"upstream: {exc!r}"
            await self._settle(exchange, outcome, None)
            return error_response(502, f"The upstream model server failed: {exc}", "upstream_error", "upstream_error")
        if upstream.status != 200:
            try:
                content = await upstream.read()
            except (TimeoutError, aiohttp.ClientError):
                content = b""
            upstream.release()
            response = self._passthrough(upstream.status, content)
            outcome.status, outcome.error = response.status_code, content[:300].decode("utf-8", "replace")
            await self._settle(exchange, outcome, None)
            response.headers.update(headers)
            return response
        added_ms = (time.perf_counter() - started) * 1000
        editor = StreamEditor(self._edit(exchange), outcome)
        return StreamingResponse(
            self._relay(exchange, upstream, editor, added_ms),
            media_type="text/event-stream",
            headers={**headers, "cache-control": "no-cache"},
        )

    async def _relay(
        self, exchange: _Exchange, upstream: aiohttp.ClientResponse, editor: StreamEditor, added_ms: float
    ) -> AsyncIterator[bytes]:
        outcome = editor.outcome
        try:
            async for raw in upstream.content:
                line = raw.rstrip(b"\r\n")
                if line.startswith(b"data:"):
                    yield b"data: " + editor.payload(line[5:].strip()) + b"\n\n"
                elif line.startswith(b":"):
                    yield line + b"\n\n"  # comments (keep-alives) pass through
            if not editor.done and not outcome.finished and outcome.status == 200:
                outcome.status, outcome.error = 502, "upstream stream ended early"
                yield _error_event("The upstream model server ended the stream early", "upstream_stream_dropped")
        except TimeoutError:
            outcome.status, outcome.error = 504, "upstream timeout mid-stream"
            yield _error_event("The upstream model server timed out mid-stream", "upstream_timeout")
        except aiohttp.ClientError as exc:
            outcome.status, outcome.error = 502, f"upstream stream dropped: {exc!r}"
            yield _error_event("The upstream model server dropped the stream", "upstream_stream_dropped")
        except BaseException:
            outcome.status, outcome.error = 499, "client went away"
            raise
        finally:
            upstream.release()
            with anyio.CancelScope(shield=True):
                await self._settle(exchange, outcome, added_ms)


def create_app(
    settings: GatewaySettings,
    *,
    state: StateStore | None = None,
) -> Starlette:
    """The gateway as an ASGI application (run it with uvicorn, or ``distillguard serve``)."""
    gateway = Gateway(settings, state=state)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(
            404, f"Unknown request URL: {request.method} {request.url.path}", "invalid_request_error", "unknown_url"
        )

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return error_response(
            405,
            f"Method {request.method} is not allowed on {request.url.path}",
            "invalid_request_error",
            "method_not_allowed",
        )

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", gateway.chat, methods=["POST"]),
            Route("/v1/models", gateway.models, methods=["GET"]),
            Route("/healthz", gateway.health, methods=["GET"]),
        ],
        exception_handlers={404: not_found, 405: not_allowed},
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    return app
