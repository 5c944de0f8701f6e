"""Detection: pairs, de-duplication, pooling, and p-values uniform under the null."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from distillguard.errors import WatermarkError
from distillguard.watermark import (
    WatermarkKey,
    detect_many,
    detect_pairs,
    detect_tokens,
    generate_key,
    scheme_for,
    texts_pairs,
)
from distillguard.watermark.detect import sequence_pairs


def naive_pairs(sequence: list[int], h: int) -> list[tuple[tuple[int, ...], int]]:
    padded = [-1] * h + sequence
    return [(tuple(padded[i : i + h]), padded[i + h]) for i in range(len(sequence))]


@pytest.mark.parametrize("h", [1, 2, 4])
def test_pairs_of_many_texts_match_a_plain_loop(h: int) -> None:
    rng = np.random.default_rng(h)
    texts = [list(map(int, rng.integers(0, 50, size=n))) for n in (0, 1, 3, 17, 0, 40)]
    contexts, tokens, text_of = texts_pairs(texts, h)
    expected = [(index, pair) for index, text in enumerate(texts) for pair in naive_pairs(text, h)]
    got = [
        (int(t), (tuple(int(c) for c in ctx), int(tok))) for ctx, tok, t in zip(contexts, tokens, text_of, strict=True)
    ]
    assert got == expected


def test_negative_token_ids_are_refused() -> None:
    with pytest.raises(WatermarkError, match="non-negative"):
        texts_pairs([[1, 2], [3, -4]], 2)


@pytest.mark.parametrize("scheme_name", ["kgw", "gumbel", "vllm-gumbel"])
def test_repeating_a_text_adds_no_evidence(scheme_name: str) -> None:
    scheme = scheme_for(generate_key(scheme_name))  # type: ignore[arg-type]
    text = list(range(100, 160))
    once = detect_tokens(scheme, text)
    ten_times = detect_tokens(scheme, text * 10)
    assert ten_times.tokens_seen == 600
    assert ten_times.tokens_scored <= once.tokens_scored + scheme.context_width
    assert ten_times.p_value == pytest.approx(once.p_value, abs=0.2)
    pooled = detect_many(scheme, [text] * 50, pool=True)[0]
    assert pooled.tokens_scored == once.tokens_scored
    assert pooled.p_value == pytest.approx(once.p_value)


def test_pooling_equals_one_test_over_the_union_of_distinct_pairs() -> None:
    scheme = scheme_for(generate_key("gumbel"))
    rng = np.random.default_rng(11)
    texts = [rng.integers(0, 300, size=80) for _ in range(20)]
    pooled = detect_many(scheme, texts, pool=True)[0]
    contexts, tokens, _ = texts_pairs(texts, scheme.context_width)
    explicit = detect_pairs(scheme, contexts, tokens)
    assert pooled.tokens_scored == explicit.tokens_scored
    assert pooled.statistic == pytest.approx(explicit.statistic)
    assert pooled.p_value == pytest.approx(explicit.p_value)


def test_detect_pairs_checks_shapes_and_counts_each_pair_once() -> None:
    scheme = scheme_for(generate_key("kgw"))
    contexts = np.array([[1, 2], [1, 2], [3, 4]])
    single = detect_pairs(scheme, contexts, [5, 5, 6])
    assert (single.tokens_seen, single.tokens_scored) == (3, 2)
    with pytest.raises(WatermarkError, match="3 contexts but 2 tokens"):
        detect_pairs(scheme, contexts, [5, 6])


def test_sequence_pairs_pads_the_start() -> None:
    contexts, tokens = sequence_pairs([7, 8, 9], 2)
    assert contexts.tolist() == [[-1, -1], [-1, 7], [7, 8]]
    assert tokens.tolist() == [7, 8, 9]


def fixed_key(scheme_name: str) -> WatermarkKey:
    """A key with a fixed secret, so the statistical checks below are deterministic."""
    secret = bytes(range(8)) if scheme_name == "vllm-gumbel" else bytes(range(32))
    is_kgw = scheme_name == "kgw"
    return WatermarkKey(
        scheme=scheme_name,  # type: ignore[arg-type]
        secret=secret,
        context_width=4 if scheme_name == "vllm-gumbel" else 2,
        gamma=0.25 if is_kgw else None,
        delta=2.0 if is_kgw else None,
    )


def _null_texts(seed: int, count: int) -> list[np.ndarray]:
    # Unwatermarked stand-ins, independent of the key: ids drawn at random, each text with its own
    # repeats (a small per-text vocabulary), of varied length. Real human text is measured in
    # benchmarks/watermark_quality.py, where common n-grams shared across texts are also at play.
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(count):
        own_words = rng.integers(0, 49152, size=int(rng.integers(20, 120)))
        texts.append(rng.choice(own_words, size=int(rng.integers(30, 300))))
    return texts


@pytest.mark.parametrize("scheme_name", ["gumbel", "vllm-gumbel"])
def test_continuous_p_values_are_uniform_under_the_null(scheme_name: str) -> None:
    scheme = scheme_for(fixed_key(scheme_name))
    p_values = np.array([d.p_value for d in detect_many(scheme, _null_texts(1, 3000))])
    assert stats.kstest(p_values, "uniform").pvalue > 1e-3
    assert (p_values < 0.01).mean() < 0.02


def test_green_list_p_values_hold_their_level_under_the_null() -> None:
    scheme = scheme_for(fixed_key("kgw"))
    p_values = np.array([d.p_value for d in detect_many(scheme, _null_texts(2, 4000))])
    for level in (0.01, 0.05, 0.1, 0.5):
        rate = (p_values <= level).mean()
        # Discrete counts make the test conservative: at most the level (plus sampling noise), not far below.
        assert level * 0.6 < rate < level + 3 * np.sqrt(level * (1 - level) / 4000)


def test_without_de_duplication_repetitive_text_would_look_watermarked() -> None:
    # Why pairs are de-duplicated: a text that repeats one phrase with a green pair in it.
    scheme = scheme_for(generate_key("kgw"))
    rng = np.random.default_rng(5)
    contexts, tokens = rng.integers(0, 49152, size=(5000, 2)), rng.integers(0, 49152, size=5000)
    green = scheme.pair_scores(contexts, tokens) == 1
    phrase_context, phrase_token = contexts[green][0], tokens[green][0]
    repeated_contexts = np.repeat(phrase_context.reshape(1, -1), 200, axis=0)
    counted_once = detect_pairs(scheme, repeated_contexts, np.full(200, phrase_token))
    assert counted_once.tokens_scored == 1
    assert counted_once.p_value == pytest.approx(0.25)


def test_green_list_record_carries_fraction_and_z() -> None:
    scheme = scheme_for(generate_key("kgw"))
    record = detect_tokens(scheme, list(range(200))).record()
    assert set(record) == {
        "key_id",
        "scheme",
        "p_value",
        "tokens_scored",
        "tokens",
        "green_tokens",
        "green_fraction",
        "z",
    }
    assert isinstance(record["green_tokens"], int)
