"""The account graph's communities judged together: campaigns, benign clusters, distinct operations kept apart."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from distillguard.scan.campaigns import CAMPAIGN_FOCUS, candidates, judge
from distillguard.scan.graph import KIND_MAX, KIND_MIN, find_communities, kind_weights
from distillguard.signals.extraction import FAMILIES


def _scored(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Scored accounts: ``points`` beyond extraction focus (whose points are added), sampled and fired prompts."""
    full = []
    for row in rows:
        sampled, fired = row.get("sampled", 20), row.get("fired", 0)
        focus = 3.0 * min(1.0, max(0.0, (fired / sampled - 0.1) / 0.5))  # extraction_focus's points
        full.append(
            {
                "account_id": row["account_id"],
                "points": row.get("points", 2.0) + focus,
                "p_extraction_focus": focus,
                "sampled": sampled,
                "fired": fired,
                **{f"fired_{f}": fired if f == "task_sweep" else 0 for f in FAMILIES},
                "reference": row.get("reference", False),
                "shared_exit_ips": row.get("exits", 0),
            }
        )
    return pl.DataFrame(full)


def _edges(rows: list[tuple[str, str, str]], reference: set[str] = frozenset()) -> pl.DataFrame:  # type: ignore[assignment]
    """Indicator edges weighted as links.py weighs them: (1 - reference share) / ln(holders + 5)."""
    frame = pl.DataFrame(rows, schema=["account_id", "indicator", "kind"], orient="row").unique()
    holders = pl.col("account_id").n_unique().over("indicator")
    ref = pl.col("account_id").is_in(sorted(reference)).cast(pl.Float64).sum().over("indicator")
    return frame.with_columns(((1.0 - ref / holders) / (holders + 5).log()).alias("weight"))


def _pairs(rows: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"account_id": [a for a, _ in rows], "other": [b for _, b in rows], "weight": [1.0] * len(rows)},
        schema={"account_id": pl.String, "other": pl.String, "weight": pl.Float64},
    )


def _ring(ids: list[str], rng: np.random.Generator, degree: int = 4) -> list[tuple[str, str]]:
    """Behavioural neighbours within one group: each account to a few random others."""
    out: set[tuple[str, str]] = set()
    for i, a in enumerate(ids):
        out.update(
            (min(a, ids[j]), max(a, ids[j])) for j in rng.choice(len(ids), degree, replace=False).tolist() if j != i
        )
    return sorted(out)


def _run(scored: pl.DataFrame, edges: pl.DataFrame, pairs: pl.DataFrame) -> Any:
    reference = scored.filter(pl.col("reference"))["account_id"]
    communities = find_communities(candidates(scored), edges, pairs, reference)
    return judge(communities, scored)


def test_two_operations_on_one_proxy_provider_stay_apart() -> None:
    rng = np.random.default_rng(1)
    north = [f"n{i:03d}" for i in range(40)]
    south = [f"s{i:03d}" for i in range(60)]
    pool = [f"ip:10.0.{k // 250}.{k % 250}" for k in range(200)]  # one provider's addresses, used by both
    rows = []
    for i, a in enumerate(north):
        rows.append((a, f"pay:north-{i % 4}", "payment"))
        rows.extend((a, pool[k], "ip") for k in rng.choice(len(pool), 10, replace=False).tolist())
    for i, a in enumerate(south):
        rows.append((a, f"pay:south-{i % 6}", "payment"))
        rows.append((a, f"tpl:south-{i % 5}", "template"))  # crossing the payments: one operation
        rows.extend((a, pool[k], "ip") for k in rng.choice(len(pool), 10, replace=False).tolist())
    legit = [f"l{i:04d}" for i in range(500)]
    rows.extend((a, f"ip:192.168.{i // 10}.1", "ip") for i, a in enumerate(legit))  # offices of ten, reference
    scored = _scored(
        [{"account_id": a, "points": 3.0, "fired": 16} for a in north + south]
        + [{"account_id": a, "points": 0.0, "reference": True} for a in legit]
    )
    edges = _edges(rows, set(legit))
    pairs = _pairs(_ring(north, rng) + _ring(south, rng))
    groups = _run(scored, edges, pairs)
    found = dict(groups.members.select("account_id", "campaign_id").iter_rows())
    assert {found[a] for a in north} != {found[a] for a in south}
    assert len({found[a] for a in north}) == 1
    assert len({found[a] for a in south}) == 1
    # the two are one connected group through the provider's addresses: connected components would merge them
    shared = edges.filter(pl.col("kind") == "ip").group_by("indicator").agg(pl.col("account_id").str.head(1).n_unique())
    assert (shared["account_id"] == 2).any()


def test_an_evenly_tied_campaign_comes_out_whole() -> None:
    """Modularity cuts a campaign drawing from one large pool into parts; they merge back."""
    rng = np.random.default_rng(2)
    hydra = [f"h{i:03d}" for i in range(300)]
    rows = [(a, f"ip:pool-{k}", "ip") for a in hydra for k in rng.choice(3_000, 20, replace=False).tolist()]
    scored = _scored([{"account_id": a, "points": 2.0, "fired": 12} for a in hydra])
    groups = _run(scored, _edges(rows), _pairs([]))
    assert groups.members["campaign_id"].n_unique() == 1
    assert groups.members.height >= 0.95 * len(hydra)


def test_an_unlinked_hydra_is_a_campaign_by_its_pooled_focus_and_behaviour() -> None:
    """No payment, address or client in common: alike accounts whose thin samples say together what none says alone."""
    rng = np.random.default_rng(3)
    hydra = [f"q{i:03d}" for i in range(200)]
    fired = rng.binomial(16, 0.4, len(hydra)).tolist()  # 40% of sixteen prompts each, noisy
    scored = _scored(
        [{"account_id": a, "points": 0.0, "sampled": 16, "fired": f} for a, f in zip(hydra, fired, strict=True)]
    )
    groups = _run(scored, _edges([("q000", "ip:x", "ip"), ("q001", "ip:x", "ip")]), _pairs(_ring(hydra, rng, 8)))
    assert groups.members.height >= 0.95 * len(hydra)
    assert groups.members["campaign_id"].n_unique() == 1
    (campaign,) = groups.strength.iter_rows(named=True)
    assert campaign["focus"] == pytest.approx(0.4, abs=0.02)  # pooled over its members' 16 prompts each
    own = dict(scored.select("account_id", "points").iter_rows())
    bonus = dict(groups.members.select("account_id", "bonus").iter_rows())
    assert min(own[a] + bonus[a] for a in bonus) >= 4.0  # the campaign's evidence reaches the block floor


def test_linked_legitimate_groups_are_benign_clusters_with_their_reason() -> None:
    rng = np.random.default_rng(4)
    office = [f"o{i:02d}" for i in range(12)]
    vpn = [f"v{i:03d}" for i in range(40)]
    rows = [(a, "ip:198.51.100.7", "ip") for a in office] + [(a, "pay:company-card", "payment") for a in office]
    exits = [f"ip:203.0.113.{k}" for k in range(20)]
    rows += [(a, exits[k], "ip") for a in vpn for k in rng.choice(20, 8, replace=False).tolist()]
    scored = _scored(
        [{"account_id": a, "points": 1.8, "fired": 0, "reference": i % 3 != 0} for i, a in enumerate(office)]
        + [{"account_id": a, "points": 1.1, "fired": 1, "reference": True, "exits": 8} for a in vpn]
    )
    groups = _run(scored, _edges(rows), _pairs(_ring(office, rng) + _ring(vpn, rng)))
    assert groups.members.height == 0  # linked, but not suspicious together
    by_size = {len(b["accounts"]): b for b in groups.benign}
    assert set(by_size) == {12, 40}
    assert "1 shared address (an office" in by_size[12]["reason"]
    assert "1 shared payment method (company cards)" in by_size[12]["reason"]
    assert "exit addresses that many established accounts also use" in by_size[40]["reason"]
    assert by_size[40]["extraction_share"] < CAMPAIGN_FOCUS
    assert "of their 800 sampled prompts" in by_size[40]["reason"]


def test_a_neighbour_whose_own_sample_contradicts_the_campaign_is_left_out() -> None:
    rng = np.random.default_rng(5)
    crew = [f"c{i:02d}" for i in range(30)]
    rows = [(a, f"pay:crew-{i % 3}", "payment") for i, a in enumerate(crew)]
    rows += [(a, "ip:100.64.0.9", "ip") for a in crew[:10]] + [("neighbour", "ip:100.64.0.9", "ip")]
    scored = _scored(
        [{"account_id": a, "points": 2.0, "fired": 18} for a in crew]
        + [{"account_id": "neighbour", "points": 1.5, "sampled": 20, "fired": 0}]
    )
    groups = _run(scored, _edges(rows), _pairs(_ring(crew, rng)))
    members = set(groups.members["account_id"].to_list())
    assert set(crew) <= members
    assert "neighbour" not in members


def test_kind_weights_follow_how_rare_a_tie_is_among_reference_accounts() -> None:
    reference = pl.Series([f"r{i}" for i in range(1_000)])
    rows = [(f"r{i}", f"ip:{i // 2}", "ip") for i in range(100)]  # 10% of the reference share an address
    rows += [(f"r{i}", f"pay:{i // 2}", "payment") for i in range(10)]  # 1% a payment method
    weights = kind_weights(_edges(rows), reference)
    assert weights["ip"] == pytest.approx(0.5)
    assert weights["payment"] == pytest.approx(1.0)
    assert weights["sync"] == pytest.approx(KIND_MAX)  # no reference account holds one
    assert min(weights.values()) >= KIND_MIN
