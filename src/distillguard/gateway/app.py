"""The gateway: an OpenAI-compatible reverse proxy that scores, decides and enforces per request.

Routes: ``POST /v1/chat/completions`` (streamed or not), ``GET /v1/models``, ``GET /healthz``,
``GET /metrics``.
Per request: authenticate the key (401), read the body within ``max_body_bytes`` (413; the
server's protocol bounds the time its headers and body take, ``gateway/server.py``), validate
it (400), then the :class:`~distillguard.gateway.engine.Engine` scores, decides and takes the
request from the account's budget; a refusal (403, 429 with ``Retry-After``, 503) is answered
here, and the rest go upstream with their edits. Upstream failures reach the client as 502/504
in OpenAI's error shape (never the upstream's address or body), in a stream as a final ``error``
event. Every request is written to the event log: an exchange with its decision, or, refused
before the engine (401, 400, 413, 404, 405, a client gone mid-body), a refusal record.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import anyio
import orjson
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from distillguard.errors import BadRequestError, ConfigError
from distillguard.gateway.chat_request import parse_chat_request
from distillguard.gateway.client_address import ClientAddress
from distillguard.gateway.engine import Engine, Exchange, Refusal
from distillguard.gateway.keys import KeyEntry, KeyRing
from distillguard.gateway.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from distillguard.gateway.relay import DONE, Outcome, StreamEditor, edit_completion
from distillguard.gateway.server import CUT_OFF
from distillguard.gateway.settings import GatewaySettings
from distillguard.gateway.sse import Event, EventReader, EventTooLargeError, encode_event
from distillguard.gateway.state import StateStore
from distillguard.gateway.watermark import edit_request_body, might_carry_client_fields

LOG = logging.getLogger("distillguard.gateway")
CHAT_PATH = "/v1/chat/completions"
UPSTREAM_FAILED = "The upstream model server failed"
REFUSAL_TEXT = 256  # characters of a refused request's path and user agent kept
#: Where ``serve --workers N`` hands the settings to its worker processes (JSON).
SETTINGS_VARIABLE = "DISTILLGUARD_GATEWAY_SETTINGS"


def error_response(status: int, message: str, kind: str, code: str | None, param: str | None = None) -> Response:
    """An error in OpenAI's shape."""
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def refusal_response(refusal: Refusal, headers: dict[str, str]) -> Response:
    """A refusal of the engine as the client sees it."""
    response = error_response(refusal.status, refusal.message, refusal.kind, refusal.code)
    response.headers.update({**headers, **refusal.headers})
    return response


def _error_event(message: str, code: str) -> bytes:
    body = {"error": {"message": message, "type": "upstream_error", "param": None, "code": code}}
    return b"data: " + orjson.dumps(body) + b"\n\n"


def _upstream_base(url: str) -> str:
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


class Gateway:
    """The HTTP side: keys, bodies, the upstream; :func:`create_app` wires it into Starlette."""

    def __init__(self, settings: GatewaySettings, *, state: StateStore | None = None) -> None:
        if settings.upstream is None:
            raise ConfigError("no upstream: give --upstream URL or set `upstream` in the gateway config")
        self.settings = settings
        self.upstream = _upstream_base(settings.upstream)
        self.keys = KeyRing(settings.keys_file, settings.keys_database)
        self.client_address = ClientAddress(settings.trusted_proxies, forwarded_for=settings.forwarded_for)
        self.engine = Engine(settings, state=state)
        self.engine.reloadable["keys"] = self.keys
        self.engine.metrics.gauge("distillguard_keys_loaded", "API keys in force.", lambda: len(self.keys))
        self._client: aiohttp.ClientSession | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the upstream client and start the engine's loops."""
        wait = self.settings.upstream_timeout_s
        # sock_read bounds the wait for the answer and, in a stream, for each next chunk
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=min(10.0, wait), sock_read=wait)
        connector = aiohttp.TCPConnector(limit=1000, keepalive_timeout=30)
        self._client = aiohttp.ClientSession(connector=connector, timeout=timeout)  # gzip answers decoded
        await self.engine.start()
        # Everything loaded so far (libraries, the model) lives as long as the process: keep it out of the
        # collector's full passes, which otherwise stall every request in flight for tens of milliseconds.
        gc.collect()
        gc.freeze()

    async def stop(self) -> None:
        """Write every buffered record and close connections."""
        await self.engine.stop()
        self.keys.close()
        if self._client is not None:
            await self._client.close()

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
            missing = error_response(
                401, "Missing API key: send Authorization: Bearer KEY", "invalid_request_error", None
            )
            return self.refused(request, missing, "missing_api_key")
        entry = self.keys.lookup(key)
        if entry is None:
            wrong = error_response(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key")
            return self.refused(request, wrong, "invalid_api_key")  # the key itself is never recorded
        return entry

    def refused(
        self,
        request: Request,
        response: Response,
        reason: str,
        *,
        entry: KeyEntry | None = None,
        body_bytes: int | None = None,
    ) -> Response:
        """Record a request refused before the engine (event log and metrics) and return its ``response``."""
        if body_bytes is None:
            declared = request.headers.get("content-length", "")
            body_bytes = int(declared) if declared.isdigit() and len(declared) < 19 else None
        request_id = f"dg-{uuid.uuid4().hex}"
        record: dict[str, Any] = {
            "request_id": request_id,
            "timestamp": datetime.now(UTC),
            "status": response.status_code,
            "reason": reason,
            "account_id": entry.account_id if entry else None,
            "api_key_id": entry.key_id if entry else None,
            "ip": self._client_ip(request),
            "user_agent": (request.headers.get("user-agent") or "")[:REFUSAL_TEXT] or None,
            "method": request.method[:16],
            "path": request.url.path[:REFUSAL_TEXT],
            "body_bytes": body_bytes,
        }
        self.engine.refused(record)
        response.headers["x-request-id"] = request_id
        return response

    async def _body(self, request: Request) -> bytes | Response:
        limit = self.settings.max_body_bytes
        too_large = f"Request body over {limit} bytes"
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return error_response(413, too_large, "invalid_request_error", "body_too_large")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return error_response(413, too_large, "invalid_request_error", "body_too_large")
            chunks.append(chunk)
        return b"".join(chunks)

    def _client_ip(self, request: Request) -> str | None:
        peer = request.client.host if request.client else None
        return self.client_address(peer, request.headers.getlist("x-forwarded-for"))

    # -- routes -----------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        """Liveness and the state store's reachability."""
        ok = await self.engine.state.ping()
        serving = ok or self.settings.state_failure == "open"  # failing open, it still serves
        body = {
            "status": "ok" if ok else ("degraded" if serving else "unavailable"),
            "state": {"url": self.engine.state.url.split("@")[-1], "reachable": ok},
            "keys": len(self.keys),
            "decisions": len(self.engine.decisions),
            "buffered_records": self.engine.log.pending,
        }
        return Response(orjson.dumps(body), media_type="application/json", status_code=200 if serving else 503)

    async def metrics(self, request: Request) -> Response:
        """The gateway's metrics, in Prometheus' text format."""
        return Response(self.engine.metrics.render(), media_type=METRICS_CONTENT_TYPE)

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
            LOG.warning("upstream %s/v1/models failed: %r", self.upstream, exc)
            return error_response(502, UPSTREAM_FAILED, "upstream_error", "upstream_error")
        return self._passthrough(upstream.status, content)

    def _passthrough(self, status: int, content: bytes) -> Response:
        """The upstream's answer, or for a server error one of ours: its body and address are not the client's."""
        if status >= 500:
            return error_response(502, f"{UPSTREAM_FAILED} (status {status})", "upstream_error", "upstream_error")
        return Response(content, status_code=status, media_type="application/json")

    def _upstream_headers(self, exchange: Exchange | None) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.settings.upstream_api_key:
            headers["authorization"] = f"Bearer {self.settings.upstream_api_key}"
        if exchange is not None:
            headers["x-request-id"] = exchange.request_id
            if exchange.decision.action == "watermark":
                headers[self.settings.watermark_header] = "1"
                if self.settings.watermark.account_header:
                    headers[self.settings.watermark.account_header] = exchange.key.account_id
        return headers

    def _watermark_body(self, exchange: Exchange, body: bytes) -> bytes:
        """The body with the watermark policy applied (clients' fields stripped, engines' set), if any applies."""
        policy = self.settings.watermark
        flagged = exchange.decision.action == "watermark"
        if not policy.edits_bodies:
            return body
        if not (flagged or policy.engine_fields or might_carry_client_fields(body)):
            return body
        data = orjson.loads(body)
        edit_request_body(data, policy, watermark=flagged, account_id=exchange.key.account_id)
        return orjson.dumps(data)

    async def chat(self, request: Request) -> Response:
        """``POST /v1/chat/completions``."""
        started = time.perf_counter()
        entry = self._authenticate(request)
        if isinstance(entry, Response):
            return entry
        try:
            body = await self._body(request)
        except ClientDisconnect:  # gone, or cut off by the server's body deadline (gateway/server.py)
            if request.scope.get(CUT_OFF) == "body":  # the server answered 408: logged as such
                late = error_response(408, "The request's body came too slowly", "invalid_request_error", None)
                return self.refused(request, late, "request_timeout", entry=entry)
            return self.refused(request, Response(status_code=499), "client_disconnected", entry=entry)
        if isinstance(body, Response):
            return self.refused(request, body, "body_too_large", entry=entry)
        try:
            chat = parse_chat_request(body)
        except BadRequestError as exc:
            bad = error_response(400, exc.message, "invalid_request_error", exc.code, exc.param)
            return self.refused(request, bad, exc.code, entry=entry, body_bytes=len(body))
        exchange, refusal = await self.engine.assess(
            entry, chat, ip=self._client_ip(request), user_agent=request.headers.get("user-agent"), started=started
        )
        headers = {"x-request-id": exchange.request_id}
        if refusal is not None:
            return refusal_response(refusal, headers)
        body = self._watermark_body(exchange, body)
        if chat.stream:
            return await self._forward_stream(exchange, body, headers, started)
        return await self._forward(request, exchange, body, headers, started)

    async def _upstream_failed(
        self, exchange: Exchange, outcome: Outcome, exc: TimeoutError | aiohttp.ClientError
    ) -> Response:
        """The answer to a request the upstream did not answer (timeout: 504, anything else: 502), recorded."""
        if isinstance(exc, TimeoutError):
            outcome.status, outcome.error = 504, "upstream timeout"
            response = error_response(504, "The upstream model server timed out", "upstream_error", "upstream_timeout")
        else:
            outcome.status, outcome.error = 502, f"upstream: {exc!r}"  # the details stay in the event log
            response = error_response(502, UPSTREAM_FAILED, "upstream_error", "upstream_error")
        await self.engine.settle(exchange, outcome, None)
        return response

    async def _forward(
        self, request: Request, exchange: Exchange, body: bytes, headers: dict[str, str], started: float
    ) -> Response:
        outcome = Outcome()
        sent = time.perf_counter()
        watch = ClientWatch(request)
        try:
            async with (
                watch,
                self.client.post(
                    f"{self.upstream}/v1/chat/completions", data=body, headers=self._upstream_headers(exchange)
                ) as upstream,
            ):
                status, content = upstream.status, await upstream.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            return await self._upstream_failed(exchange, outcome, exc)
        except asyncio.CancelledError:
            if not watch.left:
                raise
            outcome.status, outcome.error = 499, "client went away before the answer"  # the upstream call is dropped
            await self.engine.settle(exchange, outcome, None)
            return Response(status_code=499)
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
                if edit_completion(completion, self.engine.edit(exchange), outcome):
                    content = orjson.dumps(completion)
                response = Response(content, media_type="application/json")
        response.headers.update(headers)
        added_ms = (sent - started + time.perf_counter() - back) * 1000
        await self.engine.settle(exchange, outcome, added_ms)
        return response

    async def _forward_stream(
        self, exchange: Exchange, body: bytes, headers: dict[str, str], started: float
    ) -> Response:
        outcome = Outcome()
        try:
            upstream = await self.client.post(
                f"{self.upstream}/v1/chat/completions", data=body, headers=self._upstream_headers(exchange)
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            return await self._upstream_failed(exchange, outcome, exc)
        if upstream.status != 200:
            try:
                content = await upstream.read()
            except (TimeoutError, aiohttp.ClientError):
                content = b""
            upstream.release()
            response = self._passthrough(upstream.status, content)
            outcome.status, outcome.error = response.status_code, content[:300].decode("utf-8", "replace")
            await self.engine.settle(exchange, outcome, None)
            response.headers.update(headers)
            return response
        added_ms = (time.perf_counter() - started) * 1000
        editor = StreamEditor(self.engine.edit(exchange), outcome)
        return StreamingResponse(
            self._relay(exchange, upstream, editor, added_ms),
            media_type="text/event-stream",
            headers={**headers, "cache-control": "no-cache"},
        )

    async def _relay(
        self, exchange: Exchange, upstream: aiohttp.ClientResponse, editor: StreamEditor, added_ms: float
    ) -> AsyncIterator[bytes]:
        """The upstream's events, read whole (:mod:`~distillguard.gateway.sse`) and edited one by one.

        The closing ``[DONE]`` is sent once the exchange is recorded.
        """
        outcome = editor.outcome
        reader = EventReader()
        done: bytes | None = None
        try:
            async for chunk in upstream.content.iter_any():
                for event in reader.feed(chunk):
                    if event.data is not None and event.data.strip() == DONE:
                        editor.done, done = True, encode_event(DONE, event.lines)
                    elif done is None and (out := _edited_event(editor, event)):
                        yield out
            last = reader.close()
            if last is not None and done is None and (out := _edited_event(editor, last)):
                yield out
            if (held := editor.flush()) is not None:
                yield encode_event(orjson.dumps(held))
            if not editor.done and not outcome.finished and outcome.status == 200:
                outcome.status, outcome.error = 502, "upstream stream ended early"
                yield _error_event("The upstream model server ended the stream early", "upstream_stream_dropped")
        except TimeoutError:
            outcome.status, outcome.error = 504, "upstream timeout mid-stream"
            yield _error_event("The upstream model server timed out mid-stream", "upstream_timeout")
        except (aiohttp.ClientError, EventTooLargeError) as exc:
            outcome.status, outcome.error = 502, f"upstream stream dropped: {exc!r}"
            yield _error_event("The upstream model server dropped the stream", "upstream_stream_dropped")
        except BaseException:
            outcome.status, outcome.error = 499, "client went away"
            raise
        finally:
            upstream.release()
            with anyio.CancelScope(shield=True):
                await self.engine.settle(exchange, outcome, added_ms)
        if done is not None:
            yield done


class ClientWatch:
    """Within its block, the task that entered it is cancelled if the client disconnects (``left`` says so).

    For a whole (not streamed) answer: nothing else listens to the connection while the upstream
    works, so without this a client that left would be logged as answered, and the upstream would
    go on generating for no one.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.left = False
        self._owner: asyncio.Task[Any] | None = None
        self._watcher: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ClientWatch:
        self._owner = asyncio.current_task()
        self._watcher = asyncio.get_running_loop().create_task(self._watch())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        if self.left and self._owner is not None:
            self._owner.uncancel()  # the cancellation was ours: the caller answers 499 and goes on

    async def _watch(self) -> None:
        while (await self.request.receive())["type"] != "http.disconnect":
            pass
        self.left = True
        if self._owner is not None:
            self._owner.cancel()


def _edited_event(editor: StreamEditor, event: Event) -> bytes | None:
    """One upstream event as the client gets it, or ``None`` when nothing of it may be sent."""
    if event.data is None:
        return encode_event(None, event.lines)  # comments (keep-alives) and bare fields pass through
    payload = editor.payload(event.data)
    return None if payload is None else encode_event(payload, event.lines)


class GatewayApp:
    """The ASGI application: the hot route straight to the gateway, the rest through Starlette.

    ``POST /v1/chat/completions`` skips Starlette's router and middleware (a tenth of the
    gateway's time per request); its unexpected errors still answer 500 in OpenAI's shape.
    """

    def __init__(self, gateway: Gateway, starlette: Starlette) -> None:
        self.gateway = gateway
        self.starlette = starlette
        self.header_timeout_s = gateway.settings.header_timeout_s  # read by the server's protocol
        self.body_timeout_s = gateway.settings.body_timeout_s

    def client_timed_out(self, phase: str) -> None:
        """Count a connection the server cut off because the client was too slow."""
        self.gateway.engine.metrics.timeouts.labels(phase).inc()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] == "http" and scope["path"] == CHAT_PATH and scope["method"] == "POST":
            try:
                response = await self.gateway.chat(Request(scope, receive))
            except Exception:
                LOG.exception("unexpected error on %s", CHAT_PATH)
                response = error_response(500, "The gateway failed on this request", "server_error", "internal_error")
            await response(scope, receive, send)
            return
        await self.starlette(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Start and stop the gateway around a block (for embedding and tests)."""
        async with self.starlette.router.lifespan_context(self.starlette):
            yield


def create_app(settings: GatewaySettings, *, state: StateStore | None = None) -> GatewayApp:
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
        message = f"Unknown request URL: {request.method} {request.url.path[:REFUSAL_TEXT]}"
        return gateway.refused(
            request, error_response(404, message, "invalid_request_error", "unknown_url"), "unknown_url"
        )

    async def not_allowed(request: Request, exc: Exception) -> Response:
        message = f"Method {request.method[:16]} is not allowed on {request.url.path[:REFUSAL_TEXT]}"
        refusal = error_response(405, message, "invalid_request_error", "method_not_allowed")
        return gateway.refused(request, refusal, "method_not_allowed")

    starlette = Starlette(
        routes=[
            Route(CHAT_PATH, gateway.chat, methods=["POST"]),
            Route("/v1/models", gateway.models, methods=["GET"]),
            Route("/healthz", gateway.health, methods=["GET"]),
            Route("/metrics", gateway.metrics, methods=["GET"]),
        ],
        exception_handlers={404: not_found, 405: not_allowed},
        lifespan=lifespan,
    )
    # No redirect of /v1/chat/completions/ to the slash-less path: it came before any key check and named
    # the client's own Host header back to it. Such paths are unknown URLs, refused and recorded.
    starlette.router.redirect_slashes = False
    return GatewayApp(gateway, starlette)


def app_from_environment() -> GatewayApp:
    """The app of one worker of ``serve --workers N``, from the settings the parent put in the environment."""
    return create_app(GatewaySettings.model_validate_json(os.environ[SETTINGS_VARIABLE]))
