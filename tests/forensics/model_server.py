"""An OpenAI-compatible server over a real local model, with failure modes, for the endpoint tests.

Serves ``/v1/models``, ``/v1/chat/completions`` and ``/v1/completions`` (``echo`` with
``logprobs``: the prompt's top tokens, as vLLM and OpenAI's legacy API answer) from a
transformers model directory. The ``model`` field picks a failure, as the gateway's canned
server does: ``broken`` (HTTP 500), ``garbage`` (200 with a body that is not JSON), ``shapeless``
(JSON without choices), ``slow`` (answers after 30 s), ``nologprobs`` (completions without
logprobs). Run: ``python -m tests.forensics.model_server --model DIR --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import numpy as np
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from distillguard.forensics.local_model import LocalModel
from distillguard.forensics.spec import parse_spec


def build_app(model: LocalModel) -> Starlette:
    """The server's routes over one model."""

    async def failure(name: str) -> Response | None:
        if name == "broken":
            return PlainTextResponse("internal error", status_code=500)
        if name == "garbage":
            return PlainTextResponse("<html>not an API</html>")
        if name == "shapeless":
            return JSONResponse({"object": "list", "data": []})
        if name == "slow":
            await asyncio.sleep(30)
        return None

    async def models(_: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "tiny", "object": "model"}]})

    async def chat(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        failed = await failure(str(body.get("model")))
        if failed is not None:
            return failed
        prompt = body["messages"][-1]["content"]
        text = model.chat(
            [prompt],
            max_new_tokens=int(body.get("max_tokens", 16)),
            temperature=float(body.get("temperature", 1.0)),
            seed=int(body.get("seed", 0)),
        )[0]
        return JSONResponse({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]})

    async def completions(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        failed = await failure(str(body.get("model")))
        if failed is not None:
            return failed
        ids = np.asarray(body["prompt"], dtype=np.int64)
        if body.get("model") == "nologprobs":
            return JSONResponse({"choices": [{"index": 0, "text": ""}]})
        predicted = model.predict_next([ids], model.tokenizer)[0]
        tokens = [model.tokenizer.decode([int(t)]) for t in predicted]
        top = [None] + [{token: -0.5} for token in tokens]  # position i: the most likely token after i tokens
        return JSONResponse({"choices": [{"index": 0, "text": "", "logprobs": {"top_logprobs": top}}]})

    return Starlette(
        routes=[
            Route("/v1/models", models),
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/completions", completions, methods=["POST"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    model = LocalModel.load(parse_spec(args.model))
    uvicorn.run(build_app(model), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
