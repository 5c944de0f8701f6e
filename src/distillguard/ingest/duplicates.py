"""Find repeated keys (``request_id``, ``account_id``) across a stream of batches.

A 16-million-row log cannot keep its ids as Python strings. Each key is hashed to 64
bits (Polars' vectorised hash) and the hashes seen so far are kept as a few sorted
NumPy runs, merged like a binary counter so each lookup is a handful of
``searchsorted`` calls: about 8 bytes a row and O(n log n) work in all. Two different
keys share a 64-bit hash with probability about n^2 / 2^65 (1 in 140,000 for 16M rows);
such a pair would be reported as a duplicate, never missed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

_SEED = 0x5EED


class DuplicateKeyTracker:
    """Remembers the keys seen so far and marks the repeats in each new batch."""

    def __init__(self) -> None:
        self._runs: list[npt.NDArray[np.uint64]] = []

    def __len__(self) -> int:
        return sum(len(run) for run in self._runs)

    def mark_repeats(self, keys: pa.Array, consider: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Return a mask of the rows whose key was seen before (earlier batch or row).

        Only rows where ``consider`` is true are looked at and remembered; the first
        occurrence of a key is never marked.
        """
        n = len(keys)
        repeats = np.zeros(n, dtype=np.bool_)
        positions = np.flatnonzero(consider)
        if positions.size == 0:
            return repeats
        hashed = pl.Series(keys).hash(seed=_SEED).to_numpy()[positions].astype(np.uint64)
        unique, first, inverse = np.unique(hashed, return_index=True, return_inverse=True)
        within = np.ones(hashed.size, dtype=np.bool_)
        within[first] = False
        seen = np.zeros(unique.size, dtype=np.bool_)
        for run in self._runs:  # sorted queries make searchsorted walk each run once
            at = np.searchsorted(run, unique)
            found = at < run.size
            found[found] = run[at[found]] == unique[found]
            seen |= found
        repeats[positions] = within | seen[inverse]
        self._remember(unique[~seen])
        return repeats

    def _remember(self, sorted_new: npt.NDArray[np.uint64]) -> None:
        if sorted_new.size == 0:
            return
        self._runs.append(sorted_new)
        while len(self._runs) >= 2 and self._runs[-2].size <= 2 * self._runs[-1].size:
            top = self._runs.pop()
            below = self._runs.pop()
            self._runs.append(np.sort(np.concatenate((below, top)), kind="stable"))
