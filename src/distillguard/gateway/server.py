"""The gateway's HTTP protocol: uvicorn's httptools protocol with deadlines on each request's headers and body.

uvicorn bounds an idle kept-alive connection (``timeout_keep_alive``) but not a client that
sends its request slowly: any byte restarts the wait, and a connection that sends nothing at all
is never timed out, so a client trickling one byte a second holds a connection (and its memory)
for as long as it likes. :class:`GatewayHttpProtocol` gives each request ``header_timeout_s``
from its first byte (on a new connection, from the connection's opening) to the end of its
headers, and ``body_timeout_s`` from there to the end of its body; past either it answers 408
(unless a response has begun) and closes the connection, and the application, waiting for the
rest of the body, sees the client gone. Between requests uvicorn's keep-alive timeout closes an
idle connection. A request read whole at once (the usual case) starts no timer at all. ``serve`` runs uvicorn with this
protocol (``http="distillguard.gateway.server:GatewayHttpProtocol"``), in every worker.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final, Protocol, cast

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: The scope key set on a request cut off by a deadline (its phase), for the application to log it as such.
CUT_OFF: Final = "distillguard.cut_off"
#: Used where the application does not say (it is not the gateway's).
DEFAULT_HEADER_TIMEOUT_S: Final = 10.0
DEFAULT_BODY_TIMEOUT_S: Final = 30.0


class TimeoutAware(Protocol):
    """What the protocol asks of the application it serves."""

    header_timeout_s: float
    body_timeout_s: float

    def client_timed_out(self, phase: str) -> None:
        """Count a connection cut off because the client was too slow (``phase``: headers or body)."""
        ...


def _gateway_app(app: Any) -> TimeoutAware | None:
    """The gateway's application under uvicorn's middlewares (they keep the app they wrap as ``.app``)."""
    for _ in range(8):
        if hasattr(app, "header_timeout_s") and hasattr(app, "client_timed_out"):
            found: TimeoutAware = app
            return found
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


def timeout_response(seconds: float, what: str) -> bytes:
    """A raw HTTP 408 in OpenAI's error shape that closes the connection."""
    message = f"The request's {what} did not arrive within {seconds:g} s"
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": "request_timeout"}
    body = orjson.dumps({"error": error})
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class GatewayHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with deadlines on each request's headers and body."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._served = _gateway_app(self.app)
        served = self._served
        self.header_timeout_s = DEFAULT_HEADER_TIMEOUT_S if served is None else served.header_timeout_s
        self.body_timeout_s = DEFAULT_BODY_TIMEOUT_S if served is None else served.body_timeout_s
        self._headers_due: asyncio.TimerHandle | None = None
        self._body_due: asyncio.TimerHandle | None = None
        self._phase = ""  # "headers" or "body" while a request is being read

    def _disarm(self) -> None:
        for timer in (self._headers_due, self._body_due):
            if timer is not None:
                timer.cancel()
        self._headers_due = self._body_due = None

    def _cut_off(self, phase: str, seconds: float) -> None:
        """The client was too slow: 408 unless a response has begun, then the connection closes."""
        self._headers_due = self._body_due = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self.transport.write(timeout_response(seconds, phase))
        if self.cycle is not None and not self.cycle.response_complete:
            scope: dict[str, Any] = cast("dict[str, Any]", self.cycle.scope)  # a plain dict at run time
            scope[CUT_OFF] = phase  # the application reads it when it sees the client gone
        self.transport.close()  # the application waiting for the body sees the client gone
        if self._served is not None:
            self._served.client_timed_out(phase)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Accept the connection and start waiting for the first request's headers."""
        super().connection_made(transport)
        self._headers_due = self.loop.call_later(self.header_timeout_s, self._cut_off, "headers", self.header_timeout_s)

    def data_received(self, data: bytes) -> None:
        """Parse what came; a request left half-read starts the deadline of the part it is in.

        A request that arrives whole in one read (the usual case) never starts a timer; between
        requests, uvicorn's keep-alive timeout closes an idle connection.
        """
        super().data_received(data)
        if self._phase == "headers" and self._headers_due is None:
            self._headers_due = self.loop.call_later(
                self.header_timeout_s, self._cut_off, "headers", self.header_timeout_s
            )
        elif self._phase == "body" and self._body_due is None:
            self._body_due = self.loop.call_later(self.body_timeout_s, self._cut_off, "body", self.body_timeout_s)

    def on_message_begin(self) -> None:
        """A request's first bytes."""
        super().on_message_begin()
        self._phase = "headers"

    def on_headers_complete(self) -> None:
        """The headers came in time."""
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None
        super().on_headers_complete()
        self._phase = "body"

    def on_message_complete(self) -> None:
        """The body came in time."""
        if self._body_due is not None:
            self._body_due.cancel()
            self._body_due = None
        super().on_message_complete()
        self._phase = ""

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection closed, whoever closed it."""
        self._disarm()
        super().connection_lost(exc)
