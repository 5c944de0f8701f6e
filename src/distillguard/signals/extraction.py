"""The extraction classifier: one linear model per family over hashed n-grams.

Scores are batch-first: :meth:`ExtractionModel.score` takes a column of prompts and
returns an ``(n, families)`` array, one sparse-times-dense product. Each family's
logit is shifted by its calibration offset, so that a score of 0.5 is the operating
point chosen on validation negatives (see ``docs/signals.md``); the detector scores,
and policies elsewhere decide what a score means for an account.

The model file is a small ``.npz`` (weights as float16) that ships inside the
package and loads offline; ``distillguard train-signals`` rebuilds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

from distillguard.errors import DistillguardError
from distillguard.signals.featurize import N_FEATURES, columns_of, featurize, ngrams

FAMILIES: Final[tuple[str, ...]] = (
    "cot_elicitation",
    "reasoning_coercion",
    "rubric_grading",
    "censorship_rewrite",
    "tool_trajectory",
    "task_sweep",
)
MODEL_VERSION: Final = "extraction-v4"  # scores from another version's file are refused (features may differ)
_EVIDENCE_TERMS: Final = 4


class ModelError(DistillguardError):
    """The extraction model file is missing or not of this release's shape."""


@dataclass(frozen=True)
class ExtractionModel:
    """Weights ``(N_FEATURES, families)``, biases and calibration offsets per family."""

    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    offset: npt.NDArray[np.float32]
    families: tuple[str, ...] = FAMILIES
    version: str = MODEL_VERSION

    def logits_of(self, features: sparse.csr_matrix) -> npt.NDArray[np.float32]:
        """Calibrated logits of a feature matrix, ``(rows, families)``."""
        out: npt.NDArray[np.float32] = np.asarray(features @ self.weights, dtype=np.float32)
        return out + self.bias - self.offset

    def logits(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Calibrated logits, ``(len(texts), families)``."""
        return self.logits_of(featurize(texts))

    def score_features(self, features: sparse.csr_matrix) -> npt.NDArray[np.float32]:
        """Scores in [0, 1] of a feature matrix (see :func:`featurize_prepared`)."""
        logits = np.clip(self.logits_of(features), -30.0, 30.0)
        result: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return result

    def score_row(self, columns: npt.NDArray[np.int64], values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Scores in [0, 1] of one feature row given as columns and values (see ``featurize_one``)."""
        logits = np.clip(values @ self.weights[columns] + self.bias - self.offset, -30.0, 30.0)
        result: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return result

    def score(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Scores in [0, 1], ``(len(texts), families)``; 0.5 is the operating point."""
        return self.score_features(featurize(texts))

    def evidence(self, text: str, family: str) -> list[str]:
        """The n-grams of ``text`` that push ``family``'s score up most, strongest first."""
        return self.evidence_of(ngrams(text), family)

    def evidence_of(self, text_grams: Sequence[str], family: str) -> list[str]:
        """:meth:`evidence` for a text's n-grams already computed (see ``featurize.analyze``)."""
        column = self.families.index(family)
        grams = sorted(set(text_grams))
        if not grams:
            return []
        weights = self.weights[columns_of(grams), column].astype(np.float32)
        order = np.argsort(-weights, kind="stable")
        return [grams[i] for i in order[:_EVIDENCE_TERMS] if weights[i] > 0]

    def save(self, path: Path) -> None:
        """Write the model as a compressed ``.npz``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            bias=self.bias,
            offset=self.offset,
            families=np.array(self.families),
            version=np.array(self.version),
        )

    @classmethod
    def load(cls, path: Path) -> ExtractionModel:
        """Read a model written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = data["weights"].astype(np.float32)
                model = cls(
                    weights=weights,
                    bias=data["bias"].astype(np.float32),
                    offset=data["offset"].astype(np.float32),
                    families=tuple(str(f) for f in data["families"]),
                    version=str(data["version"]),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"{path}: not an extraction model file ({exc})") from exc
        if model.version != MODEL_VERSION:
            raise ModelError(
                f"{path}: model version {model.version!r}, this release scores with {MODEL_VERSION!r} features "
                "(retrain it with distillguard train-signals)"
            )
        if weights.shape != (N_FEATURES, len(model.families)):
            raise ModelError(f"{path}: weights have shape {weights.shape}, expected ({N_FEATURES}, families)")
        return model


@cache
def builtin_model() -> ExtractionModel:
    """The model that ships with the package."""
    resource = files("distillguard.signals") / "models" / f"{MODEL_VERSION}.npz"
    return ExtractionModel.load(Path(str(resource)))
