"""Near-duplicate sketches of each sampled prompt's payload: the task item inside the wrapper.

A prompt is a wrapper (a campaign's template, an app's instructions) around an item (a maths
problem, an instruction of a public dataset, a user's question). Two prompts carry the same
item when they share most of the item's word pairs whatever wraps them; the wrapper's own
word pairs recur in thousands of prompts, an item's in few.

Each prompt's word bigrams (lower-cased words, hashed) are reduced to a bottom-``SKETCH``
sketch: its ``SKETCH`` smallest hashes. The scan then counts, over every sampled prompt, how
many prompts hold each hash (:mod:`distillguard.scan.links`): hashes held by many prompts are
wrapper or common phrasing, and the smallest of a prompt's remaining hashes is its *item key*,
a MinHash of the payload's rarer word pairs (two prompts get one key with probability their
Jaccard similarity). A prompt whose sketch holds only common hashes has no key.

One function of a column of prompts, numpy after polars' tokenizer: it runs in the scan's
worker processes beside the classifiers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from distillguard.signals import tokens

SKETCH: Final = 8
PAYLOAD_CHARS: Final = 2_000  # an item sits near the start of its prompt; long answers add little
NO_HASH: Final = np.uint64(np.iinfo(np.uint64).max)
_MIX: Final = np.uint64(0x9E3779B97F4A7C15)


def payload_sketches(prompts: Sequence[str]) -> npt.NDArray[np.uint64]:
    """``(len(prompts), SKETCH)``: each prompt's smallest word-bigram hashes, ascending; ``NO_HASH`` pads."""
    out = np.full((len(prompts), SKETCH), NO_HASH, dtype=np.uint64)
    if not prompts:
        return out
    split = tokens.split([p[:PAYLOAD_CHARS] for p in prompts], tokens.WORDS_AND_MARKS)
    words = pl.from_arrow(split.flat)
    assert isinstance(words, pl.Series)
    hashed = words.str.to_lowercase().hash(seed=29).to_numpy().astype(np.uint64)
    rows = split.rows
    if hashed.size == 0:
        return out
    pairs = np.flatnonzero(rows[1:] == rows[:-1])
    # a one-word prompt keeps its word; longer prompts their word pairs
    single = np.flatnonzero(split.lengths == 1)
    grams = np.concatenate([(hashed[pairs] * _MIX) ^ hashed[pairs + 1], hashed[split.starts[single]]])
    owner = np.concatenate([rows[pairs], single])
    order = np.lexsort((grams, owner))
    grams, owner = grams[order], owner[order]
    distinct = np.ones(grams.size, dtype=bool)
    distinct[1:] = (grams[1:] != grams[:-1]) | (owner[1:] != owner[:-1])
    grams, owner = grams[distinct], owner[distinct]
    first = np.searchsorted(owner, owner, side="left")
    rank = np.arange(owner.size) - first
    kept = rank < SKETCH
    out[owner[kept], rank[kept]] = grams[kept]
    return out
