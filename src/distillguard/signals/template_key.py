"""A prompt's skeleton: its fixed ends kept, its variable middle and numbers masked.

Distillation wrappers put a varying item (a question, an answer, a schema) inside a
fixed text. Keeping the first and last ``EDGE_WORDS`` normalised words and masking the
middle maps the variants of one wrapper, across accounts, to one key, and keeps the
key readable for an analyst ("here is a question and a completed response … step by
step"). Numbers become ``<n>``; short prompts are kept whole. A wrapper whose item
sits at one end (``"Reconstruct the reasoning for: {question}"``) keys on its fixed
end only when the item is short; paraphrased wrappers are matched by the campaign
stage's near-duplicate search, not here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Final

import polars as pl

from distillguard.signals.featurize import preprocess
from distillguard.signals.tokens import SMALL_BATCH, WORD, TokenPattern

EDGE_WORDS: Final = 6
_WORDS: Final = TokenPattern.of(rf"{WORD}+|[<>\[\]{{}}#?]")
_WORD: Final = _WORDS.python
_NUMBER: Final = re.compile(r"^\d+$")


_EDGE_CHARS: Final = 400  # a long text's ends are read from windows this wide, not the whole text


def _masked(words: list[str]) -> list[str]:
    return ["<n>" if _NUMBER.match(w) else w for w in words]


def skeleton_of_prepared(prepared: str) -> str:
    """The masked skeleton of a text already through :func:`preprocess`.

    A long text is read only at its ends: a window cut can split at most the word at its
    inner edge, so a window holding more than ``EDGE_WORDS`` words has its outer ones whole
    (and the text then has more than ``2 * EDGE_WORDS`` words); otherwise all words are read.
    """
    if len(prepared) > 3 * _EDGE_CHARS:
        head = _WORD.findall(prepared[:_EDGE_CHARS])
        tail = _WORD.findall(prepared[-_EDGE_CHARS:])
        if len(head) > EDGE_WORDS and len(tail) > EDGE_WORDS:
            return " ".join(_masked(head[:EDGE_WORDS])) + " … " + " ".join(_masked(tail[-EDGE_WORDS:]))
    words = _WORD.findall(prepared)
    if len(words) <= 2 * EDGE_WORDS:
        return " ".join(_masked(words))
    return " ".join(_masked(words[:EDGE_WORDS])) + " … " + " ".join(_masked(words[-EDGE_WORDS:]))


def skeleton(text: str) -> str:
    """The masked skeleton of ``text``."""
    return skeleton_of_prepared(preprocess(text))


def key_of(skeleton_text: str) -> str:
    """A short stable id of a skeleton (``t-`` and 12 hex digits)."""
    return "t-" + hashlib.blake2b(skeleton_text.encode(), digest_size=6).hexdigest()


def template_key(text: str) -> str:
    """The id of the skeleton of ``text``."""
    return key_of(skeleton(text))


def _skeletons_of_column(prepared: Sequence[str]) -> list[str]:
    """:func:`skeleton_of_prepared` of many texts at once, in polars (reading every text whole)."""
    words = pl.col("words")
    masked = words.list.eval(pl.element().str.replace(r"^\d+$", "<n>"))
    ends = pl.concat_str(
        [masked.list.head(EDGE_WORDS).list.join(" "), masked.list.tail(EDGE_WORDS).list.join(" ")], separator=" … "
    )
    skeletons = (
        pl.DataFrame({"words": pl.Series(values=prepared, dtype=pl.String).str.extract_all(_WORDS.rust)})
        .select(pl.when(words.list.len() <= 2 * EDGE_WORDS).then(masked.list.join(" ")).otherwise(ends).fill_null(""))
        .to_series()
    )
    result: list[str] = skeletons.to_list()
    return result


def skeletons_and_keys(prepared: Sequence[str]) -> tuple[list[str], list[str]]:
    """Skeletons and their ids for a column of prompts already through :func:`preprocess`.

    A column of ``SMALL_BATCH`` texts or more is split by polars, fewer by Python (see ``tokens``).
    """
    if len(prepared) < SMALL_BATCH:
        skeletons = [skeleton_of_prepared(p) for p in prepared]
    else:
        skeletons = _skeletons_of_column(prepared)
    return skeletons, [key_of(s) for s in skeletons]
