"""The keyed hash: SipHash-2-4 against the published test vectors and a byte-wise reference."""

from __future__ import annotations

import numpy as np
import pytest

from distillguard.watermark.keyed_hash import KeyedUniform, siphash24

MASK = (1 << 64) - 1


def scalar_siphash24(key: bytes, data: bytes) -> int:
    """SipHash-2-4 byte by byte, as the paper's reference code computes it."""
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def rotl(x: int, b: int) -> int:
        return ((x << b) | (x >> (64 - b))) & MASK

    def rounds(count: int) -> None:
        for _ in range(count):
            v[0] = (v[0] + v[1]) & MASK
            v[1] = rotl(v[1], 13) ^ v[0]
            v[0] = rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & MASK
            v[3] = rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & MASK
            v[3] = rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & MASK
            v[1] = rotl(v[1], 17) ^ v[2]
            v[2] = rotl(v[2], 32)

    whole = len(data) - len(data) % 8
    for start in range(0, whole, 8):
        m = int.from_bytes(data[start : start + 8], "little")
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    b = int.from_bytes(data[whole:] + bytes(7 - len(data) % 8) + bytes([len(data) & 0xFF]), "little")
    v[3] ^= b
    rounds(2)
    v[0] ^= b
    v[2] ^= 0xFF
    rounds(4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


# The SipHash paper (Aumasson and Bernstein 2012), appendix A and its vectors.h: key 00..0f,
# message 00..(n-1).
@pytest.mark.parametrize(
    ("length", "expected"),
    [(0, 0x726FDB47DD0E0E31), (8, 0x93F5F5799A932462), (15, 0xA129CA6149BE45E5), (16, 0x3F2ACC7F57C29BDB)],
)
def test_scalar_reference_matches_published_vectors(length: int, expected: int) -> None:
    assert scalar_siphash24(bytes(range(16)), bytes(range(length))) == expected


def test_vectorised_siphash_matches_the_reference_on_words() -> None:
    rng = np.random.default_rng(7)
    key = bytes(rng.integers(0, 256, 16, dtype=np.uint8))
    for width in (1, 2, 3, 5):
        words = rng.integers(0, 2**63, size=(50, width), dtype=np.int64).view(np.uint64)
        words[0, 0] = np.uint64(2**64 - 1)
        got = siphash24(key, words)
        for row, value in zip(words, got, strict=True):
            assert int(value) == scalar_siphash24(key, row.astype("<u8").tobytes())
    assert int(siphash24(bytes(range(16)), np.frombuffer(bytes(range(16)), dtype="<u8").reshape(1, 2))[0]) == (
        0x3F2ACC7F57C29BDB
    )


def test_vocabulary_pass_equals_pairwise_numbers() -> None:
    keyed = KeyedUniform(b"s" * 32, "kgw")
    context = np.array([17, -1])
    vocab = keyed.vocabulary(context, 1000)
    pairs = keyed.pairs(np.repeat(context.reshape(1, -1), 1000, axis=0), np.arange(1000))
    assert np.array_equal(vocab, pairs)
    assert vocab.min() > 0
    assert vocab.max() < 1


def test_numbers_depend_on_key_domain_and_whole_context() -> None:
    base = KeyedUniform(b"a" * 32, "kgw").vocabulary([5, 9], 4096)
    assert not np.array_equal(base, KeyedUniform(b"b" * 32, "kgw").vocabulary([5, 9], 4096))
    assert not np.array_equal(base, KeyedUniform(b"a" * 32, "gumbel").vocabulary([5, 9], 4096))
    # Both context tokens seed the list (no collapse to one list per previous token).
    assert not np.array_equal(base, KeyedUniform(b"a" * 32, "kgw").vocabulary([6, 9], 4096))
    assert not np.array_equal(base, KeyedUniform(b"a" * 32, "kgw").vocabulary([5, 8], 4096))


def test_green_lists_of_distinct_contexts_are_distinct_and_balanced() -> None:
    keyed = KeyedUniform(b"k" * 32, "kgw")
    rng = np.random.default_rng(3)
    contexts = rng.integers(0, 49152, size=(400, 2))
    masks = {keyed.vocabulary(context, 2048).__lt__(0.25).tobytes() for context in contexts}
    assert len(masks) == 400
    numbers = keyed.pairs(rng.integers(0, 49152, (200_000, 2)), rng.integers(0, 49152, 200_000))
    counts, _ = np.histogram(numbers, bins=20, range=(0, 1))
    # 10,000 expected per bin, sd 98
    assert counts.min() > 9_400
    assert counts.max() < 10_600
