"""Keyed pseudo-random numbers per (context, token), vectorised over numpy arrays.

Each context (the ``h`` token ids before a position, ``-1`` before the text starts) is hashed
with SipHash-2-4 (Aumasson and Bernstein 2012, a keyed pseudo-random function with a 128-bit
key) into a 64-bit seed, so every distinct context has its own seed and the green lists do not
collapse to one per token. The seed starts a SplitMix64 stream (Steele et al. 2014) whose
``t``-th output is token ``t``'s number: one pass over the vocabulary costs a multiply and a
few shifts per token, and any single (context, token) pair is computed the same way at
detection. Everything runs in wrapping uint64 arithmetic on whole columns at once.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]

_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)
_MIX1: Final = np.uint64(0xBF58476D1CE4E5B9)
_MIX2: Final = np.uint64(0x94D049BB133111EB)
_TO_UNIT: Final = 2.0**-53
_HALF_STEP: Final = 2.0**-54


def _rotl(x: U64, bits: int) -> U64:
    return (x << np.uint64(bits)) | (x >> np.uint64(64 - bits))


def _sip_rounds(v: list[U64], rounds: int) -> None:
    v0, v1, v2, v3 = v
    for _ in range(rounds):
        v0 = v0 + v1
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = v2 + v3
        v3 = _rotl(v3, 16) ^ v2
        v0 = v0 + v3
        v3 = _rotl(v3, 21) ^ v0
        v2 = v2 + v1
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    v[:] = [v0, v1, v2, v3]


def siphash24(key: bytes, words: npt.NDArray[np.uint64]) -> U64:
    """SipHash-2-4 of each row of ``words`` (n x m), each row read as 8m little-endian bytes."""
    if len(key) != 16:
        raise ValueError("SipHash takes a 16-byte key")
    rows = np.ascontiguousarray(np.atleast_2d(words), dtype=np.uint64)
    n, m = rows.shape
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:], "little")
    v = [
        np.full(n, k0 ^ 0x736F6D6570736575, dtype=np.uint64),
        np.full(n, k1 ^ 0x646F72616E646F6D, dtype=np.uint64),
        np.full(n, k0 ^ 0x6C7967656E657261, dtype=np.uint64),
        np.full(n, k1 ^ 0x7465646279746573, dtype=np.uint64),
    ]
    for column in range(m):
        word = rows[:, column]
        v[3] = v[3] ^ word
        _sip_rounds(v, 2)
        v[0] = v[0] ^ word
    last = np.full(n, ((8 * m) & 0xFF) << 56, dtype=np.uint64)
    v[3] = v[3] ^ last
    _sip_rounds(v, 2)
    v[0] = v[0] ^ last
    v[2] = v[2] ^ np.uint64(0xFF)
    _sip_rounds(v, 4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def splitmix64(x: U64) -> U64:
    """SplitMix64's output function (a bijection of uint64 that mixes every bit)."""
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    return x ^ (x >> np.uint64(31))


def to_unit(x: U64) -> npt.NDArray[np.float64]:
    """The top 53 bits of ``x`` as a float strictly inside (0, 1)."""
    return (x >> np.uint64(11)).astype(np.float64) * _TO_UNIT + _HALF_STEP


def token_words(token_ids: npt.ArrayLike) -> U64:
    """Token ids (``-1`` for "before the text") as uint64 words, two's complement."""
    return np.ascontiguousarray(np.asarray(token_ids, dtype=np.int64)).view(np.uint64)


class KeyedUniform:
    """Uniform numbers in (0, 1) per (context, token), keyed by a secret and a domain name."""

    def __init__(self, secret: bytes, domain: str) -> None:
        self._sip_key = hmac.digest(secret, b"distillguard-prf\0" + domain.encode(), hashlib.sha256)[:16]
        self._domain_word = int.from_bytes(hashlib.sha256(domain.encode()).digest()[:8], "little")
        self._steps: dict[int, U64] = {}

    def seeds(self, contexts: npt.ArrayLike) -> U64:
        """One 64-bit seed per row of ``contexts`` (n x h token ids)."""
        words = token_words(np.atleast_2d(np.asarray(contexts, dtype=np.int64)))
        tagged = np.empty((words.shape[0], words.shape[1] + 1), dtype=np.uint64)
        tagged[:, 0] = self._domain_word
        tagged[:, 1:] = words
        return siphash24(self._sip_key, tagged)

    def pairs(self, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The number of each (context row, token) pair."""
        seeds = self.seeds(contexts)
        steps = (token_words(np.atleast_1d(np.asarray(tokens, dtype=np.int64))) + np.uint64(1)) * _GOLDEN
        return to_unit(splitmix64(seeds + steps))

    def vocabulary(self, context: npt.ArrayLike, vocab_size: int) -> npt.NDArray[np.float64]:
        """The numbers of tokens ``0..vocab_size-1`` after one context (h token ids)."""
        numbers: npt.NDArray[np.float64] = self.vocabularies(
            np.asarray(context, dtype=np.int64).reshape(1, -1), vocab_size
        )
        return np.asarray(numbers[0], dtype=np.float64)

    def vocabularies(self, contexts: npt.ArrayLike, vocab_size: int) -> npt.NDArray[np.float64]:
        """The numbers of every token after each context row: (rows x vocab_size)."""
        steps = self._steps.get(vocab_size)
        if steps is None:
            steps = np.arange(1, vocab_size + 1, dtype=np.uint64) * _GOLDEN
            self._steps[vocab_size] = steps
        seeds = self.seeds(contexts)
        numbers: npt.NDArray[np.float64] = to_unit(splitmix64(seeds[:, np.newaxis] + steps[np.newaxis, :]))
        return numbers
