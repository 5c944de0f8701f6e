"""The tests' p-values: exact enumeration against Monte Carlo, uniform under the null, Holm against its definition."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from distillguard.forensics.stats import exchange_test, holm, naming_test, rank_test


def test_naming_test_is_fishers_one_sided_exact_test() -> None:
    expected = stats.fisher_exact([[9, 11], [2, 38]], alternative="greater").pvalue
    assert naming_test(9, 20, 2, 40) == pytest.approx(expected)
    assert naming_test(0, 20, 0, 40) == 1.0
    assert naming_test(0, 0, 3, 40) == 1.0


def test_exchange_test_exact_and_monte_carlo_agree() -> None:
    rng = np.random.default_rng(1)
    suspect = rng.random(9) + 0.3
    references = rng.random((1, 9))
    _, exact = exchange_test(suspect, references)  # 2**9 arrangements: enumerated
    _, sampled = exchange_test(np.tile(suspect, 1), references, draws=200_000, seed=3)
    assert 0 < exact < 0.05
    # the same data with more probes than enumeration allows goes to Monte Carlo
    _, big = exchange_test(np.tile(suspect, 3), np.tile(references, 3), draws=20_000)
    assert big < exact
    assert sampled == pytest.approx(exact, abs=0.01)


def test_exchange_test_is_uniform_when_the_suspect_is_one_more_reference() -> None:
    rng = np.random.default_rng(7)
    p_values = []
    for _ in range(300):
        values = rng.beta(2, 5, size=(3, 24))  # three exchangeable models, 24 probes
        p_values.append(exchange_test(values[0], values[1:], draws=999, seed=int(rng.integers(1 << 30)))[1])
    assert np.mean(np.array(p_values) <= 0.05) <= 0.09
    assert stats.kstest(p_values, "uniform").pvalue > 0.001


def test_rank_test_finds_a_shift_and_not_its_absence() -> None:
    rng = np.random.default_rng(2)
    references = list(rng.random(60))
    assert rank_test(list(rng.random(40) + 0.4), references) < 1e-4
    assert rank_test(list(rng.random(40)), references) > 0.01
    assert rank_test([], references) == 1.0


def test_holm_matches_its_definition() -> None:
    p = [0.01, 0.04, 0.03, 0.5]
    # sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.09, 0.09 (monotone), 0.5
    assert holm(p) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([]) == []
    assert holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])
