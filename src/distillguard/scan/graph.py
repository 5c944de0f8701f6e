"""The multi-relational account graph and its communities (Leiden, then merged by conductance).

Nodes are the *candidate* accounts (some evidence of their own) and the indicators two or more
of them hold (:mod:`distillguard.scan.links`: payments, addresses, extraction templates,
lockstep groups, model pivots, task items, cohorts); behavioural similarity
(:mod:`distillguard.scan.similarity`) adds account-to-account links.

Weights. Each relation is weighed by how rare it is among legitimate accounts: the *kind
weight* is the information of a tie of that kind among the reference accounts, ``-ln(share
of reference accounts holding one) / ln(100)`` (a tie that 1% of established accounts have
weighs 1, one that 10% have 0.5, within ``[KIND_MIN, KIND_MAX]``); each edge also carries its
indicator's weight (Fraudar's ``1 / ln(degree + 5)``, times the share of its holders outside
the reference). An account's ties of one kind *saturate*: together they weigh at most the
kind weight (``1 - e^-sum``), so sixty-four addresses drawn from one proxy pool say that the
account uses the pool, not sixty-four times that it belongs with each neighbour.

Communities. Leiden (igraph's implementation, which on these graphs runs some forty times faster
than the ``leidenalg`` package's and gave the same campaigns on the tuning sets) optimises
modularity on the whole graph. Modularity cuts
a large, evenly tied campaign (accounts drawing addresses from one pool, alike accounts tied
by behaviour) into parts of a few dozen accounts, each of which keeps only half its ties
inside. So parts are then merged while one is not self-contained: a part that sends
``OUTWARD_SHARE`` or more of its weight to other parts, or ``MERGE_SHARE`` or more of the
smaller total to one other part, joins the part it is tied to most (its conductance, scale
free: unlike a resolution it means the same for ten accounts and for twenty thousand). Two
operations that share a proxy provider, a public template or a dataset stay apart when their
own ties (payments, lockstep, templates, behaviour) keep most of their weight inside; the
parts of one campaign merge back. Seeds are fixed and nodes sorted: the same log gives the
same communities.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Final

import igraph as ig
import numpy as np
import polars as pl
from scipy import sparse
from scipy.sparse.csgraph import connected_components

RESOLUTION: Final = 1.0
MERGE_SHARE: Final = 0.2
OUTWARD_SHARE: Final = 0.3
KIND_MIN: Final = 0.2
KIND_MAX: Final = 2.0
BEHAVIOUR_WEIGHT: Final = 1.0
SEED: Final = 29
N_ITERATIONS: Final = 2  # more changed nothing on the tuning sets
KINDS: Final = ("payment", "ip", "template", "sync", "pivot", "item", "cohort", "behaviour")


@dataclass(frozen=True)
class Communities:
    """Each candidate's community, and every edge with its final weight and whether it is internal."""

    members: pl.DataFrame  # account_id, community (int)
    edges: pl.DataFrame  # account_id, indicator, kind, weight, community, internal
    kind_weights: dict[str, float]


def kind_weights(edges: pl.DataFrame, reference: pl.Series) -> dict[str, float]:
    """The weight of each tie kind: its information among the reference accounts (see the module)."""
    count = max(1, int(reference.len()))
    held = (
        edges.join(pl.DataFrame({"account_id": reference}), on="account_id", how="semi")
        .group_by("kind")
        .agg(pl.col("account_id").n_unique().alias("n"))
    )
    shares = dict(held.iter_rows())
    out: dict[str, float] = {}
    for kind in KINDS:
        if kind == "behaviour":
            out[kind] = BEHAVIOUR_WEIGHT  # its rarity is weighed in each link (similarity.py)
            continue
        share = max(shares.get(kind, 0) / count, 1e-4)
        out[kind] = min(KIND_MAX, max(KIND_MIN, -math.log(share) / math.log(100)))
    return out


def _saturated(frame: pl.DataFrame, weights: dict[str, float]) -> pl.DataFrame:
    """Each edge's weight scaled so that an account's ties of one kind sum to ``kind weight x (1 - e^-raw sum)``."""
    raw = pl.col("weight").sum().over("account_id", "kind")
    return frame.with_columns(
        (
            pl.col("weight")
            * pl.col("kind").replace_strict(weights, return_dtype=pl.Float64)
            * (1.0 - (-raw).exp())
            / raw
        ).alias("weight")
    )


def _behaviour_saturated(pairs: pl.DataFrame, weight: float) -> pl.DataFrame:
    """Behaviour links scaled by both ends' saturation (each end's links sum to at most ``weight``)."""
    pairs = pairs.filter(pl.col("weight") > 0)
    ends = pl.concat(
        [pairs.select("account_id", "weight"), pairs.select(pl.col("other").alias("account_id"), "weight")]
    )
    totals = ends.group_by("account_id").agg(pl.col("weight").sum().alias("raw"))
    factor = totals.with_columns(((1.0 - (-pl.col("raw")).exp()) / pl.col("raw")).alias("f")).select("account_id", "f")
    return (
        pairs.join(factor, on="account_id")
        .join(factor.rename({"account_id": "other", "f": "g"}), on="other")
        .select(
            "account_id",
            pl.col("other").alias("indicator"),
            pl.lit("behaviour").alias("kind"),
            (pl.col("weight") * weight * (pl.col("f") * pl.col("g")).sqrt()).alias("weight"),
        )
    )


def _merge_parts(source: np.ndarray, target: np.ndarray, weight: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Parts merged while one is not self-contained (see the module docstring).

    Each round, every part whose weight mostly leaves it (``OUTWARD_SHARE`` or more of its total), or
    that shares ``MERGE_SHARE`` or more of the smaller total with another part, merges with the part it
    shares most with; shares are recomputed after every round.
    """
    label = part.copy()
    while True:
        frame = pl.DataFrame({"s": label[source], "t": label[target], "w": weight})
        volume = pl.concat([frame.select(pl.col("s").alias("p"), "w"), frame.select(pl.col("t").alias("p"), "w")])
        volume = volume.group_by("p").agg(pl.col("w").sum().alias("v"))
        crossing = frame.filter(pl.col("s") != pl.col("t"))
        cut = (
            pl.concat(
                [
                    crossing.select(pl.col("s").alias("p"), pl.col("t").alias("q"), "w"),
                    crossing.select(pl.col("t").alias("p"), pl.col("s").alias("q"), "w"),
                ]
            )
            .group_by("p", "q")
            .agg(pl.col("w").sum())
        )
        cut = (
            cut.join(volume, on="p")
            .join(volume.rename({"p": "q", "v": "vq"}), on="q")
            .with_columns(
                (pl.col("w").sum().over("p") / pl.col("v")).alias("outward"),
                (pl.col("w") / pl.min_horizontal("v", "vq")).alias("share"),
            )
        )
        best = (
            cut.sort("w", "q", descending=[True, False])
            .group_by("p", maintain_order=True)
            .first()
            .filter((pl.col("outward") >= OUTWARD_SHARE) | (pl.col("share") >= MERGE_SHARE))
            .sort("p")
        )
        if best.height == 0:
            return label
        size = int(label.max()) + 1
        pairs = sparse.coo_matrix(
            (np.ones(best.height), (best["p"].to_numpy(), best["q"].to_numpy())), shape=(size, size)
        )
        _, merged = connected_components(pairs, directed=False)
        label = merged[label]


def _leiden(graph: ig.Graph) -> np.ndarray:
    """Leiden's modularity partition (igraph's implementation), from a generator seeded for this call alone."""
    ig.set_random_number_generator(random.Random(SEED))  # noqa: S311 (a seeded search, not secrecy)
    try:
        clusters = graph.community_leiden(
            objective_function="modularity", weights="weight", resolution=RESOLUTION, n_iterations=N_ITERATIONS
        )
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(clusters.membership, dtype=np.int64)


def find_communities(
    candidates: pl.Series, edges: pl.DataFrame, behaviour: pl.DataFrame, reference: pl.Series
) -> Communities:
    """Communities of the candidates over ``edges`` (bipartite) and ``behaviour`` (account pairs)."""
    weights = kind_weights(edges, reference)
    linked = edges.join(pl.DataFrame({"account_id": candidates}), on="account_id", how="semi")
    linked = linked.filter(pl.col("account_id").n_unique().over("indicator") >= 2).filter(pl.col("weight") > 0)
    linked = _saturated(linked.select("account_id", "indicator", "kind", "weight"), weights)
    pairs = _behaviour_saturated(behaviour, weights["behaviour"])
    accounts = candidates.unique().sort()
    indicators = linked["indicator"].unique().sort()
    index = pl.DataFrame(
        {"name": pl.concat([accounts, indicators]), "node": np.arange(len(accounts) + len(indicators))}
    )
    numbered = (
        pl.concat([linked, pairs])
        .join(index.rename({"name": "account_id", "node": "source"}), on="account_id")
        .join(index.rename({"name": "indicator", "node": "target"}), on="indicator")
        .filter(pl.col("weight") > 0)
        .sort("source", "target", "kind")
    )
    source, target = numbered["source"].to_numpy(), numbered["target"].to_numpy()
    weight = numbered["weight"].to_numpy()
    if len(index) == 0:
        membership = np.zeros(0, dtype=np.int64)
    else:
        graph = ig.Graph(n=len(index), edges=np.column_stack([source, target]), edge_attrs={"weight": weight})
        membership = _merge_parts(source, target, weight, _leiden(graph))
    members = pl.DataFrame(
        {"account_id": accounts, "community": membership[: len(accounts)]}, schema_overrides={"community": pl.Int64}
    )
    side, other = membership[source], membership[target]
    tagged = numbered.select("account_id", "indicator", "kind", "weight").with_columns(
        pl.Series("community", side, dtype=pl.Int64), pl.Series("internal", side == other)
    )
    return Communities(members, tagged, weights)
