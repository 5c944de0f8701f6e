"""A text-level marker for models nobody can watermark at sampling time (a hosted API behind the gateway).

The gateway adds an instruction to flagged accounts' requests that makes the model show a
behaviour (here, the "asking back" marker of Yang et al. 2026, arXiv:2605.16462: end the answer
with a follow-up question to the user). A student trained on those answers tends to inherit the
habit; the test is whether a model's (or a corpus's) rate of the behaviour exceeds the rate of
text that never saw the instruction, with an exact binomial tail. The base rate matters: chat
models ask back on their own now and then, so it is measured on reference text (the answers of
models that never saw the instruction) and the test is one-sided against it.

No key is involved: the marker is a behaviour, not a secret, so anyone who knows it can strip
it; it complements the sampling-time schemes where they cannot run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from distillguard.errors import WatermarkError
from distillguard.watermark.stats import binomial_tail

INSTRUCTIONS: Final = {
    "follow-up-question": (
        "End every answer with one short follow-up question to the user about what they would like to do next."
    ),
}
#: Closing punctuation and emphasis that may follow the final question mark (straight and curly quotes).
_TRAILING: Final = re.compile("[\\s*_`\"')\\]\u201d\u2019]+$")


def instruction(marker: str) -> str:
    """The instruction that induces ``marker``."""
    try:
        return INSTRUCTIONS[marker]
    except KeyError:
        raise WatermarkError(f"unknown marker {marker!r}; choose one of {', '.join(INSTRUCTIONS)}") from None


def shows_marker(texts: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Whether each text ends by asking the user a question (its last sentence ends with a question mark)."""
    out = np.zeros(len(texts), dtype=bool)
    for index, text in enumerate(texts):
        tail = _TRAILING.sub("", text.rstrip())
        if tail.endswith(("?", "？", "؟")):  # noqa: RUF001 - full-width and Arabic question marks
            out[index] = True
    return out


def marker_p_value(texts: Sequence[str], base_rate: float) -> tuple[int, int, float]:
    """Whether the marker's rate is above ``base_rate``: (texts showing it, texts, one-sided binomial p-value)."""
    if not 0 < base_rate < 1:
        raise WatermarkError(f"the base rate must be in (0, 1), not {base_rate}")
    shown = int(shows_marker(texts).sum())
    return shown, len(texts), float(binomial_tail(shown, len(texts), base_rate)[0])
