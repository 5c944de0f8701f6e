"""A family's model extended to examples in words its fit never saw, without moving any other score.

More ways of asking in a language fitted among a family's other examples move every weight of the
family a little: cot's refit with 60 more asks in its twelve trained languages found 1,087 rather
than 524 of 2,010 left-out asks in those languages, but lost 200 of 9,000 examples of the promoted
held-out sets, English ones among them (``docs/signals.md``, item 31: the languages' real prompts rise
in the tail the operating point is set on). Fitted here instead, after the family's model: only the
*new columns* change, those active in the extension's examples and in no other example of the fit,
and the family's own logit enters each extension example as a fixed offset, so the new weights add
what the model lacks for them and nothing else. A prompt without a new column scores exactly as
before.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import optimize, sparse


def new_columns(matrix: sparse.csr_matrix, extension: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Columns active in some ``extension`` row and in no other row of ``matrix``."""
    ours = np.unique(matrix[extension].indices)
    others = np.unique(matrix[~extension].indices)
    return np.setdiff1d(ours, others, assume_unique=True).astype(np.int64)


def fit_with_offset(
    x: sparse.csr_matrix,
    positive: npt.NDArray[np.bool_],
    offset: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64],
    c: float,
) -> npt.NDArray[np.float64]:
    """L2-regularised logistic regression on ``x`` with a fixed per-row ``offset`` and no intercept.

    Minimises ``0.5 |w|^2 + c * sum_i s_i * log(1 + exp(-t_i (x_i w + o_i)))``, with ``t_i`` +1 for a
    positive and -1 otherwise (liblinear's objective, whose ``C`` the family's fit uses), by L-BFGS.
    """
    sign = np.where(positive, 1.0, -1.0)

    def objective(w: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        margin = sign * (x @ w + offset)
        loss = np.logaddexp(0.0, -margin)
        # d loss / d margin = -sigmoid(-margin)
        slope = -sample_weight * sign * np.exp(-np.logaddexp(0.0, margin))
        return float(0.5 * w @ w + c * (sample_weight @ loss)), w + c * (x.T @ slope)

    start = np.zeros(x.shape[1], dtype=np.float64)
    result = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return np.asarray(result.x, dtype=np.float64)
