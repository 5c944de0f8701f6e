"""Calibration on legitimate reference behaviour, never on attack labels.

The *reference* is a set of accounts the provider trusts to behave legitimately. By default
it is the established accounts: identity verified, and signed up at least
``ESTABLISHED_DAYS`` before their first exchange in the log (campaign accounts are new;
buying aged, verified accounts is possible and then shows up as a higher threshold, not
as a silent miss). A provider can pass its own list instead (``--reference``). Without an
accounts table every account is reference, which assumes attackers are a minority.

The reference sets two things: the typical daily volume of each tier, and the thresholds:
``block`` at the ``1 - target_fpr`` quantile of the reference accounts' points, ``review``
at the ``1 - REVIEW_FACTOR * target_fpr`` quantile, never below the floors (an unusually
clean reference must not make every trace of evidence a verdict). ``risk`` maps points onto
[0, 1] with the block threshold at 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

ESTABLISHED_DAYS: Final = 30.0
REVIEW_FACTOR: Final = 10.0
BLOCK_FLOOR: Final = 4.0
REVIEW_FLOOR: Final = 2.5


@dataclass(frozen=True)
class Thresholds:
    """Points at which an account is blocked or reviewed, and how they were set."""

    block: float
    review: float
    reference_accounts: int
    target_fpr: float
    reference_blocked: int
    reference_reviewed: int

    def risk(self, points: pl.Expr) -> pl.Expr:
        """Points onto [0, 1]: 0.5 at the block threshold, rising towards 1."""
        return 1.0 - (2.0 ** (-points.clip(lower_bound=0.0) / self.block))

    def verdict(self, points: pl.Expr) -> pl.Expr:
        """``block``, ``review`` or ``allow``."""
        return (
            pl.when(points >= self.block)
            .then(pl.lit("block"))
            .when(points >= self.review)
            .then(pl.lit("review"))
            .otherwise(pl.lit("allow"))
        )

    def as_dict(self) -> dict[str, float | int]:
        """For the summary."""
        return {
            "block_points": round(self.block, 4),
            "review_points": round(self.review, 4),
            "reference_accounts": self.reference_accounts,
            "target_fpr": self.target_fpr,
            "reference_blocked": self.reference_blocked,
            "reference_reviewed": self.reference_reviewed,
        }


def reference_mask(fingerprints: pl.DataFrame, listed: frozenset[str] | None) -> pl.Series:
    """Which accounts are reference: the listed ones, else the established ones."""
    if listed is not None:
        return fingerprints["account_id"].is_in(sorted(listed))
    if fingerprints["created_at"].null_count() == fingerprints.height:
        return pl.Series("reference", [True] * fingerprints.height)
    return (
        fingerprints.select(
            (pl.col("verified").fill_null(False) & (pl.col("days_from_signup") >= ESTABLISHED_DAYS)).alias("reference")
        )
        .to_series()
        .fill_null(False)
    )


def tier_medians(fingerprints: pl.DataFrame, reference: pl.Series) -> pl.DataFrame:
    """Median exchanges a day of the reference accounts, per tier, plus the overall one (tier null)."""
    ref = fingerprints.filter(reference)
    per_tier = ref.group_by("tier").agg(pl.col("daily_exchanges").median().alias("tier_median"))
    overall = ref.select(
        pl.lit(None, dtype=pl.String).alias("tier"), pl.col("daily_exchanges").median().alias("tier_median")
    )
    return pl.concat([per_tier.filter(pl.col("tier").is_not_null()), overall]).with_columns(
        pl.col("tier_median").fill_null(1.0)
    )


def thresholds(points: np.ndarray, reference: np.ndarray, target_fpr: float) -> Thresholds:
    """Thresholds from the reference accounts' points."""
    ref = points[reference]
    if ref.size:
        block = max(BLOCK_FLOOR, float(np.quantile(ref, 1.0 - target_fpr, method="higher")) + 1e-9)
        review_q = max(0.0, 1.0 - REVIEW_FACTOR * target_fpr)
        review = max(REVIEW_FLOOR, float(np.quantile(ref, review_q, method="higher")) + 1e-9)
    else:
        block, review = BLOCK_FLOOR, REVIEW_FLOOR
    review = min(review, block)
    return Thresholds(
        block=block,
        review=review,
        reference_accounts=int(ref.size),
        target_fpr=target_fpr,
        reference_blocked=int((ref >= block).sum()),
        reference_reviewed=int(((ref >= review) & (ref < block)).sum()),
    )
