"""The models forensics talks to: one protocol, a local (torch) and an endpoint implementation.

Every model answers chat prompts (``chat``). A model that exposes its next-token preferences also
answers ``predict_next``: for token sequences in a given tokenizer's ids, its most likely next
token at every position (teacher forcing), which radioactivity's open-model mode scores. A local
model does that in one forward pass per batch; an endpoint through ``/v1/completions`` with
``echo`` and ``logprobs`` where it offers them.

``open_model(spec)`` opens a SPEC (:mod:`distillguard.forensics.spec`); a model that cannot be
loaded raises :class:`~distillguard.errors.ModelUnavailableError` naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from distillguard.forensics.spec import ModelSpec

Ints = npt.NDArray[np.int64]
#: A plain prompt format for models without a chat template (base models such as Gemma 3 270M).
PLAIN_FORMAT = "Question: {prompt}\nAnswer:"


@runtime_checkable
class ChatModel(Protocol):
    """A model that answers prompts."""

    label: str

    def chat(self, prompts: Sequence[str], *, max_new_tokens: int, temperature: float, seed: int) -> list[str]:
        """One answer per prompt (``temperature`` 0: greedy)."""
        ...


@runtime_checkable
class PredictingModel(ChatModel, Protocol):
    """A model that also reports its most likely next token under teacher forcing."""

    def predict_next(self, sequences: Sequence[Ints], tokenizer: Any) -> list[Ints]:
        """For each sequence of ``tokenizer`` ids, the predicted id after each prefix (-1 where unknown).

        Entry ``i`` of a result is the prediction after ``sequence[: i + 1]``.
        """
        ...


def close_model(model: object) -> None:
    """Release what a model holds (an endpoint's connections); local models hold nothing to close."""
    close = getattr(model, "close", None)
    if callable(close):
        close()


def open_model(spec: ModelSpec, *, device: str = "cpu", timeout_s: float = 120.0) -> ChatModel:
    """Open a SPEC: load a local model, or connect to an endpoint (checked with one request)."""
    if spec.kind == "endpoint":
        from distillguard.forensics.endpoint import EndpointModel  # noqa: PLC0415

        return EndpointModel.connect(spec, timeout_s=timeout_s)
    from distillguard.forensics.local_model import LocalModel  # noqa: PLC0415 (needs torch)

    return LocalModel.load(spec, device=device)
