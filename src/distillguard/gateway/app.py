"""The gateway: an OpenAI-compatible reverse proxy that scores, decides and enforces per request.

Routes: ``POST /v1/chat/completions`` (streamed or not), ``GET /v1/models``, ``GET /healthz``,
``GET /metrics``.
Per request: authenticate the key (401), read the body within ``max_body_bytes`` (413), validate
it (400), then the :class:`~distillguard.gateway.engine.Engine` scores, decides and takes the
request from the account's budget; a refusal (403, 429 with ``Retry-After``, 503) is answered
here, and the rest go upstream with their edits. Upstream failures reach the client as 502/504
in OpenAI's error shape, in a stream as a final ``error`` event. Every request, refused or not,
is written to the event log with its decision.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import time
from collections.abc import AsyncIterator

import aiohttp
import anyio
import orjson
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from distillguard.errors import ConfigError
from distillguard.gateway.chat_request import BadRequestError, parse_chat_request
from distillguard.gateway.engine import Engine, Exchange, Refusal
from distillguard.gateway.keys import KeyEntry, KeyRing
from distillguard.gateway.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from distillguard.gateway.relay import Outcome, StreamEditor, edit_completion
from distillguard.gateway.settings import GatewaySettings
from distillguard.gateway.state import StateStore
from distillguard.gateway.watermark import edit_request_body, might_carry_client_fields

LOG = logging.getLogger("distillguard.gateway")
CHAT_PATH = "/v1/chat/completions"
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
            return error_response(401, "Missing API key: send Authorization: Bearer KEY", "invalid_request_error", None)
        entry = self.keys.lookup(key)
        if entry is None:
            return error_response(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key")
        return entry

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
        if self.settings.forwarded_for:
            forwarded = request.headers.get("x-forwarded-for")
            if forwarded:
                return forwarded.split(",")[0].strip()
        return request.client.host if request.client else None

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
            return error_response(502, f"The upstream model server failed: {exc}", "upstream_error", "upstream_error")
        return self._passthrough(upstream.status, content)

    def _passthrough(self, status: int, content: bytes) -> Response:
        if status >= 500:
            detail = content[:300].decode("utf-8", "replace")
            return error_response(
                502, f"The upstream model server answered {status}: {detail}", "upstream_error", "upstream_error"
            )
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
        except ClientDisconnect:
            return Response(status_code=400)
        if isinstance(body, Response):
            return body
        try:
            chat = parse_chat_request(body)
        except BadRequestError as exc:
            return error_response(400, exc.message, "invalid_request_error", exc.code, exc.param)
        exchange, refusal = await self.engine.assess(
            entry, chat, ip=self._client_ip(request), user_agent=request.headers.get("user-agent"), started=started
        )
        headers = {"x-request-id": exchange.request_id}
        if refusal is not None:
            return refusal_response(refusal, headers)
        body = self._watermark_body(exchange, body)
        if chat.stream:
            return await self._forward_stream(exchange, body, headers, started)
        return await self._forward(exchange, body, headers, started)

    async def _upstream_failed(
        self, exchange: Exchange, outcome: Outcome, exc: TimeoutError | aiohttp.ClientError
    ) -> Response:
        """The answer to a request the upstream did not answer (timeout: 504, anything else: 502), recorded."""
        if isinstance(exc, TimeoutError):
            outcome.status, outcome.error = 504, "upstream timeout"
            response = error_response(504, "The upstream model server timed out", "upstream_error", "upstream_timeout")
        else:
            outcome.status, outcome.error = 502, f"upstream: {exc!r}"
            message = f"The upstream model server failed: {exc}"
            response = error_response(502, message, "upstream_error", "upstream_error")
        await self.engine.settle(exchange, outcome, None)
        return response

    async def _forward(self, exchange: Exchange, body: bytes, headers: dict[str, str], started: float) -> Response:
        outcome = Outcome()
        sent = time.perf_counter()
        try:
            async with self.client.post(
                f"{self.upstream}/v1/chat/completions", data=body, headers=self._upstream_headers(exchange)
            ) as upstream:
                status, content = upstream.status, await upstream.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            return await self._upstream_failed(exchange, outcome, exc)
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
                await self.engine.settle(exchange, outcome, added_ms)


class GatewayApp:
    """The ASGI application: the hot route straight to the gateway, the rest through Starlette.

    ``POST /v1/chat/completions`` skips Starlette's router and middleware (a tenth of the
    gateway's time per request); its unexpected errors still answer 500 in OpenAI's shape.
    """

    def __init__(self, gateway: Gateway, starlette: Starlette) -> None:
        self.gateway = gateway
        self.starlette = starlette

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
        message = f"Unknown request URL: {request.method} {request.url.path}"
        return error_response(404, message, "invalid_request_error", "unknown_url")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        message = f"Method {request.method} is not allowed on {request.url.path}"
        return error_response(405, message, "invalid_request_error", "method_not_allowed")

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
    return GatewayApp(gateway, starlette)


def app_from_environment() -> GatewayApp:
    """The app of one worker of ``serve --workers N``, from the settings the parent put in the environment."""
    return create_app(GatewaySettings.model_validate_json(os.environ[SETTINGS_VARIABLE]))
