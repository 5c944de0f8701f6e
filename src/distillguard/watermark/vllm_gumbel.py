"""vLLM's own Gumbel-max watermark, verified without vLLM or torch.

vLLM (``vllm serve --watermark-config '{"algorithm": "gumbel", "key": K}'``) draws each token
as ``argmax(logits + g)`` with ``g = -log(-log u)`` and ``u`` a keyed uniform from its
``philox4x32-10-v1`` pseudo-random function of (the ``context_width`` previous *output* tokens,
``-1`` before the first, the candidate token). Its detector sums ``-log(1 - u)`` over the
tokens whose context is new within the text and tests the sum against Gamma(n, 1). This module
is that function and that test in numpy, read from vLLM's ``vllm/v1/watermarking`` sources
(``prfs/philox.py``, ``prfs/base.py``, ``gumbel.py``, ``detector.py``) and checked against
numbers its torch code computes (``tests/watermark/test_vllm_gumbel.py``).
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from distillguard.errors import WatermarkError
from distillguard.watermark.keys import WatermarkKey
from distillguard.watermark.stats import gamma_tail

U64 = npt.NDArray[np.uint64]
Floats = npt.NDArray[np.float64]

PRF_VERSION: Final = "philox4x32-10-v1"
_MASK32: Final = np.uint64(0xFFFFFFFF)
_M0: Final = np.uint64(0xD2511F53)
_M1: Final = np.uint64(0xCD9E8D57)
_W0: Final = 0x9E3779B9
_W1: Final = 0xBB67AE85
_CONTEXT_DOMAIN: Final = 0x574D4358
_TOKEN_DOMAIN: Final = 0x574D544B


def _mulhilo(multiplier: np.uint64, values: U64) -> tuple[U64, U64]:
    product = values * multiplier  # both below 2**32: the product fits in 64 bits
    return product >> np.uint64(32), product & _MASK32


def philox4x32_10(counter: tuple[U64, U64, U64, U64], key: tuple[U64, U64]) -> tuple[U64, U64, U64, U64]:
    """Ten rounds of Philox4x32 (Salmon et al. 2011) on uint32 words held in uint64 arrays."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for round_index in range(10):
        high0, low0 = _mulhilo(_M0, c0)
        high1, low1 = _mulhilo(_M1, c2)
        c0, c1, c2, c3 = (high1 ^ c1 ^ k0) & _MASK32, low1, (high0 ^ c3 ^ k1) & _MASK32, low0
        if round_index != 9:
            k0 = (k0 + np.uint64(_W0)) & _MASK32
            k1 = (k1 + np.uint64(_W1)) & _MASK32
    return c0, c1, c2, c3


def philox_uniform(key: int, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """The uniform of each (context row, token) that vLLM's ``PhiloxPRF.uniform`` computes: float32 in (0, 1)."""
    rows = np.ascontiguousarray(np.atleast_2d(np.asarray(contexts, dtype=np.int64)))
    n, width = rows.shape
    words = rows.view(np.uint64) & _MASK32
    key0 = np.full(n, key & 0xFFFFFFFF, dtype=np.uint64)
    key1 = np.full(n, key >> 32, dtype=np.uint64)
    state = (
        np.full(n, _CONTEXT_DOMAIN, dtype=np.uint64),
        np.full(n, width, dtype=np.uint64),
        np.zeros(n, dtype=np.uint64),
        np.zeros(n, dtype=np.uint64),
    )
    for offset in range(0, width, 4):
        block = [
            words[:, offset + index] if offset + index < width else np.full(n, 0xFFFFFFFF - index, dtype=np.uint64)
            for index in range(4)
        ]
        counter = (state[0] ^ block[0], state[1] ^ block[1], state[2] ^ block[2], state[3] ^ block[3])
        state = philox4x32_10(counter, ((key0 ^ np.uint64(offset)) & _MASK32, key1))
    token_words = np.ascontiguousarray(np.atleast_1d(np.asarray(tokens, dtype=np.int64))).view(np.uint64) & _MASK32
    outputs = philox4x32_10(
        (token_words >> np.uint64(2), state[0], state[1], state[2]),
        ((key0 ^ state[3]) & _MASK32, (key1 ^ np.uint64(_TOKEN_DOMAIN)) & _MASK32),
    )
    lane = token_words & np.uint64(3)
    chosen = np.choose(lane.astype(np.intp), outputs)
    mantissa = (chosen >> np.uint64(8)).astype(np.float64)
    return ((mantissa + 1.0) / (2**24 + 1)).astype(np.float32)


class VllmGumbel:
    """vLLM's Gumbel-max scheme under a ``vllm-gumbel`` key (the integer of its watermark config)."""

    statistic_name: Final = "score"
    dedupe: Final[Literal["context"]] = "context"
    distortion_free: Final = True

    def __init__(self, key: WatermarkKey) -> None:
        if key.scheme != "vllm-gumbel":
            raise WatermarkError(f"{key.key_id} is a {key.scheme} key, not a vllm-gumbel key")
        self.key = key
        self.context_width = key.context_width
        self._key = key.vllm_key

    def uniform(self, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> Floats:
        """The ``u`` vLLM draws for each pair (float32 values, as float64)."""
        return philox_uniform(self._key, contexts, tokens).astype(np.float64)

    def pair_scores(self, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> Floats:
        """``-log(1 - u)``."""
        return -np.log1p(-self.uniform(contexts, tokens))

    def p_values(self, statistics: npt.ArrayLike, counts: npt.ArrayLike) -> Floats:
        """``P(Gamma(n, 1) >= score)``."""
        return gamma_tail(statistics, counts)

    def vocabulary(self, context: npt.ArrayLike, vocab_size: int) -> Floats:
        """``u`` of every token after ``context`` (what vLLM's sampler draws with)."""
        row = np.asarray(context, dtype=np.int64).reshape(1, -1)
        return self.uniform(np.repeat(row, vocab_size, axis=0), np.arange(vocab_size))
