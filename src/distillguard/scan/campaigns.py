"""Campaigns: dense groups of suspicious accounts tied by shared indicators.

The graph is bipartite (accounts and the indicators of :mod:`distillguard.scan.links`). It
is cut down to the accounts whose own evidence reaches ``LINK_POINTS`` and to indicators
that two or more of them hold, so a proxy's genuine customers or a neighbour on a shared
address never join a block by one coincidence: they would need evidence of their own.
Campaigns are the connected groups of that graph with ``MIN_ACCOUNTS`` or more accounts
and a *strength* (the weighted indicator edges per account, each edge weighted
``1 / log(indicator degree + 5)`` as in Fraudar, so popular indicators count for little)
of ``MIN_STRENGTH`` or more. Members get ``min(strength, MAX_BONUS)`` extra points.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl
from scipy import sparse
from scipy.sparse.csgraph import connected_components

LINK_POINTS: Final = 2.0
MIN_ACCOUNTS: Final = 3
MIN_STRENGTH: Final = 0.4
MAX_BONUS: Final = 3.0


@dataclass(frozen=True)
class Groups:
    """Accounts in campaigns (``account_id``, ``campaign_id``, ``bonus``) and the campaigns' edges."""

    members: pl.DataFrame
    edges: pl.DataFrame  # account_id, indicator, kind, weight, campaign_id
    strength: pl.DataFrame  # campaign_id, accounts, strength


def _campaign_id(accounts: list[str]) -> str:
    digest = hashlib.blake2b("\n".join(sorted(accounts)).encode(), digest_size=4).hexdigest()
    return f"camp-{digest}"


def find_campaigns(scored: pl.DataFrame, edges: pl.DataFrame) -> Groups:
    """Group the accounts of ``scored`` (account_id, points) along ``edges`` (account_id, indicator, ...)."""
    suspicious = scored.filter(pl.col("points") >= LINK_POINTS).select("account_id")
    linked = edges.join(suspicious, on="account_id", how="semi")
    linked = linked.filter(pl.col("account_id").n_unique().over("indicator") >= 2)
    empty = Groups(
        pl.DataFrame(schema={"account_id": pl.String, "campaign_id": pl.String, "bonus": pl.Float64}),
        linked.with_columns(pl.lit(None, dtype=pl.String).alias("campaign_id"))
        .select("account_id", "indicator", "kind", "weight", "campaign_id")
        .clear(),
        pl.DataFrame(schema={"campaign_id": pl.String, "accounts": pl.UInt32, "strength": pl.Float64}),
    )
    if linked.height == 0:
        return empty
    accounts = linked["account_id"].unique().sort()
    indicators = linked["indicator"].unique().sort()
    account_index = pl.DataFrame({"account_id": accounts, "a": np.arange(accounts.len())})
    indicator_index = pl.DataFrame({"indicator": indicators, "i": np.arange(indicators.len()) + accounts.len()})
    numbered = linked.join(account_index, on="account_id").join(indicator_index, on="indicator")
    size = accounts.len() + indicators.len()
    graph = sparse.coo_matrix(
        (np.ones(numbered.height), (numbered["a"].to_numpy(), numbered["i"].to_numpy())), shape=(size, size)
    )
    _, labels = connected_components(graph, directed=False)
    component = pl.DataFrame({"a": np.arange(accounts.len()), "component": labels[: accounts.len()]})
    numbered = numbered.join(component, on="a")
    stats = numbered.group_by("component").agg(
        pl.col("account_id").n_unique().alias("accounts"),
        (pl.col("weight").sum() / pl.col("account_id").n_unique()).alias("strength"),
        pl.col("account_id").unique().alias("members"),
    )
    stats = stats.filter((pl.col("accounts") >= MIN_ACCOUNTS) & (pl.col("strength") >= MIN_STRENGTH))
    if stats.height == 0:
        return empty
    stats = stats.with_columns(
        pl.col("members").map_elements(lambda m: _campaign_id(list(m)), return_dtype=pl.String).alias("campaign_id")
    )
    members = (
        stats.select("campaign_id", "members", "strength")
        .explode("members")
        .rename({"members": "account_id"})
        .with_columns(pl.col("strength").clip(upper_bound=MAX_BONUS).alias("bonus"))
        .select("account_id", "campaign_id", "bonus")
    )
    kept = numbered.join(stats.select("component", "campaign_id"), on="component").select(
        "account_id", "indicator", "kind", "weight", "campaign_id"
    )
    return Groups(members, kept, stats.select("campaign_id", "accounts", "strength"))
