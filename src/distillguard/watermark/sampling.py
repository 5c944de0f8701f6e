"""The watermark at sampling time, once for every engine: next-token logits in, marked logits out.

:class:`Watermarker` takes a batch of next-token logits (rows x vocabulary, numpy) and each
row's generated token ids so far, and returns the logits the engine should sample from:

- ``kgw``: ``delta`` added to the green tokens of each row's context (the model's logits, before
  the engine's temperature);
- ``gumbel``: the keyed Gumbel-max choice ``argmax_t (logit_t / T - log(-log r_t))`` over the
  tokens that ``top_k``/``top_p`` keep, returned as a one-hot row (0 for the choice, ``-inf``
  elsewhere), so whatever the engine samples next it takes that token. A context already seen
  in the row is sampled as usual (its logits untouched), as vLLM does: a repeated context would
  repeat its token and loop, and detection counts each context once anyway.

The context of a position is the ``h`` tokens generated before it (``-1`` before the first),
never the prompt, so detection from the response text alone sees the same contexts. The
adapters in :mod:`distillguard.watermark.processors` wrap this for Hugging Face transformers,
llama-cpp-python and vLLM.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from distillguard.errors import WatermarkError
from distillguard.watermark.schemes import GreenList, GumbelMax, Scheme

Floats32 = npt.NDArray[np.float32]


def contexts_of(generated: Sequence[Sequence[int]], width: int) -> npt.NDArray[np.int64]:
    """Each row's last ``width`` generated tokens, ``-1`` where fewer were generated."""
    rows = np.full((len(generated), width), -1, dtype=np.int64)
    for index, tokens in enumerate(generated):
        tail = list(tokens[-width:]) if width else []
        if tail:
            rows[index, width - len(tail) :] = tail
    return rows


def _nucleus(probabilities: npt.NDArray[np.float64], top_p: float) -> npt.NDArray[np.int64]:
    """The most likely tokens, in order, until their mass reaches ``top_p`` (the first that reaches it included).

    Partitions out the top 64 (then 512, 4096, ...) instead of sorting the whole vocabulary:
    the nucleus of a sampled distribution is almost always a few dozen tokens.
    """
    size = probabilities.size
    count = 64
    while count < size:
        top = np.argpartition(-probabilities, count)[:count]
        if probabilities[top].sum() >= top_p:
            break
        count *= 8
    else:
        top = np.arange(size)
    order = top[np.argsort(-probabilities[top], kind="stable")]
    ranked = probabilities[order]
    mass_before = np.cumsum(ranked) - ranked
    return order[mass_before < top_p].astype(np.int64)


def _truncate(logits: npt.NDArray[np.float64], top_k: int, top_p: float) -> npt.NDArray[np.int64]:
    """The tokens that ``top_k`` then ``top_p`` keep (at least the most likely one)."""
    keep = np.isfinite(logits)
    if top_k and top_k < logits.size:
        threshold = np.partition(logits, -top_k)[-top_k]
        keep &= logits >= threshold
    allowed = np.flatnonzero(keep)
    if top_p < 1.0:
        shifted = np.exp(logits[allowed] - logits[allowed].max())
        allowed = allowed[_nucleus(shifted / shifted.sum(), top_p)]
    return allowed.astype(np.int64)


class Watermarker:
    """A scheme applied to batches of next-token logits; one instance per generation request."""

    def __init__(self, scheme: Scheme, *, temperature: float = 1.0, top_p: float = 1.0, top_k: int = 0) -> None:
        if not isinstance(scheme, GreenList | GumbelMax):
            raise WatermarkError(f"{scheme.key.scheme} keys mark text inside their own engine, not through a processor")
        if isinstance(scheme, GumbelMax) and temperature <= 0:
            raise WatermarkError("the Gumbel-max watermark needs a temperature above 0 (greedy text cannot carry it)")
        if not 0 < top_p <= 1:
            raise WatermarkError(f"top_p must be in (0, 1], not {top_p}")
        self.scheme = scheme
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k
        self._seen: dict[int, set[tuple[int, ...]]] = {}
        self._lengths: dict[int, int] = {}

    def _is_repeat(self, row: int, tokens: Sequence[int]) -> bool:
        """Whether ``row``'s current context already occurred earlier in its own generation."""
        width = self.scheme.context_width
        seen = self._seen.setdefault(row, set())
        padded = [-1] * width + list(tokens)
        start = self._lengths.get(row, 0)
        if start > len(tokens):  # a new generation in this row: start over
            seen.clear()
            start = 0
        for position in range(start, len(tokens)):
            seen.add(tuple(padded[position : position + width]))
        self._lengths[row] = len(tokens)
        return tuple(padded[len(tokens) : len(tokens) + width]) in seen

    def process(self, generated: Sequence[Sequence[int]], logits: Floats32) -> Floats32:
        """The logits to sample from, for rows with ``generated`` tokens so far."""
        scores = np.asarray(logits, dtype=np.float32)
        if scores.ndim != 2 or scores.shape[0] != len(generated):
            raise WatermarkError(f"logits of shape {scores.shape} for {len(generated)} rows")
        vocab_size = scores.shape[1]
        contexts = contexts_of(generated, self.scheme.context_width)
        if isinstance(self.scheme, GreenList):
            green = self.scheme.green_masks(contexts, vocab_size)
            return scores + np.float32(self.scheme.delta) * green.astype(np.float32)
        out = scores.copy()
        numbers = self.scheme.vocabularies(contexts, vocab_size)
        for row, tokens in enumerate(generated):
            if self._is_repeat(row, tokens):
                continue
            row_logits = scores[row].astype(np.float64) / self.temperature
            allowed = _truncate(row_logits, self.top_k, self.top_p)
            gumbel = -np.log(-np.log(numbers[row, allowed]))
            choice = int(allowed[np.argmax(row_logits[allowed] + gumbel)])
            out[row] = -np.inf
            out[row, choice] = 0.0
        return out
