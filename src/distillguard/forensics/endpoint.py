"""A model behind an OpenAI-compatible endpoint (vLLM, llama.cpp's server, a hosted API).

``chat`` sends one ``/chat/completions`` request per prompt. ``predict_next`` (open-model
radioactivity) sends the token ids as the prompt of ``/completions`` with ``echo``,
``logprobs: 1`` and ``max_tokens: 1``, and reads each position's most likely token; an endpoint
that does not give prompt logprobs says so with a clear error (use closed mode there).

Every failure becomes :class:`~distillguard.errors.ModelUnavailableError` naming the model and what
went wrong: connection refused, a timeout, an HTTP error status, or a body that is not the
OpenAI shape. The HTTP transport can be injected (``httpx.MockTransport`` in unit tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from distillguard.errors import ModelUnavailableError
from distillguard.forensics.models import Ints
from distillguard.forensics.spec import ModelSpec


def _token_id(tokenizer: Any, text: str) -> int:
    """A returned token as an id: a raw vocabulary entry ("Ġthe") as it is, decoded text (" the") re-encoded."""
    raw = tokenizer.get_vocab().get(text)
    if raw is not None:
        return int(raw)
    ids = tokenizer(text, add_special_tokens=False).input_ids
    return int(ids[0]) if ids else -1


class EndpointModel:
    """An OpenAI-compatible endpoint as a forensics model."""

    def __init__(self, spec: ModelSpec, client: httpx.Client, model_name: str) -> None:
        self.label = spec.label
        self.spec = spec
        self.client = client
        self.model_name = model_name

    @classmethod
    def connect(
        cls, spec: ModelSpec, *, timeout_s: float = 120.0, transport: httpx.BaseTransport | None = None
    ) -> EndpointModel:
        """Connect and learn the model name (``/models``) where the SPEC gives none."""
        client = httpx.Client(base_url=spec.location, timeout=timeout_s, transport=transport)
        name = spec.model_name
        if name is None:
            try:
                body = cls._request(client, spec.label, "GET", "/models", None)
            except ModelUnavailableError:
                client.close()
                raise
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list) or not data or not isinstance(data[0], dict) or "id" not in data[0]:
                client.close()
                raise ModelUnavailableError(
                    f"{spec.label}: {spec.location}/models lists no model; name one as URL#MODEL"
                )
            name = str(data[0]["id"])
        return cls(spec, client, name)

    def __enter__(self) -> EndpointModel:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @staticmethod
    def _request(client: httpx.Client, label: str, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        where = f"{str(client.base_url).rstrip('/')}{path}"
        try:
            response = client.request(method, path, json=payload)
        except httpx.TimeoutException as exc:
            raise ModelUnavailableError(f"{label}: {where} did not answer within {client.timeout.read}s") from exc
        except httpx.HTTPError as exc:
            raise ModelUnavailableError(f"{label}: cannot reach {where} ({exc.__class__.__name__}: {exc})") from exc
        if response.status_code >= 400:
            raise ModelUnavailableError(
                f"{label}: {where} answered HTTP {response.status_code}: {response.text[:200]!r}"
            )
        try:
            return response.json()
        except ValueError as exc:
            raise ModelUnavailableError(
                f"{label}: {where} answered something that is not JSON: {response.text[:200]!r}"
            ) from exc

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def chat(self, prompts: Sequence[str], *, max_new_tokens: int, temperature: float, seed: int) -> list[str]:
        """One chat completion per prompt."""
        answers = []
        for index, prompt in enumerate(prompts):
            body = self._request(
                self.client,
                self.label,
                "POST",
                "/chat/completions",
                {
                    "model": self.model_name,
                    "messages": [{"role": "user", "content": prompt}],
                    "max_tokens": max_new_tokens,
                    "temperature": temperature,
                    "seed": seed + index,
                },
            )
            try:
                content = body["choices"][0]["message"]["content"]
            except (KeyError, IndexError, TypeError) as exc:
                raise ModelUnavailableError(
                    f"{self.label}: /chat/completions answered without choices[0].message.content: {str(body)[:200]!r}"
                ) from exc
            if not isinstance(content, str):
                raise ModelUnavailableError(
                    f"{self.label}: /chat/completions content is {type(content).__name__}, not text"
                )
            answers.append(content.strip())
        return answers

    def predict_next(self, sequences: Sequence[Ints], tokenizer: Any) -> list[Ints]:
        """The endpoint's most likely token after each prefix, from prompt logprobs."""
        results = []
        for seq in sequences:
            body = self._request(
                self.client,
                self.label,
                "POST",
                "/completions",
                {
                    "model": self.model_name,
                    "prompt": [int(t) for t in seq],
                    "max_tokens": 1,
                    "echo": True,
                    "logprobs": 1,
                    "temperature": 0,
                },
            )
            try:
                top = body["choices"][0]["logprobs"]["top_logprobs"]
            except (KeyError, IndexError, TypeError) as exc:
                raise ModelUnavailableError(
                    f"{self.label}: /completions gives no prompt logprobs (echo + logprobs); test it with --mode closed"
                ) from exc
            if not isinstance(top, list) or len(top) < len(seq) + 1:
                raise ModelUnavailableError(
                    f"{self.label}: /completions gave {len(top) if isinstance(top, list) else 0} logprob positions "
                    f"for {len(seq)} prompt tokens plus one; test it with --mode closed"
                )
            predicted = np.full(len(seq), -1, dtype=np.int64)
            for index, options in enumerate(top[1 : len(seq) + 1]):
                if isinstance(options, dict) and options:
                    text = str(max(options.items(), key=lambda item: float(item[1]))[0])
                    predicted[index] = _token_id(tokenizer, text)
            results.append(predicted)
        return results
