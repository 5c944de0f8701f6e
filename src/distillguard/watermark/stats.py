"""Exact tail p-values of the two watermark statistics, vectorised.

Green list: with ``n`` distinct scored pairs and ``k`` of them green, the count is
Binomial(n, gamma) under the null (text written without the key), and
``P(X >= k) = I_gamma(k, n - k + 1)``, the regularized incomplete beta function.
Gumbel-max: each distinct pair contributes ``-log(1 - r)`` with ``r`` uniform under the null,
an Exp(1) variable, so the sum of ``n`` is Gamma(n, 1) and ``P(S >= s) = Q(n, s)``, the
regularized upper incomplete gamma function. Both are computed by scipy's special functions,
exact to double precision down to about 1e-300 (smaller p-values print as 0).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

Floats = npt.NDArray[np.float64]


def binomial_tail(green: npt.ArrayLike, scored: npt.ArrayLike, gamma: float) -> Floats:
    """``P(Binomial(scored, gamma) >= green)`` for each pair of counts."""
    k = np.atleast_1d(np.asarray(green, dtype=np.float64))
    n = np.atleast_1d(np.asarray(scored, dtype=np.float64))
    inside = (k >= 1) & (k <= n)
    a = np.where(inside, k, 1.0)
    b = np.where(inside, n - k + 1, 1.0)
    tail = special.betainc(a, b, gamma)
    return np.where(k <= 0, 1.0, np.where(k > n, 0.0, tail))


def gamma_tail(score: npt.ArrayLike, scored: npt.ArrayLike) -> Floats:
    """``P(Gamma(scored, 1) >= score)`` for each (sum, count); 1 where nothing was scored."""
    s = np.atleast_1d(np.asarray(score, dtype=np.float64))
    n = np.atleast_1d(np.asarray(scored, dtype=np.float64))
    valid = (n > 0) & (s > 0)
    tail = special.gammaincc(np.where(valid, n, 1.0), np.where(valid, s, 1.0))
    return np.where(valid, tail, 1.0)


def green_z(green: npt.ArrayLike, scored: npt.ArrayLike, gamma: float) -> Floats:
    """The count's z-score, ``(k - gamma n) / sqrt(n gamma (1 - gamma))`` (0 where nothing was scored)."""
    k = np.atleast_1d(np.asarray(green, dtype=np.float64))
    n = np.atleast_1d(np.asarray(scored, dtype=np.float64))
    spread = np.sqrt(np.maximum(n, 1.0) * gamma * (1 - gamma))
    return np.where(n > 0, (k - gamma * n) / spread, 0.0)
