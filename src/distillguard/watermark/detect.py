"""Detection: (context, token) pairs from token sequences, de-duplicated, scored and tested exactly.

A text of ``L`` tokens gives ``L`` pairs: each token with the ``h`` tokens before it (``-1``
before the text starts, as at generation, whose context is the response's own tokens). Pairs
that repeat carry no new evidence (a repeated phrase repeats its green count), so each
distinct pair counts once (``dedupe = "pair"``; for vLLM's scheme each distinct context,
as its detector does). Under the null (text written without the key) the distinct pairs' scores
are independent, so the p-values of :mod:`distillguard.watermark.stats` are exact.

Pooling tests many texts as one (an account's responses, a campaign, a suspect corpus), with
duplicates removed across the whole pool, so boilerplate repeated in every text counts once.
:func:`detect_many` scores any number of texts in one vectorised pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from distillguard.errors import WatermarkError
from distillguard.watermark.schemes import GreenList, Scheme
from distillguard.watermark.stats import green_z

Ints = npt.NDArray[np.int64]
PAD = -1


@dataclass(frozen=True)
class Detection:
    """One test: its p-value, the distinct pairs it rests on, and the statistic."""

    key_id: str
    scheme: str
    p_value: float
    tokens_scored: int
    tokens_seen: int
    statistic_name: str
    statistic: float
    #: ``green_fraction`` and ``z`` for a green list.
    extra: tuple[tuple[str, float], ...] = ()

    def record(self) -> dict[str, Any]:
        """The detection as one JSON object."""
        out: dict[str, Any] = {
            "key_id": self.key_id,
            "scheme": self.scheme,
            "p_value": self.p_value,
            "tokens_scored": self.tokens_scored,
            "tokens": self.tokens_seen,
            self.statistic_name: int(self.statistic) if self.statistic_name == "green_tokens" else self.statistic,
        }
        out.update(self.extra)
        return out


def sequence_pairs(token_ids: npt.ArrayLike, context_width: int) -> tuple[Ints, Ints]:
    """Every position of one sequence as (context row of ``h`` ids, token)."""
    contexts, tokens, _ = texts_pairs([np.asarray(token_ids, dtype=np.int64)], context_width)
    return contexts, tokens


def texts_pairs(sequences: Sequence[npt.ArrayLike], context_width: int) -> tuple[Ints, Ints, Ints]:
    """The pairs of many sequences at once: contexts (n x h), tokens (n), and each pair's text index."""
    arrays = [np.asarray(seq, dtype=np.int64).reshape(-1) for seq in sequences]
    for index, array in enumerate(arrays):
        if array.size and int(array.min()) < 0:
            raise WatermarkError(f"text {index}: token ids must be non-negative")
    lengths = np.array([array.size for array in arrays], dtype=np.int64)
    total = int(lengths.sum())
    h = context_width
    if total == 0:
        return np.empty((0, h), dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    # Each text is laid out as h pads then its tokens; position p (a real token) has context [p-h, p).
    pieces: list[Ints] = []
    pad = np.full(h, PAD, dtype=np.int64)
    for array in arrays:
        pieces.extend((pad, array))
    laid = np.concatenate(pieces)
    starts = np.cumsum(lengths + h) - lengths  # where each text's first real token sits
    text_of = np.repeat(np.arange(len(arrays), dtype=np.int64), lengths)
    positions = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions += np.repeat(starts, lengths)
    windows = sliding_window_view(laid, h + 1)
    rows = windows[positions - h]
    return np.ascontiguousarray(rows[:, :h]), np.ascontiguousarray(rows[:, h]), text_of


def _first_occurrences(columns: Ints) -> Ints:
    """Indices of the first occurrence of each distinct row of ``columns``, in order."""
    if columns.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    rows = np.ascontiguousarray(columns)
    as_bytes = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).reshape(-1)
    _, first = np.unique(as_bytes, return_index=True)
    return np.sort(first).astype(np.int64)


def distinct(scheme: Scheme, contexts: Ints, tokens: Ints, groups: Ints) -> Ints:
    """Which pairs count: the first of each distinct (group, context, token), or (group, context)."""
    columns = [groups.reshape(-1, 1), contexts]
    if scheme.dedupe == "pair":
        columns.append(tokens.reshape(-1, 1))
    return _first_occurrences(np.hstack(columns))


def _detections(scheme: Scheme, statistic: npt.NDArray[np.float64], counts: Ints, seen: Ints) -> list[Detection]:
    p_values = scheme.p_values(statistic, counts)
    extras: list[tuple[tuple[str, float], ...]] = [()] * len(counts)
    if isinstance(scheme, GreenList):
        fraction = np.where(counts > 0, statistic / np.maximum(counts, 1), 0.0)
        z = green_z(statistic, counts, scheme.gamma)
        extras = [(("green_fraction", float(f)), ("z", float(v))) for f, v in zip(fraction, z, strict=True)]
    return [
        Detection(
            key_id=scheme.key.key_id,
            scheme=scheme.key.scheme,
            p_value=float(p),
            tokens_scored=int(n),
            tokens_seen=int(s),
            statistic_name=scheme.statistic_name,
            statistic=float(stat),
            extra=extra,
        )
        for p, n, s, stat, extra in zip(p_values, counts, seen, statistic, extras, strict=True)
    ]


def detect_pairs(scheme: Scheme, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> Detection:
    """One test over explicit (context, token) pairs (de-duplicated), e.g. a suspect model's choices."""
    rows = np.ascontiguousarray(np.asarray(contexts, dtype=np.int64).reshape(-1, scheme.context_width))
    column = np.asarray(tokens, dtype=np.int64).reshape(-1)
    if rows.shape[0] != column.shape[0]:
        raise WatermarkError(f"{rows.shape[0]} contexts but {column.shape[0]} tokens")
    keep = distinct(scheme, rows, column, np.zeros(column.shape[0], dtype=np.int64))
    scores = scheme.pair_scores(rows[keep], column[keep]) if keep.size else np.empty(0)
    return _detections(
        scheme,
        np.array([scores.sum()], dtype=np.float64),
        np.array([keep.size], dtype=np.int64),
        np.array([column.size], dtype=np.int64),
    )[0]


def detect_many(scheme: Scheme, sequences: Sequence[npt.ArrayLike], *, pool: bool = False) -> list[Detection]:
    """One test per token sequence, or one pooled test over all of them (``pool``)."""
    contexts, tokens, text_of = texts_pairs(sequences, scheme.context_width)
    groups = np.zeros_like(text_of) if pool else text_of
    count = 1 if pool else len(sequences)
    keep = distinct(scheme, contexts, tokens, groups)
    scores = scheme.pair_scores(contexts[keep], tokens[keep]) if keep.size else np.empty(0)
    statistic = np.bincount(groups[keep], weights=scores, minlength=count).astype(np.float64)
    counts = np.bincount(groups[keep], minlength=count).astype(np.int64)
    seen = np.bincount(groups, minlength=count).astype(np.int64)
    return _detections(scheme, statistic, counts, seen)


def detect_tokens(scheme: Scheme, token_ids: npt.ArrayLike) -> Detection:
    """One test over one token sequence."""
    return detect_many(scheme, [token_ids])[0]
