"""Hashed word n-grams, the features of the extraction model.

Text is lower-cased and every CJK character (Chinese, Japanese kana, Korean Hangul)
becomes a token of its own, so that languages written without spaces yield word-like
n-grams too; runs of three or more digits (item ids, sample numbers) become ``000``, so
that "sample 4821" and "sample 17" share their n-grams. Unigrams and bigrams are hashed
(MurmurHash3, as scikit-learn's ``HashingVectorizer``) into ``N_FEATURES`` columns as
binary presence. A row with more than ``LENGTH_KNEE`` distinct n-grams is scaled by
``sqrt(LENGTH_KNEE / n)``: a long text no longer fires on the sum of many small weights,
while a wrapper keeps most of its weight around a long pasted item (full L2 normalisation,
the first version's, scaled by ``1 / sqrt(n)`` from the first n-gram and drowned it).

After the ``N_FEATURES`` hashed columns come ``static_embedding.COLUMNS`` dense ones: the
static embeddings of the prompt's opening and closing words, times ``EMBEDDING_SCALE``
(see :mod:`distillguard.signals.static_embedding`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from distillguard.signals import static_embedding
from distillguard.signals.static_embedding import builtin_embedding

N_FEATURES: Final = 2**18
N_COLUMNS: Final = N_FEATURES + static_embedding.COLUMNS
# The embedding columns' value against the n-grams' 0/1, chosen by leave-families-out cross-validation
# (1, 3 and 5 tried; docs/signals.md).
EMBEDDING_SCALE: Final = 3.0
MAX_CHARS: Final = 8_000
# Chosen by leave-families-out cross-validation (crossval.py) with the id masking below: held-out
# recall +0.8 to +9.7 points per family over binary rows (cot 87.0% vs 86.2%, rubric 82.7% vs 80.4%,
# sweep 65.3% vs 55.6%) at a development false-positive rate of 0.10-0.24%.
LENGTH_KNEE: Final = 150
_LONG_NUMBER: Final = re.compile(r"\d{3,}")
_CJK: Final = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_TOKEN: Final = re.compile(r"(?u)\b\w+\b|[<>\[\]{}#]")


def preprocess(text: str) -> str:
    """Lower-case, keep the first ``MAX_CHARS`` characters, space out CJK characters."""
    return _CJK.sub(r" \g<0> ", text[:MAX_CHARS].lower())


def analyze(prepared: str) -> list[str]:
    """The unigrams and bigrams of a text already through :func:`preprocess`.

    The same n-grams as scikit-learn's word analyser with ``ngram_range=(1, 2)`` and this
    token pattern, built in one pass (about a tenth faster over a batch).
    """
    words: list[str] = _TOKEN.findall(_LONG_NUMBER.sub("000", prepared))
    return words + [f"{first} {second}" for first, second in pairwise(words)]


_VECTORIZER: Final = HashingVectorizer(
    n_features=N_FEATURES,
    analyzer=analyze,
    alternate_sign=False,
    binary=True,
    norm=None,
    dtype=np.float32,
)


def row_scale(distinct: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """Each row's value given its number of distinct n-gram columns: 1 up to ``LENGTH_KNEE``."""
    scale: npt.NDArray[np.float32] = np.sqrt(LENGTH_KNEE / np.maximum(distinct, LENGTH_KNEE)).astype(np.float32)
    return scale


def embed_prepared(prepared: Sequence[str]) -> npt.NDArray[np.float32]:
    """The embedding columns of texts already through :func:`preprocess`, scaled."""
    embedded: npt.NDArray[np.float32] = builtin_embedding().embed_prepared(prepared) * np.float32(EMBEDDING_SCALE)
    return embedded


@dataclass(frozen=True)
class Features:
    """A batch's features: the hashed n-gram matrix and the dense embedding columns after it."""

    hashed: sparse.csr_matrix  # (rows, N_FEATURES)
    embedded: npt.NDArray[np.float32]  # (rows, static_embedding.COLUMNS)

    def matrix(self) -> sparse.csr_matrix:
        """``[hashed | embedded]`` as one ``(rows, N_COLUMNS)`` matrix, for fitting (scoring keeps them apart)."""
        combined: sparse.csr_matrix = sparse.hstack([self.hashed, sparse.csr_matrix(self.embedded)], format="csr")
        return combined


def featurize_prepared(prepared: Sequence[str]) -> Features:
    """The features of texts already through :func:`preprocess`."""
    if len(prepared) == 0:
        empty = sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)
        return Features(empty, np.zeros((0, static_embedding.COLUMNS), dtype=np.float32))
    matrix: sparse.csr_matrix = _VECTORIZER.transform(prepared)
    distinct = np.diff(matrix.indptr)
    matrix.data *= np.repeat(row_scale(distinct), distinct)
    return Features(matrix, embed_prepared(prepared))


def featurize_one(
    prepared: str,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """One prepared text's hashed columns and values, and its embedding: the row :func:`featurize_prepared` builds.

    The gateway scores one prompt per request; this skips the matrix machinery around the same
    hashing (about ten times faster for one text).
    """
    present = {column_of(g) for g in analyze(prepared)}
    columns = np.fromiter(present, dtype=np.int64, count=len(present))
    scale = row_scale(np.array([len(present)], dtype=np.int64))[0]
    embedded = builtin_embedding().embed_one(prepared) * np.float32(EMBEDDING_SCALE)
    return columns, np.full(len(present), scale, dtype=np.float32), embedded


def featurize(texts: Sequence[str]) -> Features:
    """The feature matrix of ``texts`` (one row each)."""
    return featurize_prepared([preprocess(t) for t in texts])


def ngrams(text: str) -> list[str]:
    """The n-grams of ``text`` as the featurizer sees them (for evidence)."""
    return analyze(preprocess(text))


def column_of(ngram: str) -> int:
    """The feature column ``ngram`` hashes to (matches :func:`featurize`)."""
    return int(abs(murmurhash3_32(ngram, seed=0)) % N_FEATURES)


def columns_of(grams: Sequence[str]) -> npt.NDArray[np.int64]:
    """:func:`column_of` for many n-grams."""
    return np.fromiter((column_of(g) for g in grams), dtype=np.int64, count=len(grams))
