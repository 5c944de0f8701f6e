"""The extraction classifier: one linear model per family over hashed n-grams and embeddings.

Scores are batch-first: :meth:`ExtractionModel.score` takes a column of prompts and
returns an ``(n, families)`` array: the hashed n-grams' sparse product with the weights,
the ends n-grams' with the weights of the families that read them, plus the embedding
columns' dense one. Each family's
logit is shifted by its calibration offset, so that a score of 0.5 is the operating
point chosen on validation negatives (see ``docs/signals.md``); the detector scores,
and policies elsewhere decide what a score means for an account.

For the families of ``sentence_families`` (cot), a second tier re-scores the candidates, the
prompts whose logit is already among the highest real prompts' (``sentence_candidate``): the
first and last ``SENTENCES_AT_EACH_END`` sentences or lines of the prompt are scored alone by
the same model, and the family's logit becomes the larger of the prompt's and the best
sentence's less ``sentence_penalty``, so that an ask drowned in a long item still counts
(:meth:`ExtractionModel.sentence_tier`). A prompt that fires already is no candidate: the tier
only decides whether one that does not fire should. The tier needs the texts: :meth:`score` and
:meth:`logits` apply it, :meth:`logits_of` and :meth:`logits_rows` (features alone) do not.

The model file is a small ``.npz`` (weights as float16) that ships inside the
package and loads offline; ``distillguard train-signals`` rebuilds it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from distillguard.errors import ModelError
from distillguard.signals import static_embedding
from distillguard.signals.featurize import (
    MAX_CHARS,
    N_COLUMNS,
    N_FEATURES,
    Features,
    Grams,
    HashedRow,
    embed_prepared,
    ends_columns,
    featurize,
    featurize_grams,
    grams_of,
    hashed_row,
    preprocess,
)
from distillguard.signals.shipped import EXTRACTION_MODEL
from distillguard.signals.tokens import SMALL_BATCH

FAMILIES: Final[tuple[str, ...]] = (
    "cot_elicitation",
    "reasoning_coercion",
    "rubric_grading",
    "censorship_rewrite",
    "tool_trajectory",
    "task_sweep",
)
MODEL_VERSION: Final = "extraction-v17"  # scores from another version's file are refused (features may differ)
_EVIDENCE_TERMS: Final = 4
# The sentence tier: a prompt is cut at line breaks and after a sentence's closing mark; pieces of fewer than
# three words (in scripts without spaces, six characters) are not sentences. Chosen by leave-families-out
# cross-validation with the penalty and the candidates' share (docs/signals.md): two at each end as good as four.
SENTENCES_AT_EACH_END: Final = 2
_SENTENCE_BREAK: Final = re.compile(r"\n+|(?<=[.?!\u3002\uff1f\uff01])\s+")


def sentences(text: str) -> list[str]:
    """The first and last ``SENTENCES_AT_EACH_END`` sentences or lines of ``text`` that the tier scores."""
    pieces = [p.strip() for p in _SENTENCE_BREAK.split(text[:MAX_CHARS])]
    found = [p for p in pieces if len(p.split()) >= 3 or (len(p) >= 6 and not p.isascii())]
    k = SENTENCES_AT_EACH_END
    return found[:k] + found[k:][-k:]


@dataclass(frozen=True)
class ExtractionModel:
    """Weights ``(N_COLUMNS, families)``, biases and calibration offsets per family.

    The families of ``ends_families`` also read the ends n-grams (``featurize.ends_matrix``), whose
    columns are the hashed n-grams' own: a family that does not read them was fitted without them.
    ``window_baseline`` ``(windows, families)`` is what the opening and closing words' embeddings
    add to the logit of a typical real prompt (the median over held-back ones): evidence names a
    window by what it adds beyond that, as the embeddings share a common direction that the
    weights turn into a constant.
    """

    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    offset: npt.NDArray[np.float32]
    window_baseline: npt.NDArray[np.float32]
    ends_families: tuple[str, ...] = ()
    families: tuple[str, ...] = FAMILIES
    version: str = MODEL_VERSION
    sentence_families: tuple[str, ...] = ()
    sentence_penalty: float = 0.0
    # Per family, the calibrated logit from which a prompt is a candidate for the sentence tier (inf: never).
    sentence_candidate: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.full(len(FAMILIES), np.inf, dtype=np.float32)
    )

    def embedding_logits(self, embedded: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """What the embedding columns add to each family's logit, ``(rows, families)``.

        Only the families that read them, and by ``einsum``'s own loops rather than BLAS, whose
        blocking changes with the batch size: a prompt scores the same alone as in a batch.
        """
        out = np.zeros((len(embedded), len(self.families)), dtype=np.float32)
        reading, weights = self._reading
        if reading.size:
            out[:, reading] = np.einsum("nd,df->nf", embedded, weights)
        return out

    @cached_property
    def _reading(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The families that read the embedding columns, and those columns' weights for them."""
        reading = np.flatnonzero(self.weights[N_FEATURES:].any(axis=0))
        return reading, np.ascontiguousarray(self.weights[N_FEATURES:, reading])

    @cached_property
    def _reading_ends(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The families that read the ends n-grams, and the hashed columns' weights for them."""
        reading = np.array([self.families.index(f) for f in self.ends_families], dtype=np.int64)
        return reading, np.ascontiguousarray(self.weights[:N_FEATURES, reading])

    @cached_property
    def _reading_sentences(self) -> tuple[npt.NDArray[np.int64], bool]:
        """The families of the sentence tier, and whether any of them reads the embedding columns."""
        reading = np.array([self.families.index(f) for f in self.sentence_families], dtype=np.int64)
        return reading, bool(np.isin(reading, self._reading[0]).any())

    def logits_of(self, features: Features) -> npt.NDArray[np.float32]:
        """Calibrated logits of a batch's features, ``(rows, families)``."""
        hashed = np.asarray(features.hashed @ self.weights[:N_FEATURES], dtype=np.float32)
        reading, weights = self._reading_ends
        if reading.size:
            hashed[:, reading] += np.asarray(features.ends @ weights, dtype=np.float32)
        out: npt.NDArray[np.float32] = hashed + self.embedding_logits(features.embedded)
        return out + self.bias - self.offset

    def logits(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Calibrated logits, ``(len(texts), families)``, the sentence tier applied."""
        return self.sentence_tier(texts, self.logits_of(featurize(texts)))

    def sentence_tier(
        self, texts: Sequence[str], logits: npt.NDArray[np.float32], *, below: float = 0.0
    ) -> npt.NDArray[np.float32]:
        """``logits`` of ``texts`` with the candidates of ``sentence_families`` re-scored sentence by sentence.

        A candidate's logit is at least ``sentence_candidate`` and under ``below`` (the operating point: a
        prompt that fires already keeps its own score, and the tier's cost stays off the prompts that fire,
        most of an attack's); it becomes the larger of its own and its best sentence's (:func:`sentences`,
        scored alone, without the tier) less ``sentence_penalty``. Other rows and families are unchanged.
        """
        reading, _ = self._reading_sentences
        if not reading.size:
            return logits
        own = logits[:, reading]
        candidate = (own >= self.sentence_candidate[reading]) & (own < below)
        candidates = np.flatnonzero(candidate.any(axis=1))
        pieces: list[str] = []
        owners: list[int] = []
        for row in candidates.tolist():
            found = sentences(texts[row])
            pieces += found
            owners += [row] * len(found)
        if not pieces:
            return logits
        alone = self._sentence_logits([preprocess(p) for p in pieces])[:, reading] - np.float32(self.sentence_penalty)
        best = np.full((len(logits), len(reading)), -np.inf, dtype=np.float32)
        np.maximum.at(best, np.array(owners, dtype=np.int64), alone)
        out = logits.copy()
        out[:, reading] = np.where(candidate, np.maximum(own, best), own)
        return out

    def _sentence_logits(self, prepared: list[str]) -> npt.NDArray[np.float32]:
        """Logits of sentences already through ``preprocess``, right for the families of ``sentence_families``.

        The embeddings of the opening and closing words are computed only if one of those families reads
        them (cot does not).
        """
        _, reads = self._reading_sentences
        if len(prepared) < SMALL_BATCH:  # a prompt or two: its rows without the column machinery, as run_signals
            return self.logits_rows([hashed_row(p) for p in prepared], embed_prepared(prepared, embedded=reads))
        return self.logits_of(featurize_grams(prepared, grams_of(prepared), embedded=reads))

    def logits_rows(self, hashed: Sequence[HashedRow], embedded: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Calibrated logits of a few prompts from their hashed rows (``featurize.hashed_row``) and embeddings."""
        logits = np.zeros((len(hashed), len(self.families)), dtype=np.float32)
        reading, weights = self._reading_ends
        for row, found in enumerate(hashed):
            logits[row] = found.value * self.weights[found.columns].sum(axis=0)
            if reading.size:
                logits[row, reading] += weights[found.ends].sum(axis=0)
        out: npt.NDArray[np.float32] = logits + self.embedding_logits(embedded) + self.bias - self.offset
        return out

    def score(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Scores in [0, 1], ``(len(texts), families)``; 0.5 is the operating point."""
        return sigmoid(self.logits(texts))

    def evidence(self, text: str, family: str) -> list[str]:
        """The n-grams of ``text`` that push ``family``'s score up most, strongest first."""
        return self.evidence_of(grams_of([preprocess(text)]), 0, family)

    def evidence_of(self, grams: Grams, row: int, family: str) -> list[str]:
        """:meth:`evidence` for text ``row`` of a batch whose n-grams are already found (see ``featurize.grams_of``)."""
        indices = grams.of_row(row)
        column = self.families.index(family)
        columns, first = np.unique(grams.columns[indices], return_index=True)
        weights = self.weights[columns, column]
        if family in self.ends_families:  # an n-gram at the ends weighs its ends column's weight too
            at_ends = np.isin(columns, grams.columns[indices[grams.at_ends[indices]]])
            weights = weights + np.where(at_ends, self.weights[ends_columns(columns), column], 0.0)
        order = np.lexsort((first, -weights))[:_EVIDENCE_TERMS]  # strongest first, then as they appear
        return grams.texts(row, indices[first[order[weights[order] > 0]]])

    def window_logits(self, embedded: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """What each row's opening and closing words add to each logit, ``(rows, windows, families)``.

        ``embedded`` is the embedding columns of the rows (``Features.embedded``).
        """
        windows = len(static_embedding.WINDOWS)
        by_window = embedded.reshape(len(embedded), windows, static_embedding.DIM)
        weights = self.weights[N_FEATURES:].reshape(windows, static_embedding.DIM, len(self.families))
        out: npt.NDArray[np.float32] = np.einsum("nwd,wdf->nwf", by_window, weights)
        return out

    def save(self, path: Path) -> None:
        """Write the model as a compressed ``.npz``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            bias=self.bias,
            offset=self.offset,
            window_baseline=self.window_baseline,
            ends_families=np.array(self.ends_families, dtype=np.str_),
            families=np.array(self.families),
            version=np.array(self.version),
            sentence_families=np.array(self.sentence_families, dtype=np.str_),
            sentence_penalty=np.array(self.sentence_penalty, dtype=np.float32),
            sentence_candidate=self.sentence_candidate.astype(np.float32),
        )

    @classmethod
    def load(cls, path: Path) -> ExtractionModel:
        """Read a model written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as data:
                # Checked first: the files of earlier versions lack the fields of later features.
                version = str(data["version"])
                if version != MODEL_VERSION:
                    raise ModelError(
                        f"{path}: model version {version!r}, this release scores with {MODEL_VERSION!r} features "
                        "(retrain it with python -m training train-signals)"
                    )
                weights = data["weights"].astype(np.float32)
                model = cls(
                    weights=weights,
                    bias=data["bias"].astype(np.float32),
                    offset=data["offset"].astype(np.float32),
                    window_baseline=data["window_baseline"].astype(np.float32),
                    ends_families=tuple(str(f) for f in data["ends_families"]),
                    families=tuple(str(f) for f in data["families"]),
                    version=version,
                    sentence_families=tuple(str(f) for f in data["sentence_families"]),
                    sentence_penalty=float(data["sentence_penalty"]),
                    sentence_candidate=data["sentence_candidate"].astype(np.float32),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"{path}: not an extraction model file ({exc})") from exc
        if weights.shape != (N_COLUMNS, len(model.families)):
            raise ModelError(f"{path}: weights have shape {weights.shape}, expected ({N_COLUMNS}, families)")
        return model


def sigmoid(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Scores in [0, 1] from calibrated logits."""
    clipped = np.clip(logits, -30.0, 30.0)
    result: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-clipped))).astype(np.float32)
    return result


@cache
def builtin_model() -> ExtractionModel:
    """The model that ships with the package."""
    return ExtractionModel.load(EXTRACTION_MODEL.path())
