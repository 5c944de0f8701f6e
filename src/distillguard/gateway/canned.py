"""A minimal OpenAI-compatible model server with canned replies.

For trying a gateway configuration without a model, for the gateway benchmark (no real model
serves 1,000 requests/s on a laptop) and for rehearsing failures. It answers every chat
completion with the same reply, streamed or not, with ``reasoning_content`` and an inline
``<think>`` block so reasoning stripping can be seen. The model name picks a failure:

- ``canned-500``: a 500 error;
- ``canned-slow-<seconds>``: waits that long before answering;
- ``canned-drop``: a stream that stops after two chunks, without ``[DONE]``;
- ``canned-trickle``: a stream with a second's pause between chunks (for clients that leave mid-way);
- ``canned-gzip``: the answer gzip-compressed (``Content-Encoding: gzip``), as hosted APIs send it.

Run it with ``python -m distillguard.gateway.canned --port 8000``.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import time
from collections.abc import AsyncIterator
from typing import Any, Final

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

REASONING: Final = "The user asks a question; recall the fact and answer briefly."
ANSWER: Final = "<think>Check the fact once more.</think>\n\nThe capital of France is Paris."
PIECES: Final = ("<thi", "nk>Check the fact ", "once more.</th", "ink>\n\nThe capital", " of France is Paris.")
SEEN_HEADERS: Final = ("x-distillguard-watermark", "x-distillguard-account", "x-request-id")


def _completion(model: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-canned",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ANSWER, "reasoning_content": REASONING},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 24, "total_tokens": 36},
        "system_fingerprint": orjson.dumps(headers).decode(),  # what the gateway sent, for tests
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-canned",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + orjson.dumps(body) + b"\n\n"


async def _stream(model: str, usage: bool) -> AsyncIterator[bytes]:
    yield _chunk(model, {"role": "assistant", "content": "", "reasoning_content": REASONING[:20]})
    yield _chunk(model, {"reasoning_content": REASONING[20:]})
    if model == "canned-drop":
        return
    for piece in PIECES:
        if model == "canned-trickle":
            await asyncio.sleep(1.0)
        yield _chunk(model, {"content": piece})
    yield _chunk(model, {}, "stop")
    if usage:
        tail = {"id": "chatcmpl-canned", "object": "chat.completion.chunk", "choices": [], "usage": {}}
        tail["usage"] = {"prompt_tokens": 12, "completion_tokens": 24, "total_tokens": 36}
        yield b"data: " + orjson.dumps(tail) + b"\n\n"
    yield b"data: [DONE]\n\n"


async def chat(request: Request) -> Response:
    """``POST /v1/chat/completions`` with the canned reply."""
    body = orjson.loads(await request.body())
    model = str(body.get("model", "canned"))
    if model == "canned-500":
        error = {"error": {"message": "canned failure", "type": "server_error", "param": None, "code": None}}
        return Response(orjson.dumps(error), status_code=500, media_type="application/json")
    if model.startswith("canned-slow-"):
        await asyncio.sleep(float(model.rsplit("-", 1)[1]))
    if body.get("stream"):
        usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(_stream(model, usage), media_type="text/event-stream")
    headers = {k: v for k, v in request.headers.items() if k in SEEN_HEADERS}
    completion = _completion(model, headers)
    if model == "canned-echo":  # the body the gateway sent, as the answer (for tests of body edits)
        completion["choices"][0]["message"] = {"role": "assistant", "content": orjson.dumps(body).decode()}
    content = orjson.dumps(completion)
    if model == "canned-gzip":
        encoded = {"content-encoding": "gzip"}
        return Response(gzip.compress(content), media_type="application/json", headers=encoded)
    return Response(content, media_type="application/json")


async def models(_request: Request) -> Response:
    """``GET /v1/models``."""
    listing = {"object": "list", "data": [{"id": "canned", "object": "model", "owned_by": "distillguard"}]}
    return Response(orjson.dumps(listing), media_type="application/json")


app = Starlette(
    routes=[
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
    ]
)


def main() -> None:
    """Serve the canned model server."""
    import uvicorn  # noqa: PLC0415 (only when run as a program)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
