"""Campaigns and benign clusters: each community of the account graph judged on its members together.

A community (:mod:`distillguard.scan.graph`) is a group of linked accounts; linked is not
guilty. An office behind one address paying with company cards, a class on its school's
address, apps built on one open-source agent and strangers behind one VPN are linked too.
A community is a **campaign** only when its members are suspicious together:

- ``MIN_ACCOUNTS`` or more accounts tied with a *strength* (internal weight per account) of
  ``MIN_STRENGTH`` or more, and
- the members' pooled sample of prompts is focused on extraction (``CAMPAIGN_FOCUS`` or more
  of all their sampled prompts fire a family: a pooled share, so a hundred accounts of twenty
  prompts each say together what none says alone), or their own evidence is high (median
  ``CAMPAIGN_POINTS`` or more) and something beyond shared infrastructure ties them (templates,
  lockstep, a pivot, task items, behaviour).

A member is left out where its own sample contradicts its campaign's focus (under a
one-in-``CONSISTENCY`` chance of so few extraction prompts at the campaign's rate, by the binomial
tail) or where it is tied to the other members with under ``MEMBER_TIES`` of its median member's
weight (task items and cohorts not counted: a public dataset or the same days are no operator;
repeated until nobody leaves): a neighbour on a campaign's address, a user whose prompts a
campaign replays or an account that joined the community through such neighbours is not a member.

The campaign's own evidence (``campaign_points``) is ``extraction_focus`` on its pooled share,
plus its coordination ``min(MAX_BONUS, strength x log2(1 + accounts / SIZE_SCALE))`` (a few
accounts loosely tied say little, hundreds tied say much), plus its members' median points
beyond extraction focus; every member's points rise to it where they were lower (``bonus``).

A group of linked accounts outside campaigns that looks benign together is a **benign
cluster**, reported apart with what ties it and why it looks benign (:func:`judge`); its
members get nothing from the link.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import polars as pl
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.stats import binom

from distillguard.scan.graph import Communities
from distillguard.schema import BenignCluster
from distillguard.signals.extraction import FAMILIES

CANDIDATE_POINTS: Final = 1.0
CANDIDATE_FOCUS: Final = 0.1  # or this share of 3+ sampled prompts firing a family
MIN_ACCOUNTS: Final = 3
MIN_STRENGTH: Final = 0.4
CAMPAIGN_FOCUS: Final = 0.15
CAMPAIGN_POINTS: Final = 2.5
MAX_BONUS: Final = 3.0
SIZE_SCALE: Final = 10.0
CONSISTENCY: Final = 100
MEMBER_TIES: Final = 0.25  # a member is tied to the other members at least this share of its median member's ties
MAX_PRUNING_ROUNDS: Final = 5
INFRASTRUCTURE: Final = frozenset({"ip", "payment", "cohort"})
BENIGN_TIES: Final = frozenset({"ip", "payment", "template", "sync"})
POOL_TIES: Final = frozenset({"item", "cohort"})


@dataclass(frozen=True)
class Groups:
    """Campaign members with their bonus, the campaigns' facts and edges, and the benign clusters."""

    members: pl.DataFrame  # account_id, campaign_id, bonus
    edges: pl.DataFrame  # account_id, indicator, kind, weight, campaign_id (internal edges only)
    strength: pl.DataFrame  # campaign_id, accounts, strength, focus, sampled, fired
    benign: list[BenignCluster]


def candidates(scored: pl.DataFrame) -> pl.Series:
    """Accounts with some evidence of their own: the graph's nodes."""
    focus = pl.col("fired") / pl.col("sampled").clip(lower_bound=1)
    return scored.filter(
        (pl.col("points") >= CANDIDATE_POINTS) | ((pl.col("sampled") >= 3) & (focus >= CANDIDATE_FOCUS))
    )["account_id"]


def _group_id(prefix: str, accounts: list[str]) -> str:
    digest = hashlib.blake2b("\n".join(sorted(accounts)).encode(), digest_size=4).hexdigest()
    return f"{prefix}-{digest}"


def pooled_focus_points(share: pl.Expr) -> pl.Expr:
    """``extraction_focus`` on a pooled share (the account indicator's scale: 0 at 10%, 3 from 60%)."""
    return 3.0 * ((share - 0.1) / 0.5).clip(0.0, 1.0)


def _facts(communities: Communities, scored: pl.DataFrame) -> pl.DataFrame:
    """One row per community: size, strength, pooled sample, own points, ties by kind."""
    internal = communities.edges.filter(pl.col("internal"))
    ties = internal.group_by("community").agg(
        pl.col("weight").sum().alias("weight"),
        pl.col("weight").filter(~pl.col("kind").is_in(sorted(INFRASTRUCTURE))).sum().alias("work_weight"),
    )
    fired = [pl.col(f"fired_{f}").sum().alias(f"fired_{f}") for f in FAMILIES]
    members = communities.members.join(scored, on="account_id")
    facts = members.group_by("community").agg(
        pl.len().alias("accounts"),
        pl.col("sampled").sum(),
        pl.col("fired").sum(),
        *fired,
        pl.col("points").median().alias("median_points"),
        (pl.col("points") - pl.col("p_extraction_focus")).clip(lower_bound=0.0).median().alias("median_other"),
        pl.col("reference").mean().alias("reference_share"),
    )
    facts = facts.join(ties, on="community", how="left").with_columns(
        pl.col("weight").fill_null(0.0),
        pl.col("work_weight").fill_null(0.0),
        (pl.col("weight").fill_null(0.0) / pl.col("accounts")).alias("strength"),
        (pl.col("fired") / pl.col("sampled").clip(lower_bound=1)).alias("focus"),
    )
    coordination = (pl.col("strength") * (1.0 + pl.col("accounts") / SIZE_SCALE).log(2)).clip(upper_bound=MAX_BONUS)
    return facts.with_columns(
        coordination.alias("coordination"),
        (pooled_focus_points(pl.col("focus")) + coordination + pl.col("median_other")).alias("campaign_points"),
    )


def _tied_to_members(communities: Communities, members: pl.DataFrame) -> pl.DataFrame:
    """Each member's weight of ties to the other members of its campaign (``account_id``, ``tied``).

    A tie counts when it leads to another member: an indicator another member of the same
    campaign holds, a behavioural link to another member. Task items and cohorts do not count:
    sharing a public dataset's items or the days of activity says that accounts draw from one pool
    or started together, not that one operator runs them.
    """
    side = members.select("account_id", "community")
    ties = communities.edges.filter(~pl.col("kind").is_in(sorted(POOL_TIES)))
    held = ties.filter(pl.col("kind") != "behaviour").join(side, on="account_id")
    held = held.filter(pl.len().over("community", "indicator") >= 2).select("account_id", "weight")
    pairs = (
        ties.filter(pl.col("kind") == "behaviour")
        .join(side, on="account_id")
        .join(side.rename({"account_id": "indicator", "community": "other"}), on="indicator")
        .filter(pl.col("community") == pl.col("other"))
    )
    ends = pl.concat(
        [held, pairs.select("account_id", "weight"), pairs.select(pl.col("indicator").alias("account_id"), "weight")]
    )
    tied = ends.group_by("account_id").agg(pl.col("weight").sum().alias("tied"))
    return side.join(tied, on="account_id", how="left").select("account_id", pl.col("tied").fill_null(0.0))


def _tied_core(communities: Communities, members: pl.DataFrame) -> pl.DataFrame:
    """``members`` less those tied to the others with under ``MEMBER_TIES`` of their median member's weight.

    Repeated until nobody leaves (an account that came in through a neighbour who left goes too).
    """
    for _ in range(MAX_PRUNING_ROUNDS):
        tied = _tied_to_members(communities, members)
        kept = members.join(tied, on="account_id").filter(
            pl.col("tied") >= MEMBER_TIES * pl.col("tied").median().over("community")
        )
        if kept.height == members.height:
            break
        members = kept.drop("tied")
    return members


def _consistent(members: pl.DataFrame) -> pl.Series:
    """Members whose own sample is no surprise at their campaign's pooled focus."""
    tail = binom.cdf(
        members["fired"].to_numpy(), members["sampled"].to_numpy(), np.clip(members["focus"].to_numpy(), 0, 1)
    )
    return pl.Series(tail >= 1.0 / CONSISTENCY) | (members["focus"] < CAMPAIGN_FOCUS)


def judge(communities: Communities, scored: pl.DataFrame) -> Groups:
    """Campaigns and benign clusters among ``communities``.

    ``scored`` has one row per account: ``account_id``, ``points``, ``p_extraction_focus``,
    ``sampled``, ``fired``, ``fired_<family>``, ``reference`` (bool).
    """
    facts = _facts(communities, scored)
    linked = facts.filter((pl.col("accounts") >= MIN_ACCOUNTS) & (pl.col("strength") >= MIN_STRENGTH))
    campaign = (pl.col("focus") >= CAMPAIGN_FOCUS) | (
        (pl.col("median_points") >= CAMPAIGN_POINTS) & (pl.col("work_weight") > 0)
    )
    chosen = linked.filter(campaign)
    members = communities.members.join(
        chosen.select("community", "focus", "strength", "campaign_points"), on="community"
    ).join(scored.select("account_id", "sampled", "fired", "points"), on="account_id")
    members = _tied_core(communities, members.filter(_consistent(members)))
    # a campaign that consistency cut below the minimum is none
    sizes = members.group_by("community").agg(pl.len().alias("kept"))
    members = members.join(sizes.filter(pl.col("kept") >= MIN_ACCOUNTS), on="community", how="semi")
    ids = (
        members.group_by("community")
        .agg(pl.col("account_id"))
        .with_columns(
            pl.col("account_id")
            .map_elements(lambda m: _group_id("camp", list(m)), return_dtype=pl.String)
            .alias("campaign_id")
        )
    )
    members = members.join(ids.select("community", "campaign_id"), on="community").with_columns(
        (pl.col("campaign_points") - pl.col("points")).clip(lower_bound=0.0).alias("bonus")
    )
    kept = members.select("account_id", "community", "campaign_id")
    edges = (
        communities.edges.filter(pl.col("internal") & (pl.col("kind") != "behaviour"))
        .join(kept.select("account_id", "campaign_id"), on="account_id")
        .select("account_id", "indicator", "kind", "weight", "campaign_id")
    )
    strength = chosen.join(ids.select("community", "campaign_id"), on="community").select(
        "campaign_id",
        "accounts",
        "strength",
        "campaign_points",
        "focus",
        "sampled",
        "fired",
        *[f"fired_{f}" for f in FAMILIES],
    )
    benign = _benign(communities, members, scored)
    return Groups(members.select("account_id", "campaign_id", "bonus"), edges, strength, benign)


def _benign(communities: Communities, members: pl.DataFrame, scored: pl.DataFrame) -> list[BenignCluster]:
    """Groups of candidates outside campaigns tied by concrete shared indicators, with why they look benign.

    A benign cluster is a connected group over ``BENIGN_TIES`` (addresses, payment methods,
    templates, lockstep) of three or more accounts none of which is in a campaign, that looks
    benign together (pooled extraction share under ``CAMPAIGN_FOCUS``, median own points under
    ``CAMPAIGN_POINTS``): an office, a company's cards, apps on one framework, a class, strangers
    behind one VPN. A linked group that looks neither benign nor like a campaign (its members
    judged one by one) is not reported as either.
    """
    ties = communities.edges.filter(pl.col("kind").is_in(sorted(BENIGN_TIES))).join(
        members.select("account_id"), on="account_id", how="anti"
    )
    ties = ties.filter(pl.col("account_id").n_unique().over("indicator") >= 2)
    if ties.height == 0:
        return []
    accounts = ties["account_id"].unique().sort()
    indicators = ties["indicator"].unique().sort()
    index = pl.DataFrame(
        {"name": pl.concat([accounts, indicators]), "node": np.arange(len(accounts) + len(indicators))}
    )
    numbered = ties.join(index.rename({"name": "account_id", "node": "a"}), on="account_id").join(
        index.rename({"name": "indicator", "node": "i"}), on="indicator"
    )
    size = len(index)
    graph = sparse.coo_matrix(
        (np.ones(numbered.height), (numbered["a"].to_numpy(), numbered["i"].to_numpy())), shape=(size, size)
    )
    _, component = connected_components(graph, directed=False)
    tied = numbered.with_columns(pl.Series("cluster", component[numbered["a"].to_numpy()]))
    people = (
        tied.select("account_id", "cluster")
        .unique()
        .join(
            scored.select("account_id", "sampled", "fired", "points", "reference", "shared_exit_ips"), on="account_id"
        )
    )
    facts = (
        people.group_by("cluster")
        .agg(
            pl.len().alias("accounts"),
            pl.col("sampled").sum(),
            pl.col("fired").sum(),
            pl.col("points").median().alias("median_points"),
            pl.col("reference").mean().alias("reference_share"),
            pl.col("shared_exit_ips").sum().alias("exits"),
            pl.col("account_id").sort().alias("members"),
        )
        .with_columns((pl.col("fired") / pl.col("sampled").clip(lower_bound=1)).alias("focus"))
        .filter(
            (pl.col("accounts") >= MIN_ACCOUNTS)
            & (pl.col("focus") < CAMPAIGN_FOCUS)
            & (pl.col("median_points") < CAMPAIGN_POINTS)
        )
    )
    per_kind = tied.group_by("cluster", "kind").agg(pl.col("indicator").n_unique().alias("indicators"))
    out: list[BenignCluster] = []
    for row in facts.sort("accounts", "cluster", descending=[True, False]).iter_rows(named=True):
        kinds = dict(per_kind.filter(pl.col("cluster") == row["cluster"]).select("kind", "indicators").iter_rows())
        out.append(
            {
                "cluster_id": _group_id("benign", row["members"]),
                "accounts": row["members"],
                "ties": {k: int(v) for k, v in sorted(kinds.items())},
                "reason": _benign_reason(row, kinds),
                "sampled_prompts": int(row["sampled"]),
                "extraction_share": round(float(row["focus"]), 4),
                "reference_share": round(float(row["reference_share"]), 3),
            }
        )
    return out


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def _benign_reason(row: dict[str, Any], kinds: dict[str, int]) -> str:
    """What ties a benign cluster, and why it looks benign, as one sentence."""
    ties = []
    if "ip" in kinds:
        addresses = kinds["ip"]
        if row["exits"] and addresses >= 5:
            ties.append(
                _plural(addresses, "rotating exit address", "rotating exit addresses")
                + " that many established accounts also use (a VPN's or a carrier's pool)"
            )
        else:
            ties.append(_plural(addresses, "shared address", "shared addresses") + " (an office, a school or a lab)")
    if "payment" in kinds:
        ties.append(_plural(kinds["payment"], "shared payment method") + " (company cards)")
    if "template" in kinds:
        ties.append(_plural(kinds["template"], "shared prompt template") + " (one app or framework)")
    if "sync" in kinds:
        ties.append("the same active minutes (a shared schedule)")
    why = [f"extraction prompts are {100 * row['focus']:.0f}% of their {row['sampled']:,} sampled prompts"]
    if row["reference_share"] >= 0.5:
        why.append(f"{100 * row['reference_share']:.0f}% are established, verified accounts")
    why.append(f"their own evidence is low (median {row['median_points']:.1f} points)")
    return f"{row['accounts']:,} accounts linked by " + ", ".join(ties) + "; benign: " + ", ".join(why) + "."
