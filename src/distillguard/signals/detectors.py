"""The registered per-exchange detectors and the batch entry point used everywhere.

``BUILTIN_DETECTORS`` names every detector, greppable. The batch scan, the gateway
and ``distillguard detect`` all call :func:`run_signals` with a column of prompts (the
gateway with a column of one), so the same code scores everywhere. A column of fewer than
``tokens.SMALL_BATCH`` prompts is read with Python's ``re`` and numpy rather than polars and
sparse matrices (their fixed costs would be most of the time); tests hold both readings to
the same scores, keys and evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from distillguard.signals.extraction import FAMILIES, ExtractionModel, builtin_model, sigmoid
from distillguard.signals.featurize import Grams, embed_prepared, featurize_grams, grams_of, hashed_row, preprocess
from distillguard.signals.finding import Finding
from distillguard.signals.static_embedding import WINDOWS
from distillguard.signals.template_key import skeletons_and_keys
from distillguard.signals.tokens import SMALL_BATCH

BUILTIN_DETECTORS: Final[tuple[str, ...]] = FAMILIES
FIRES_AT: Final = 0.5  # the calibrated operating point of every family's score
WINDOW_EVIDENCE_LOGIT: Final = 1.0  # a window is named as evidence when it adds this much beyond a typical prompt's
_WINDOW_QUOTE_CHARS: Final = 48


@dataclass(frozen=True)
class SignalBatch:
    """Scores ``(n, families)``, template keys and skeletons, and evidence where a family fires."""

    families: tuple[str, ...]
    scores: npt.NDArray[np.float32]
    templates: list[str]
    skeletons: list[str]
    evidence: list[dict[str, str]]

    def row(self, index: int) -> dict[str, object]:
        """One prompt's result as the JSON object ``detect --format jsonl`` prints."""
        return {
            "scores": {f: round(float(s), 4) for f, s in zip(self.families, self.scores[index], strict=True)},
            "template": self.skeletons[index],
            "template_key": self.templates[index],
            "evidence": self.evidence[index],
        }


def _sentence(family: str, score: float, grams: list[str], windows: Sequence[str] = ()) -> str:
    terms = ", ".join([f"'{g}'" for g in grams] + list(windows)) or "its overall wording"
    return f"{family} scored {score:.2f}: {terms} weigh most towards this pattern"


def _window_terms(prepared: str, added: npt.NDArray[np.float32]) -> list[str]:
    """The opening or closing words, quoted, where ``added`` (per window, beyond a typical prompt) is large enough."""
    text = " ".join(prepared.split())
    long = len(text) > _WINDOW_QUOTE_CHARS
    quotes = {
        "opening": f"'{text[:_WINDOW_QUOTE_CHARS]}…'" if long else f"'{text}'",
        "closing": f"'…{text[-_WINDOW_QUOTE_CHARS:]}'" if long else f"'{text}'",
    }
    return [
        f"the {window} words {quotes[window]} as a whole"
        for window, logit in zip(WINDOWS, added.tolist(), strict=True)
        if logit >= WINDOW_EVIDENCE_LOGIT
    ]


def run_signals(texts: Sequence[str], model: ExtractionModel | None = None) -> SignalBatch:
    """Score a column of prompts on every family, with templates and evidence."""
    model = model or builtin_model()
    prepared = [preprocess(t) for t in texts]  # once, for the features, the evidence and the skeletons
    grams: Grams | None = None
    if len(prepared) < SMALL_BATCH:  # the gateway's one: the same rows without the column machinery
        embedded = embed_prepared(prepared)
        logits = model.logits_rows([hashed_row(p) for p in prepared], embedded)
    else:
        grams = grams_of(prepared)
        features = featurize_grams(prepared, grams)
        logits, embedded = model.logits_of(features), features.embedded
    scores = sigmoid(model.sentence_tier(texts, logits))
    evidence: list[dict[str, str]] = [{} for _ in texts]
    rows, columns = np.nonzero(scores >= FIRES_AT)
    if rows.size:
        firing = scores[rows, columns].tolist()
        grams = grams or grams_of(prepared)
        # What each firing row's windows add beyond a typical prompt's, (firing, windows, families); named as
        # evidence at WINDOW_EVIDENCE_LOGIT or more (zero for the families that do not read the embeddings).
        added = model.window_logits(embedded[rows]) - model.window_baseline
        for index, (row, column) in enumerate(zip(rows.tolist(), columns.tolist(), strict=True)):
            family = model.families[column]
            top = model.evidence_of(grams, row, family)
            windows = _window_terms(prepared[row], added[index, :, column])
            evidence[row][family] = _sentence(family, firing[index], top, windows)
    skeletons, keys = skeletons_and_keys(prepared)
    return SignalBatch(model.families, scores, keys, skeletons, evidence)


@dataclass(frozen=True)
class FamilyDetector:
    """One family of the extraction model as a detector of its own."""

    name: str
    model: ExtractionModel

    @property
    def version(self) -> str:
        """The model version the scores come from."""
        return self.model.version

    def score(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The score of this family for each prompt, in [0, 1]."""
        column = self.model.families.index(self.name)
        result: npt.NDArray[np.float32] = self.model.score(texts)[:, column]
        return result

    def findings(self, texts: Sequence[str]) -> list[Finding]:
        """A :class:`Finding` per prompt; evidence only where the family fires."""
        out = []
        for text, score in zip(texts, self.score(texts).tolist(), strict=True):
            grams = self.model.evidence(text, self.name) if score >= FIRES_AT else None
            sentence = _sentence(self.name, score, grams) if grams is not None else ""
            out.append(Finding(self.name, self.version, score, sentence))
        return out


def builtin_detectors(model: ExtractionModel | None = None) -> tuple[FamilyDetector, ...]:
    """Every registered detector, in ``BUILTIN_DETECTORS`` order."""
    model = model or builtin_model()
    return tuple(FamilyDetector(name, model) for name in BUILTIN_DETECTORS)
