"""Hashed word n-grams, the features of the extraction model.

Text is lower-cased and every character of a script written without spaces (Chinese, Japanese kana,
Korean Hangul, Thai, Lao, Myanmar, Khmer) becomes a token of its own, so that those languages yield word-like
n-grams too; runs of three or more digits (item ids, sample numbers) become ``000``, so
that "sample 4821" and "sample 17" share their n-grams. Tokens are runs of word characters
and the marks ``<>[]{}#``, split for a whole batch at once (:mod:`distillguard.signals.tokens`;
:func:`hashed_row` reads one text the same way without the batch machinery).

Unigrams and bigrams are hashed into ``N_FEATURES`` columns as binary presence: a unigram
by MurmurHash3 (as scikit-learn's ``HashingVectorizer``), a bigram by mixing its two words'
hashes (splitmix64's finaliser), so that a batch hashes each distinct word once in Python and
every bigram in numpy, without building the bigrams' strings. A row with more than
``LENGTH_KNEE`` distinct n-grams is scaled by ``sqrt(LENGTH_KNEE / n)``: a long text no longer
fires on the sum of many small weights, while a wrapper keeps most of its weight around a long
pasted item (full L2 normalisation, the first version's, scaled by ``1 / sqrt(n)`` from the
first n-gram and drowned it).

A wrapper's fixed words sit at a prompt's ends, however long the item between or after them.
The n-grams that start among a prompt's first or last ``ENDS_TOKENS`` tokens are therefore
also features of their own, the *ends* n-grams: the same n-gram's column mixed with a salt,
in the same ``N_FEATURES`` columns, valued 1 whatever the prompt's length (the knee does not
dilute them). They are a matrix of their own (:attr:`Features.ends`), read only by the
families whose model was fitted on them.

After the ``N_FEATURES`` hashed columns come ``static_embedding.COLUMNS`` dense ones: the
static embeddings of the prompt's opening and closing words, times ``EMBEDDING_SCALE``
(see :mod:`distillguard.signals.static_embedding`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.utils import murmurhash3_32

from distillguard.signals import static_embedding, tokens
from distillguard.signals.static_embedding import builtin_embedding

N_FEATURES: Final = 2**20
N_COLUMNS: Final = N_FEATURES + static_embedding.COLUMNS
# The embedding columns' value against the n-grams' 0/1, chosen by leave-families-out cross-validation
# (1, 3 and 5 tried; docs/signals.md).
EMBEDDING_SCALE: Final = 3.0
MAX_CHARS: Final = 8_000
# Chosen by leave-families-out cross-validation (crossval.py) with the id masking below: held-out
# recall +0.8 to +9.7 points per family over binary rows (cot 87.0% vs 86.2%, rubric 82.7% vs 80.4%,
# sweep 65.3% vs 55.6%) at a development false-positive rate of 0.10-0.24%.
LENGTH_KNEE: Final = 150
# How many tokens at each end of a prompt start an ends n-gram. Chosen by leave-families-out
# cross-validation (8 to 32 tried; docs/signals.md).
ENDS_TOKENS: Final = 12
_ENDS_SALT: Final = 0x656E6473  # mixed with an n-gram's column to give its ends column
_LONG_NUMBER: Final = re.compile(r"\d{3,}")
# Scripts written without spaces between words, each character a token of its own: kana, CJK ideographs, Hangul
# syllables, and (since the seventeenth model) Thai, Lao, Myanmar and Khmer, whose sentences were one "word" before.
_SPACELESS: Final = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"
)
_HASH_CACHE: Final = 1_000_000  # distinct tokens whose hashes are kept; the cache starts again beyond it
_hashes: dict[str, int] = {}
_LOW32: Final = np.uint64(0xFFFFFFFF)


def preprocess(text: str) -> str:
    """Lower-case, keep the first ``MAX_CHARS`` characters, space out the characters of scripts without spaces."""
    return _SPACELESS.sub(r" \g<0> ", text[:MAX_CHARS].lower())


def masked(token: str) -> str:
    """A token with its runs of three or more digits as ``000``."""
    return _LONG_NUMBER.sub("000", token)


def _token_hashes(words: list[str]) -> list[int]:
    """MurmurHash3 (seed 0, signed) of each token, masked, cached across batches."""
    if len(_hashes) + len(words) > _HASH_CACHE:
        _hashes.clear()
    cache = _hashes
    return [cache[t] if t in cache else cache.setdefault(t, murmurhash3_32(masked(t), seed=0)) for t in words]


def _bigram_columns(first: npt.NDArray[np.int64], second: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The column of each bigram from its two words' hashes (arrays only: numpy scalars warn on wrapping)."""
    mixed = ((first.astype(np.uint64) & _LOW32) << np.uint64(32)) | (second.astype(np.uint64) & _LOW32)
    mixed ^= mixed >> np.uint64(30)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(27)
    mixed *= np.uint64(0x94D049BB133111EB)
    mixed ^= mixed >> np.uint64(31)
    columns: npt.NDArray[np.int64] = (mixed % np.uint64(N_FEATURES)).astype(np.int64)
    return columns


def _gram_columns(hashes: npt.NDArray[np.int64], pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Each token's unigram column, then the bigram column of each token in ``pairs`` with the token after it."""
    return np.concatenate([np.abs(hashes) % N_FEATURES, _bigram_columns(hashes[pairs], hashes[pairs + 1])])


@cache
def _ends_table() -> npt.NDArray[np.int64]:
    """Every column's ends column (8 MB, made once): a lookup costs less than mixing a few columns afresh."""
    every = np.arange(N_FEATURES, dtype=np.int64)
    return _bigram_columns(np.full(N_FEATURES, _ENDS_SALT, dtype=np.int64), every)


def ends_columns(columns: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The ends column of each n-gram column: the column mixed with a salt, as a bigram's words are."""
    looked_up: npt.NDArray[np.int64] = _ends_table()[columns]
    return looked_up


def at_ends(positions: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Whether an n-gram starting at token ``positions`` of a text of ``lengths`` tokens is an ends n-gram."""
    at: npt.NDArray[np.bool_] = (positions < ENDS_TOKENS) | (positions >= lengths - ENDS_TOKENS)
    return at


@dataclass(frozen=True)
class Grams:
    """A batch's n-grams: the tokens, and every unigram's then every bigram's column and text."""

    tokens: tokens.Tokens
    rows: npt.NDArray[np.int64]  # the text of each n-gram
    columns: npt.NDArray[np.int64]  # its feature column
    positions: npt.NDArray[np.int64]  # its first token in ``tokens.flat``
    unigrams: int  # the first this many n-grams are unigrams, the rest bigrams

    @cached_property
    def at_ends(self) -> npt.NDArray[np.bool_]:
        """Whether each n-gram starts among its text's first or last ``ENDS_TOKENS`` tokens."""
        return at_ends(self.positions - self.tokens.starts[self.rows], self.tokens.lengths[self.rows])

    @cached_property
    def _starts(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Where each text's unigrams and its bigrams start among the n-grams."""
        lengths = self.tokens.lengths
        pair_starts = np.full(len(lengths), self.unigrams, dtype=np.int64)
        np.cumsum(np.maximum(lengths - 1, 0)[:-1], out=pair_starts[1:])
        pair_starts[1:] += self.unigrams
        return self.tokens.starts, pair_starts

    def of_row(self, row: int) -> npt.NDArray[np.int64]:
        """The indices of text ``row``'s n-grams: its unigrams, then its bigrams."""
        token_starts, pair_starts = self._starts
        length = int(self.tokens.lengths[row])
        return np.concatenate(
            [
                np.arange(token_starts[row], token_starts[row] + length),
                np.arange(pair_starts[row], pair_starts[row] + max(length - 1, 0)),
            ]
        )

    def texts(self, row: int, indices: npt.NDArray[np.int64]) -> list[str]:
        """The text of each of ``indices``, n-grams of text ``row``, as hashed (long numbers masked)."""
        words = self.tokens.of_text(row)
        positions = (self.positions[indices] - self._starts[0][row]).tolist()
        return [
            masked(words[p]) if i < self.unigrams else f"{masked(words[p])} {masked(words[p + 1])}"
            for i, p in zip(indices.tolist(), positions, strict=True)
        ]


def grams_of(prepared: Sequence[str]) -> Grams:
    """The unigrams and bigrams of texts already through :func:`preprocess`, with their columns."""
    split = tokens.split(prepared, tokens.WORDS_AND_MARKS)
    hashes = split.values(_token_hashes)
    rows = split.rows
    positions = np.arange(len(rows), dtype=np.int64)
    pairs = np.flatnonzero(rows[1:] == rows[:-1])  # a bigram starts at every token followed by one of its text
    return Grams(
        tokens=split,
        rows=np.concatenate([rows, rows[pairs]]),
        columns=_gram_columns(hashes, pairs),
        positions=np.concatenate([positions, pairs]),
        unigrams=len(rows),
    )


def row_scale(distinct: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """Each row's value given its number of distinct n-gram columns: 1 up to ``LENGTH_KNEE``."""
    scale: npt.NDArray[np.float32] = np.sqrt(LENGTH_KNEE / np.maximum(distinct, LENGTH_KNEE)).astype(np.float32)
    return scale


def _presence(rows: npt.NDArray[np.int64], columns: npt.NDArray[np.int64], count: int) -> sparse.csr_matrix:
    """``(count, N_FEATURES)``: 1 at each row's distinct columns, sorted within the row.

    scipy's conversion from coordinates sorts and merges each row's few columns in C++, twice as
    fast as one numpy sort of the batch's row-and-column keys (itself 20 times faster than ``np.unique``).
    """
    shape = (count, N_FEATURES)
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def hashed_matrix(grams: Grams, rows: int) -> sparse.csr_matrix:
    """``(rows, N_FEATURES)``: each row's distinct n-gram columns, valued by :func:`row_scale`."""
    matrix = _presence(grams.rows, grams.columns, rows)
    distinct = np.diff(matrix.indptr).astype(np.int64)
    matrix.data = np.repeat(row_scale(distinct), distinct)
    return matrix


def ends_matrix(grams: Grams, rows: int) -> sparse.csr_matrix:
    """``(rows, N_FEATURES)``: each row's distinct ends columns, valued 1."""
    ends = grams.at_ends
    return _presence(grams.rows[ends], ends_columns(grams.columns[ends]), rows)


@dataclass(frozen=True)
class HashedRow:
    """One text's row of :func:`hashed_matrix` (its distinct columns, all of one value) and of :func:`ends_matrix`."""

    columns: npt.NDArray[np.int64]
    value: float
    ends: npt.NDArray[np.int64]


def hashed_row(prepared: str) -> HashedRow:
    """One text's hashed and ends rows, as :func:`hashed_matrix` and :func:`ends_matrix` build them.

    The gateway scores one prompt a request; this reads it with Python's ``re`` and numpy alone,
    without the column machinery (polars, Arrow, a sparse matrix) that costs more than the work for
    one text.
    """
    hashes = np.array(_token_hashes(tokens.WORDS_AND_MARKS.python.findall(prepared)), dtype=np.int64)
    count, k = len(hashes), ENDS_TOKENS
    grams = _gram_columns(hashes, np.arange(count - 1))  # the unigrams, then the bigrams
    # The n-grams :func:`at_ends` picks: the first and last k unigrams and bigrams, or all of a short text's.
    ends = grams
    if count > 2 * k:
        ends = np.concatenate([grams[:k], grams[count - k : count + k], grams[2 * count - k :]])
    columns = np.unique(grams)
    return HashedRow(columns, float(row_scale(np.array([len(columns)]))[0]), np.unique(ends_columns(ends)))


def embed_prepared(prepared: Sequence[str], *, embedded: bool = True) -> npt.NDArray[np.float32]:
    """The embedding columns of texts already through :func:`preprocess`, scaled.

    With ``embedded=False`` they are zeros, for a model none of whose families read them: the
    embeddings are most of the cost of a short text's features.
    """
    if not embedded:
        return np.zeros((len(prepared), static_embedding.COLUMNS), dtype=np.float32)
    columns: npt.NDArray[np.float32] = builtin_embedding().embed_prepared(prepared) * np.float32(EMBEDDING_SCALE)
    return columns


@dataclass(frozen=True)
class Features:
    """A batch's features: the hashed and ends n-gram matrices and the dense embedding columns after them."""

    hashed: sparse.csr_matrix  # (rows, N_FEATURES)
    ends: sparse.csr_matrix  # (rows, N_FEATURES), the same columns as ``hashed``
    embedded: npt.NDArray[np.float32]  # (rows, static_embedding.COLUMNS)

    def matrix(self, *, ends: bool = True, embedded: bool = True) -> sparse.csr_matrix:
        """``[hashed (+ ends) | embedded]`` as one matrix, for fitting (scoring keeps them apart).

        ``(rows, N_COLUMNS)`` with the embedding columns, ``(rows, N_FEATURES)`` without; the ends
        n-grams are added to the hashed ones, in the same columns, where ``ends``.
        """
        grams = self.hashed + self.ends if ends else self.hashed
        if not embedded:
            return sparse.csr_matrix(grams)
        combined: sparse.csr_matrix = sparse.hstack([grams, sparse.csr_matrix(self.embedded)], format="csr")
        return combined


def featurize_grams(prepared: Sequence[str], grams: Grams, *, embedded: bool = True) -> Features:
    """The features of texts already through :func:`preprocess`, their n-grams already found.

    ``embedded=False`` leaves the embedding columns zero (:func:`embed_prepared`).
    """
    rows = len(prepared)
    return Features(hashed_matrix(grams, rows), ends_matrix(grams, rows), embed_prepared(prepared, embedded=embedded))


def featurize_prepared(prepared: Sequence[str]) -> Features:
    """The features of texts already through :func:`preprocess`."""
    return featurize_grams(prepared, grams_of(prepared))


def featurize(texts: Sequence[str]) -> Features:
    """The feature matrix of ``texts`` (one row each)."""
    return featurize_prepared([preprocess(t) for t in texts])


def ngrams(text: str) -> list[str]:
    """The n-grams of ``text`` as the featurizer sees them, unigrams then bigrams (for evidence and tests)."""
    grams = grams_of([preprocess(text)])
    return grams.texts(0, np.arange(len(grams.columns)))


def column_of(ngram: str) -> int:
    """The feature column ``ngram`` (one token, or two separated by a space) hashes to."""
    hashes = np.array([murmurhash3_32(word, seed=0) for word in ngram.split(" ")], dtype=np.int64)
    return int(_gram_columns(hashes, np.arange(len(hashes) - 1))[-1])  # the one unigram, or the bigram after two
