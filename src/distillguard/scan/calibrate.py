"""Calibration on legitimate reference behaviour, never on attack labels.

The *reference* is a set of accounts the provider trusts to behave legitimately. By default
it is the established accounts: identity verified, and signed up at least
``ESTABLISHED_DAYS`` before their first exchange in the log (campaign accounts are new;
buying aged, verified accounts is possible and then shows up as a higher threshold, not
as a silent miss). A provider can pass its own list instead (``--reference``). Without an
accounts table every account is reference, which assumes attackers are a minority.

The reference sets two things: the typical daily volume of each tier (a median, which a
contaminated minority hardly moves), and the thresholds: ``block`` at the ``1 - target_fpr``
quantile of the reference accounts' points, ``review`` at the ``1 - REVIEW_FACTOR * target_fpr``
quantile, never below the floors (an unusually clean reference must not make every trace of
evidence a verdict). ``risk`` maps points onto [0, 1] with the block threshold at 0.5.

The reference is not assumed clean: relays and harvesting operations run from established,
verified, paying accounts too, and a handful of them above the line would lift it over their
own points. So, before the quantiles are taken:

- accounts that carry strong evidence are excluded (members of a campaign, judged on the
  account graph: :mod:`distillguard.scan.campaigns`), and
- the quantiles are *trimmed*: taken at ``1 - target_fpr - TRIM`` (and ``1 - REVIEW_FACTOR *
  target_fpr - TRIM``), so that up to ``TRIM`` of the reference sitting above the true line
  cannot move it. On a clean reference this lowers the lines by the quantiles between (a price
  paid only where the lines sit above their floors; the summary states how many reference
  accounts are above each line).

The summary also states the *naive* lines, from the whole reference with neither step, so an
analyst sees how far contamination would have moved them; ``benchmarks/scan_contamination.py``
replaces a share of the reference by attack accounts and measures both.
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
TRIM: Final = 0.002


@dataclass(frozen=True)
class Thresholds:
    """Points at which an account is blocked or reviewed, and how they were set."""

    block: float
    review: float
    reference_accounts: int
    target_fpr: float
    reference_blocked: int
    reference_reviewed: int
    reference_excluded: int = 0
    naive_block: float | None = None
    naive_review: float | None = None

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

    def as_dict(self) -> dict[str, float | int | None]:
        """For the summary."""
        return {
            "block_points": round(self.block, 4),
            "review_points": round(self.review, 4),
            "reference_accounts": self.reference_accounts,
            "target_fpr": self.target_fpr,
            "reference_blocked": self.reference_blocked,
            "reference_reviewed": self.reference_reviewed,
            "reference_excluded": self.reference_excluded,
            "trimmed": TRIM,
            "naive_block_points": None if self.naive_block is None else round(self.naive_block, 4),
            "naive_review_points": None if self.naive_review is None else round(self.naive_review, 4),
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


def _lines(ref: np.ndarray, target_fpr: float, trim: float) -> tuple[float, float]:
    """The block and review lines from reference points, each quantile lowered by ``trim``."""
    if not ref.size:
        return BLOCK_FLOOR, REVIEW_FLOOR
    block_q = max(0.0, 1.0 - target_fpr - trim)
    review_q = max(0.0, 1.0 - REVIEW_FACTOR * target_fpr - trim)
    block = max(BLOCK_FLOOR, float(np.quantile(ref, block_q, method="higher")) + 1e-9)
    review = max(REVIEW_FLOOR, float(np.quantile(ref, review_q, method="higher")) + 1e-9)
    return block, min(review, block)


def thresholds(
    points: np.ndarray, reference: np.ndarray, target_fpr: float, excluded: np.ndarray | None = None
) -> Thresholds:
    """Thresholds from the reference accounts' points, ``excluded`` ones (strong evidence) left out, trimmed."""
    kept = reference & ~excluded if excluded is not None else reference
    ref = points[kept]
    block, review = _lines(ref, target_fpr, TRIM)
    naive_block, naive_review = _lines(points[reference], target_fpr, 0.0)
    return Thresholds(
        block=block,
        review=review,
        reference_accounts=int(ref.size),
        target_fpr=target_fpr,
        reference_blocked=int((ref >= block).sum()),
        reference_reviewed=int(((ref >= review) & (ref < block)).sum()),
        reference_excluded=int(reference.sum() - kept.sum()),
        naive_block=naive_block,
        naive_review=naive_review,
    )
