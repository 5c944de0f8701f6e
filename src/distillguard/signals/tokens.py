r"""A column of texts split into tokens in one vectorised pass.

Python's ``re`` spends tens of nanoseconds a character on Unicode classes such as ``\w``;
polars splits a whole batch with Rust's regular expressions at a fraction of that, and the
tokens stay in one Arrow array. Whatever a token stands for (its hash, its word pieces) is
then looked up once per distinct token of the batch (Arrow's dictionary encoding) and spread
back to every occurrence by numpy, so a batch of 10,000 prompts costs no Python work per token.

A polars call costs about a tenth of a millisecond however short its column, so a batch of
fewer than ``SMALL_BATCH`` texts (the gateway's batch of one) is split by Python's ``re``
with the same pattern: :class:`TokenPattern` holds both spellings, and the tests hold them to
the same tokens on the training corpora and on text of many scripts.

A word is a run of letters, combining marks, numbers (``³``, ``¾``) and underscores of any script:
``[\p{L}\p{M}\p{N}_]``, spelled the same for both engines (Python's through the ``regex`` module, whose ``re``
has no Unicode classes). The marks matter: the vowel signs of Devanagari, Bengali, Tamil or Thai are marks, and a
word class without them (Python's ``\w``, what the sixteenth and earlier models read) cut every word of those
scripts into letters and fragments, which a model fitted on other scripts read as noise of its own. The two
engines' Unicode tables are of different versions, so a character assigned in one but not the other may be read
differently by the two.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import regex

SMALL_BATCH: Final = 32


@dataclass(frozen=True)
class TokenPattern:
    """One tokenizing pattern, spelled for Rust (polars) and for Python's ``re``."""

    rust: str
    python: regex.Pattern[str]

    @classmethod
    def of(cls, pattern: str) -> TokenPattern:
        """One spelling for both engines (Unicode classes, no look-around)."""
        return cls(pattern, regex.compile(pattern, regex.VERSION0))


# A word character: a letter, a combining mark, a number of any script, or the underscore.
WORD: Final = r"[\p{L}\p{M}\p{N}_]"
# Runs of word characters, and the marks of markup and templates alone.
WORDS_AND_MARKS: Final = TokenPattern.of(rf"{WORD}+|[<>\[\]{{}}#]")
# Runs of word characters, and every other character that is not a space alone (BERT's pre-tokenizer); the
# separators U+001C-U+001F, which Python's ``str.split`` counts as spaces, are neither.
WORDS_AND_SYMBOLS: Final = TokenPattern.of(rf"{WORD}+|[^\p{{L}}\p{{M}}\p{{N}}_\s\x1c-\x1f]")


@dataclass(frozen=True)
class Tokens:
    """Every text's tokens in order, as one flat array, and how many each text has."""

    lengths: npt.NDArray[np.int64]  # tokens per text
    flat: pa.Array  # all tokens, text after text (large strings: a column may hold more than 2 GB of them)

    @property
    def rows(self) -> npt.NDArray[np.int64]:
        """The text each token comes from."""
        return np.repeat(np.arange(len(self.lengths), dtype=np.int64), self.lengths)

    @cached_property
    def starts(self) -> npt.NDArray[np.int64]:
        """Where each text's tokens start in :attr:`flat`."""
        starts = np.zeros(len(self.lengths), dtype=np.int64)
        np.cumsum(self.lengths[:-1], out=starts[1:])
        return starts

    def codes(self) -> tuple[list[str], npt.NDArray[np.int64]]:
        """The batch's distinct tokens, and each token's index among them."""
        if len(self.lengths) < SMALL_BATCH:  # Arrow's dictionary encoding costs ~20 us however few the tokens
            words: list[str] = self.flat.to_pylist()
            index = {word: code for code, word in enumerate(dict.fromkeys(words))}
            return list(index), np.fromiter(map(index.__getitem__, words), dtype=np.int64, count=len(words))
        encoded = pc.dictionary_encode(self.flat)
        codes: npt.NDArray[np.int64] = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return encoded.dictionary.to_pylist(), codes

    def values(self, value_of: Callable[[list[str]], Sequence[int]]) -> npt.NDArray[np.int64]:
        """Each token's value, ``value_of`` called once with the batch's distinct tokens."""
        distinct, codes = self.codes()
        return np.asarray(value_of(distinct), dtype=np.int64)[codes]

    def of_text(self, row: int) -> list[str]:
        """Text ``row``'s tokens."""
        words: list[str] = self.flat.slice(int(self.starts[row]), int(self.lengths[row])).to_pylist()
        return words


def split(texts: Sequence[str], pattern: TokenPattern, *, first: int | None = None, last: int | None = None) -> Tokens:
    """The non-overlapping matches of ``pattern`` in each text, left to right.

    Only the first ``first`` or the last ``last`` characters of each text are read when given.
    """
    if len(texts) < SMALL_BATCH:
        cut = [t[:first] if first is not None else t[-last:] if last is not None else t for t in texts]
        found = [pattern.python.findall(t) for t in cut]
        lengths = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        return Tokens(lengths, pa.array(list(chain.from_iterable(found)), type=pa.large_string()))
    column = pl.Series(values=texts, dtype=pl.String)
    if first is not None:
        column = column.str.slice(0, first)
    elif last is not None:
        column = column.str.slice(-last)
    # Flattened by Arrow: polars' ``explode`` changes how it treats empty lists between major versions.
    matches = column.str.extract_all(pattern.rust).to_arrow()
    if isinstance(matches, pa.ChunkedArray):  # one array is promised; the dictionary encoding needs one
        matches = matches.combine_chunks()
    counted: npt.NDArray[np.int64] = pc.fill_null(pc.list_value_length(matches), 0).to_numpy().astype(np.int64)
    return Tokens(counted, pc.list_flatten(matches).cast(pa.large_string()))
