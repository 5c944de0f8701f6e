"""The exact p-values against scipy.stats' distributions, edge cases included."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from distillguard.watermark.stats import binomial_tail, gamma_tail, green_z


@pytest.mark.parametrize(
    ("green", "scored", "gamma"),
    [
        (0, 0, 0.25),  # nothing scored
        (0, 10, 0.25),  # no green token: P(X >= 0) = 1
        (1, 1, 0.25),
        (10, 10, 0.25),  # all green
        (11, 10, 0.25),  # impossible count: 0
        (3, 10, 0.5),
        (25, 100, 0.25),  # the mean
        (60, 100, 0.25),  # far tail, ~1e-14
        (400, 800, 0.25),  # very far tail, ~1e-59
        (5000, 10000, 0.1),  # ~0 (below double precision's range is fine as 0)
        (1, 1000, 0.001),
        (2, 3, 0.999),
    ],
)
def test_binomial_tail_matches_scipy(green: int, scored: int, gamma: float) -> None:
    expected = 1.0 if green <= 0 else float(stats.binom.sf(green - 1, scored, gamma))
    got = float(binomial_tail(green, scored, gamma)[0])
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(
    ("score", "scored"),
    [
        (0.0, 0),
        (5.0, 0),  # no pairs: 1
        (0.0, 10),  # a zero sum: 1
        (1e-12, 1),
        (1.0, 1),
        (200.0, 200),  # the mean
        (300.0, 200),  # ~1e-11
        (600.0, 200),  # ~1e-117
        (30.0, 3),
        (1e5, 50_000),  # ~0
    ],
)
def test_gamma_tail_matches_scipy(score: float, scored: int) -> None:
    expected = 1.0 if scored == 0 or score <= 0 else float(stats.gamma.sf(score, scored))
    got = float(gamma_tail(score, scored)[0])
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_tails_are_vectorised_and_monotone() -> None:
    n = np.full(50, 100)
    k = np.arange(50) + 10
    tails = binomial_tail(k, n, 0.25)
    assert tails.shape == (50,)
    assert np.all(np.diff(tails) <= 0)
    gammas = gamma_tail(np.linspace(50, 300, 50), n)
    assert np.all(np.diff(gammas) <= 0)


def test_z_score() -> None:
    assert green_z(25, 100, 0.25)[0] == pytest.approx(0.0)
    assert green_z(40, 100, 0.25)[0] == pytest.approx(15 / np.sqrt(18.75))
    assert green_z(0, 0, 0.25)[0] == 0.0
