"""The tests forensics reports and how their p-values are combined.

- ``naming_test``: Fisher's exact test (one-sided) of a 2x2 table, the suspect's answers that
  name the teacher against the references'.
- ``exchange_test``: a permutation test of "the suspect is one more independent model": per
  probe, the suspect's agreement value is exchanged with a reference's at random (every
  arrangement of the ``K + 1`` values per probe is equally likely under the null); exact
  enumeration when there are few arrangements, Monte Carlo with ``(1 + hits) / (1 + draws)``
  otherwise, which is a valid p-value either way.
- ``rank_test``: Mann-Whitney U (one-sided) of the suspect's classifier scores against the
  references' out-of-fold scores.
- ``holm``: Holm's step-down adjustment. The tests read the same model, so they are dependent;
  Holm (and the Bonferroni global test it contains, ``min(1, k * min p)``) holds under any
  dependence, where Fisher's combination would count the same evidence twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import numpy as np
import numpy.typing as npt
from scipy import stats

Floats = npt.NDArray[np.float64]
_EXACT_LIMIT = 200_000


def naming_test(suspect_hits: int, suspect_total: int, reference_hits: int, reference_total: int) -> float:
    """P-value that the suspect names the teacher no more often than the references do."""
    if suspect_total == 0 or reference_total == 0:
        return 1.0
    table = [[suspect_hits, suspect_total - suspect_hits], [reference_hits, reference_total - reference_hits]]
    return float(stats.fisher_exact(table, alternative="greater").pvalue)


def exchange_test(
    suspect: npt.ArrayLike, references: npt.ArrayLike, *, draws: int = 20_000, seed: int = 0
) -> tuple[float, float]:
    """(statistic, p-value): how much more the suspect agrees than the references, per probe.

    ``suspect`` has one value per probe; ``references`` one row per reference model. The
    statistic is the mean over probes of the suspect's value minus the references' mean.
    """
    s = np.asarray(suspect, dtype=np.float64).reshape(-1)
    r = np.asarray(references, dtype=np.float64).reshape(-1, s.size)
    if s.size == 0 or r.shape[0] == 0:
        return 0.0, 1.0
    values = np.vstack([s, r])  # (K + 1) x P
    models, probes = values.shape
    totals = values.sum(axis=0)

    def statistic(chosen: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        # chosen: the value playing "suspect" per probe; the rest are the references
        others = (totals - chosen) / (models - 1)
        result: npt.NDArray[np.float64] = (chosen - others).mean(axis=-1)
        return result

    observed = float(statistic(s))
    if models**probes <= _EXACT_LIMIT:
        picks = np.array(list(product(range(models), repeat=probes)), dtype=np.int64)
        null = statistic(values[picks, np.arange(probes)])
        return observed, float(np.mean(null >= observed - 1e-12))
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, models, size=(draws, probes))
    null = statistic(values[picks, np.arange(probes)])
    return observed, float((1 + np.sum(null >= observed - 1e-12)) / (1 + draws))


def rank_test(suspect_scores: Sequence[float], reference_scores: Sequence[float]) -> float:
    """P-value that the suspect's scores are no higher than the references' (Mann-Whitney U)."""
    if not suspect_scores or not reference_scores:
        return 1.0
    return float(stats.mannwhitneyu(suspect_scores, reference_scores, alternative="greater").pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's adjusted p-values, in the input order."""
    p = np.asarray(p_values, dtype=np.float64)
    k = p.size
    if k == 0:
        return []
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (k - np.arange(k))))
    out = np.empty(k)
    out[order] = adjusted
    return [float(value) for value in out]
