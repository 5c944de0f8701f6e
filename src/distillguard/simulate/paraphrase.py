"""Per-account rewording of campaign wrappers: the "paraphrased wrappers" evasion knob.

Each account picks, once and for good, its own variant of common wrapper words, so one
campaign's template no longer reads the same across its accounts while meaning the
same. Variants are chosen by a stable hash of the account, so runs stay deterministic.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

VARIANTS: Final[dict[str, tuple[str, ...]]] = {
    "Please": ("Please", "Kindly", "Could you", "I'd like you to"),
    "explain": ("explain", "describe", "lay out", "walk through"),
    "complete": ("complete", "full", "entire", "whole"),
    "answer": ("answer", "response", "reply", "solution"),
    "reasoning": ("reasoning", "thinking", "thought process", "logic"),
    "step by step": ("step by step", "one step at a time", "stage by stage", "in order"),
    "Write": ("Write", "Produce", "Give", "Compose"),
    "following": ("following", "next", "below", "subsequent"),
    "detailed": ("detailed", "thorough", "in-depth", "exhaustive"),
    "question": ("question", "problem", "query", "prompt"),
}
_PATTERN: Final = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(VARIANTS, key=len, reverse=True)) + r")\b")


def rewording(account_key: str) -> dict[str, str]:
    """The fixed word choices of one account."""
    choice = {}
    for word, options in VARIANTS.items():
        digest = hashlib.blake2b(f"{account_key}/{word}".encode(), digest_size=2).digest()
        choice[word] = options[int.from_bytes(digest, "big") % len(options)]
    return choice


def paraphrase(text: str, choice: dict[str, str]) -> str:
    """``text`` with each known wrapper word replaced by the account's variant."""
    return _PATTERN.sub(lambda m: choice[m.group(0)], text)
