"""Behavioural similarity: accounts whose fingerprints are near each other, where legitimate accounts are not.

A hydra whose accounts share no payment method, address or client still behaves as one
operation: the same volume and ramp, the same hours, the same parameters, the same mix of
extraction families, the same token ratios, the same start and stop. Each account with some
evidence of its own (a *candidate*) becomes a vector of those traits, scaled robustly by the
reference accounts (median and interquartile range, so a contaminated minority moves nothing;
shares estimated from a sample are never scaled finer than their sampling noise,
``SHARE_SPREAD``, or a hundred alike accounts would scatter along the noise of twenty prompts
each), and is linked to its nearest candidates.

Legitimate crowds are near each other too (a tier's ordinary users look alike), so a link
weighs what its neighbourhood says: how much rarer reference accounts are among an account's
``NEIGHBOURS`` nearest accounts than among the accounts searched, ``1 - share near / share overall``
(at least 0). A candidate among established users (with evidence of their own or not) gets
almost nothing; one in a region that only new or unverified accounts occupy gets full weight.
(So a campaign run from bought, established accounts is not tied by behaviour; its accounts
are judged on their own evidence and their other ties.)

Each candidate is linked to its nearest candidates (either end listing the other: mutual
nearest neighbours alone break a campaign of alike accounts into disconnected pieces), which
keeps the graph sparse. Brute-force distances in blocks over at most ``MAX_REFERENCE``
reference accounts (chosen by hash), so the cost grows with the candidates, not the log.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from distillguard.signals.extraction import FAMILIES

NEIGHBOURS: Final = 10
MAX_REFERENCE: Final = 10_000
BLOCK_ROWS: Final = 1_024
SHARE_SPREAD: Final = 0.15  # about the sampling noise of a share estimated from 16 prompts
SHARES: Final = frozenset({*(f"share_{f}" for f in FAMILIES), "fired", "hours", "reasoning", "new_model", "template"})
US_PER_DAY: Final = 86_400_000_000


def traits(fingerprints: pl.DataFrame) -> pl.DataFrame:
    """The behavioural traits of each account, one float column each (nulls stay null)."""
    sampled = pl.col("sampled").clip(lower_bound=1)
    start, end = pl.col("first_ts").min(), pl.col("last_ts").max()
    out_tokens, in_tokens = pl.col("output_tokens").cast(pl.Float64), pl.col("input_tokens").cast(pl.Float64)
    return fingerprints.select(
        pl.col("daily_exchanges").log1p().alias("volume"),
        pl.col("exchanges").cast(pl.Float64).log1p().alias("exchanges"),
        ((pl.col("first_days_daily") + 1) / (pl.col("daily_exchanges") + 1)).log().alias("ramp"),
        pl.col("days_from_signup").clip(lower_bound=0).log1p().alias("signup"),
        (pl.col("hours_of_day") / 24).alias("hours"),
        pl.col("longest_idle_hours").log1p().alias("idle"),
        pl.col("gap_cv").clip(upper_bound=5.0).alias("regularity"),
        pl.col("temperatures").cast(pl.Float64).log1p().alias("temperatures"),
        pl.col("max_tokens_values").cast(pl.Float64).log1p().alias("max_tokens"),
        *[(pl.col(f"fired_{f}") / sampled).alias(f"share_{f}") for f in FAMILIES],
        (pl.col("fired") / sampled).alias("fired"),
        ((out_tokens + 1) / (in_tokens + 1)).log().alias("token_ratio"),
        (in_tokens / pl.col("exchanges")).log1p().alias("prompt_tokens"),
        pl.col("reasoning_share").cast(pl.Float64).alias("reasoning"),
        (pl.col("ips").cast(pl.Float64).log1p() / pl.col("exchanges").cast(pl.Float64).log1p()).alias("churn"),
        pl.col("user_agents").cast(pl.Float64).log1p().alias("agents"),
        pl.col("new_model_share").alias("new_model"),
        pl.col("top_template_share").alias("template"),
        pl.col("end_users").cast(pl.Float64).log1p().alias("end_users"),
        ((pl.col("first_ts") - start) / US_PER_DAY).alias("first_day"),
        ((end - pl.col("last_ts")) / US_PER_DAY).alias("days_before_end"),
    )


def _scaled(
    values: npt.NDArray[np.float64], reference: npt.NDArray[np.bool_], floor: npt.NDArray[np.float64]
) -> npt.NDArray[np.float32]:
    """Each trait less the reference's median, over its spread (IQR, else std, else 1; at least ``floor``)."""
    basis = values[reference] if reference.any() else values
    if basis.shape[0] == 0:
        return np.zeros_like(values, dtype=np.float32)
    basis = np.where(np.isnan(basis).all(axis=0), 0.0, basis)  # a trait nobody has (no accounts table) is 0
    median = np.nanmedian(basis, axis=0)
    spread = np.nanpercentile(basis, 75, axis=0) - np.nanpercentile(basis, 25, axis=0)
    std = np.nanstd(basis, axis=0)
    spread = np.where(spread > 1e-9, spread, np.where(std > 1e-9, std, 1.0))
    spread = np.maximum(spread, floor)
    median = np.where(np.isnan(median), 0.0, median)
    scaled = (values - median) / spread
    scaled = np.where(np.isnan(scaled), 0.0, scaled)
    return np.clip(scaled, -20.0, 20.0).astype(np.float32)


def scaled_traits(fingerprints: pl.DataFrame, ordinary: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
    """Every account's traits, scaled by the ``ordinary`` accounts (reference without evidence)."""
    frame = traits(fingerprints)
    floor = np.array([SHARE_SPREAD if c in SHARES else 0.0 for c in frame.columns])
    return _scaled(frame.to_numpy().astype(np.float64), ordinary, floor)


def _nearest(
    queries: npt.NDArray[np.float32], index: npt.NDArray[np.float32], k: int, threads: int = 1
) -> npt.NDArray[np.int64]:
    """The ``k`` nearest rows of ``index`` to each query (itself included where it is in the index).

    Blocks of ``BLOCK_ROWS`` queries run in ``threads`` threads: numpy's product and partition
    release the interpreter, and the partition over every index row is most of the cost.
    """
    norms = (index**2).sum(axis=1)
    out = np.empty((queries.shape[0], k), dtype=np.int64)

    def block(begin: int) -> None:
        distances = queries[begin : begin + BLOCK_ROWS] @ index.T  # + |q|^2, the same for every row of the block
        distances *= -2.0
        distances += norms
        part = np.argpartition(distances, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(distances, part, axis=1).argsort(axis=1, kind="stable")
        out[begin : begin + distances.shape[0]] = np.take_along_axis(part, order, axis=1)

    starts = range(0, queries.shape[0], BLOCK_ROWS)
    if threads <= 1:
        for begin in starts:
            block(begin)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(block, starts))
    return out


def behaviour_edges(
    fingerprints: pl.DataFrame,
    scaled: npt.NDArray[np.float32],
    candidate: npt.NDArray[np.bool_],
    reference: npt.NDArray[np.bool_],
    *,
    threads: int = 1,
) -> pl.DataFrame:
    """Nearest-neighbour links between candidates: ``account_id``, ``other``, ``weight`` in (0, 1].

    ``scaled`` is :func:`scaled_traits` of ``fingerprints``, row for row.
    """
    empty = pl.DataFrame(schema={"account_id": pl.String, "other": pl.String, "weight": pl.Float64})
    if candidate.sum() < 2:
        return empty
    ids = fingerprints["account_id"]
    ordinary = np.flatnonzero(reference & ~candidate)
    if ordinary.size > MAX_REFERENCE:
        keep = ids[ordinary].hash(seed=11).arg_sort().to_numpy()[:MAX_REFERENCE]
        ordinary = np.sort(ordinary[keep])
    chosen = np.flatnonzero(candidate)
    index_rows = np.concatenate([chosen, ordinary])
    k = min(NEIGHBOURS + 1, index_rows.size)
    near = _nearest(scaled[chosen], scaled[index_rows], k, threads)
    is_candidate = near < chosen.size
    overall = max(float(reference[index_rows].mean()), 1e-9)  # among the accounts a neighbour is drawn from
    near_share = reference[index_rows][near[:, 1:]].mean(axis=1) if k > 1 else np.zeros(chosen.size)
    legit_share = np.clip(near_share / overall, 0.0, 1.0)
    queries = np.repeat(np.arange(chosen.size, dtype=np.int64), k)
    linked = is_candidate.ravel() & (near.ravel() != queries)
    frame = pl.DataFrame({"a": queries[linked], "b": near.ravel()[linked]}, schema={"a": pl.Int64, "b": pl.Int64})
    mutual = (
        frame.select(pl.min_horizontal("a", "b").alias("a"), pl.max_horizontal("a", "b").alias("b"))
        .unique()
        .sort("a", "b")
    )
    weight = np.sqrt((1.0 - legit_share[mutual["a"].to_numpy()]) * (1.0 - legit_share[mutual["b"].to_numpy()]))
    chosen_ids = ids[chosen]
    return pl.DataFrame(
        {
            "account_id": chosen_ids.gather(mutual["a"].to_numpy()),
            "other": chosen_ids.gather(mutual["b"].to_numpy()),
            "weight": weight,
        }
    ).filter(pl.col("weight") > 0)
