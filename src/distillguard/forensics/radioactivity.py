"""Radioactivity: whether a suspect model was trained on text carrying our watermark (Sander et al. 2024).

Open-model mode: the owner's own watermarked texts are fed to the suspect (teacher forcing) and
the suspect's most likely next token at every position is scored as if it had been generated
there, with the ``h`` tokens before it as the watermark context. A model that learnt from
watermarked text prefers the key's tokens; one that never saw it prefers them at the null rate.
Closed-model mode: the suspect writes answers to prompts and its text is tested as any text is.

Both de-duplicate (each distinct (context, token) pair counts once), so the p-value is exact
under the null and reported with the number of pairs it rests on. Open mode also drops every
predicted pair that occurs in its own text up to the next token: a model copying the text in
front of it, or predicting its next (watermarked) token correctly, would otherwise inherit the
text's own watermark, and a good model that never saw the key would test positive. Each
remaining pair's keyed number is independent of what the suspect was shown (slightly less often
green than ``gamma``, as the teacher passed it over), so the test is exact or conservative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from distillguard.errors import ForensicsError
from distillguard.forensics.models import ChatModel, Ints, PredictingModel
from distillguard.watermark.detect import Detection, detect_many, detect_pairs, texts_pairs
from distillguard.watermark.schemes import Scheme

Mode = Literal["open", "closed"]


@dataclass(frozen=True)
class RadioactivityResult:
    """One suspect's test: the mode, the detection and what it rests on."""

    suspect: str
    mode: Mode
    detection: Detection
    texts: int
    predictions: int
    excluded_copies: int

    def record(self) -> dict[str, Any]:
        """As one JSON object."""
        out = {"suspect": self.suspect, "mode": self.mode, "texts": self.texts}
        out.update(self.detection.record())
        out.update(predictions=self.predictions, excluded_copies=self.excluded_copies)
        return out

    @property
    def evidence(self) -> str:
        """One sentence for an analyst."""
        d = self.detection
        return (
            f"{self.suspect} ({self.mode} model): p = {d.p_value:.3g} over {d.tokens_scored} distinct scored pairs "
            f"({d.statistic_name} {d.statistic:.6g}) under key {d.key_id}"
        )


def _row_bytes(rows: Ints) -> npt.NDArray[Any]:
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).reshape(-1)


def prediction_pairs(sequences: Sequence[Ints], predictions: Sequence[Ints], width: int) -> tuple[Ints, Ints]:
    """(contexts, tokens): each prediction after ``seq[: i + 1]`` with its ``width`` tokens before it."""
    shifted = []
    for seq, predicted in zip(sequences, predictions, strict=True):
        if len(predicted) != len(seq):
            raise ForensicsError(f"{len(predicted)} predictions for a text of {len(seq)} tokens")
        # One placeholder token after the text gives texts_pairs' layout a position after the last prefix.
        shifted.append(np.concatenate([seq, np.zeros(1, dtype=np.int64)]) if len(seq) else seq)
    contexts, tokens, text_of = texts_pairs(shifted, width)
    # texts_pairs gives every position; keep positions 1..L (the predicted ones), replacing the token
    keep = np.ones(tokens.size, dtype=bool)
    starts = np.flatnonzero(np.r_[True, text_of[1:] != text_of[:-1]]) if tokens.size else np.empty(0, dtype=np.int64)
    keep[starts] = False
    predicted_all = np.concatenate([np.asarray(p, dtype=np.int64) for p in predictions]) if predictions else np.empty(0)
    return contexts[keep], predicted_all.astype(np.int64)


def seen_in_prefix(sequences: Sequence[Ints], contexts: Ints, tokens: Ints, width: int) -> npt.NDArray[np.bool_]:
    """Which predicted pairs already occur in their own text up to and including the next token.

    Prediction ``i`` of a text (after ``seq[: i + 1]``) sits at position ``i + 1``; it is a copy
    when the same (context, token) pair occurs in that text at a position ``<= i + 1``: the model
    was shown it (or predicted the watermarked token itself), so its keyed number is not
    independent of what the model saw.
    """
    own_contexts, own_tokens, own_text = texts_pairs(sequences, width)
    lengths = np.array([len(seq) for seq in sequences], dtype=np.int64)
    own_position = np.arange(own_tokens.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    asked_text = np.repeat(np.arange(len(sequences), dtype=np.int64), lengths)
    asked_position = np.concatenate([np.arange(1, n + 1) for n in lengths]) if len(lengths) else np.empty(0)
    own = _row_bytes(np.hstack([own_text.reshape(-1, 1), own_contexts, own_tokens.reshape(-1, 1)]))
    asked = _row_bytes(np.hstack([asked_text.reshape(-1, 1), contexts, tokens.reshape(-1, 1)]))
    keys, first = np.unique(own, return_index=True)  # first occurrence of each pair in its text
    first_position = own_position[first]
    where = np.searchsorted(keys, asked)
    where = np.minimum(where, max(keys.size - 1, 0))
    found = (keys.size > 0) & (keys[where] == asked) if keys.size else np.zeros(asked.size, dtype=bool)
    return np.asarray(found & (first_position[where] <= asked_position), dtype=np.bool_)


@dataclass(frozen=True)
class Predictions:
    """A suspect's teacher-forced choices on our texts: computed once, scored under any number of keys."""

    suspect: str
    sequences: list[Ints]
    predicted: list[Ints]


def predict_on(
    suspect: PredictingModel, texts: Sequence[str], tokenizer: Any, *, label: str | None = None
) -> Predictions:
    """Feed ``texts`` (in ``tokenizer``'s ids) to the suspect and keep its most likely next token at each position."""
    sequences = [np.asarray(tokenizer(text, add_special_tokens=False).input_ids, dtype=np.int64) for text in texts]
    sequences = [seq for seq in sequences if seq.size]
    if not sequences:
        raise ForensicsError("open-model radioactivity needs watermarked texts; every text given was empty")
    return Predictions(label or suspect.label, sequences, suspect.predict_next(sequences, tokenizer))


def score_predictions(scheme: Scheme, predictions: Predictions) -> RadioactivityResult:
    """The open-model test of one key on predictions already made (copies of the fed text dropped)."""
    contexts, tokens = prediction_pairs(predictions.sequences, predictions.predicted, scheme.context_width)
    known = tokens >= 0
    copies = seen_in_prefix(predictions.sequences, contexts, tokens, scheme.context_width) & known
    keep = known & ~copies
    detection = detect_pairs(scheme, contexts[keep], tokens[keep])
    return RadioactivityResult(
        predictions.suspect, "open", detection, len(predictions.sequences), int(known.sum()), int(copies.sum())
    )


def open_mode(
    scheme: Scheme, suspect: PredictingModel, texts: Sequence[str], tokenizer: Any, *, label: str | None = None
) -> RadioactivityResult:
    """Feed watermarked ``texts`` to the suspect and score its own next-token choices."""
    return score_predictions(scheme, predict_on(suspect, texts, tokenizer, label=label))


def closed_mode(
    scheme: Scheme,
    suspect: ChatModel,
    prompts: Sequence[str],
    tokenizer: Any,
    *,
    max_new_tokens: int = 128,
    temperature: float = 1.0,
    seed: int = 0,
    label: str | None = None,
) -> RadioactivityResult:
    """Have the suspect answer ``prompts`` and test its pooled text (de-duplicated across answers)."""
    if not prompts:
        raise ForensicsError("closed-model radioactivity needs prompts to send the suspect")
    answers = suspect.chat(list(prompts), max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    sequences = [np.asarray(tokenizer(text, add_special_tokens=False).input_ids, dtype=np.int64) for text in answers]
    detection = detect_many(scheme, sequences, pool=True)[0]
    total = sum(len(seq) for seq in sequences)
    return RadioactivityResult(label or suspect.label, "closed", detection, len(answers), total, 0)
