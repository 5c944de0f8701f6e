"""The scan's results as the contract states them: ``accounts.parquet`` and ``campaigns.json``.

Campaign facts (volume, first and last seen, models, the move to a new model, the daily
timeline) are SQL over the stage tables joined with the members; capabilities are the
members' sampled family shares scaled to their exchanges (an estimate, stated as such in
the report); indicators are the shared ones that tie the campaign together.

Fields beyond the contract's (exchange-log v1, "Results of a scan"), each a backward-compatible
addition: per campaign ``strength``, ``links``, ``verdicts``, ``model_pivot``, ``timeline``,
``sampled_prompts`` (the prompts the classifiers read: ``prompts``, and per family the count
that fired; the summary's shares are of these), ``coverage`` (``items``: the distinct task items
of the members' sampled prompts, ``repeated``: how many two or more members asked), ``actions``
(what the gateway's policy would do with the members: action -> accounts); at the top level
``benign_clusters`` (linked groups judged legitimate: ``cluster_id``, ``accounts``, ``ties``,
``reason``, ``sampled_prompts``, ``extraction_share``, ``reference_share``). Their types are in
:mod:`distillguard.schema`.

``confidence`` ranks campaigns: ``ties x (focus + own) / 2``, where *ties* is ``1 - e^(-strength
/ 2)``, *focus* the pooled extraction share on the scale of ``extraction_focus`` (0 at 10%, 1
from 60%) and *own* the members' median points before the campaign's bonus over the block line
(at most 1). A campaign tied loosely, or whose accounts say little on their own, ranks below
one tied tightly whose every account would be blocked alone.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import orjson
import polars as pl
import pyarrow.parquet as pq

from distillguard.scan.calibrate import Thresholds
from distillguard.scan.fingerprints import US_PER_DAY, US_PER_HOUR
from distillguard.scan.links import INDICATOR_PREFIX, indicator_value
from distillguard.schema import (
    ACCOUNTS_RESULT_SCHEMA,
    BENIGN_CLUSTER_FIELDS,
    CAMPAIGN_ADDED_FIELDS,
    CAMPAIGN_CONTRACT_FIELDS,
    BenignCluster,
    Campaign,
    SampledPrompts,
)
from distillguard.signals.extraction import FAMILIES

TOP_IPS: Final = 25
TOP_PAYMENTS: Final = 50
TOP_TEMPLATES: Final = 10


def rfc3339(micros: int) -> str:
    """Microseconds since the epoch as RFC 3339 UTC."""
    return datetime.fromtimestamp(micros / 1e6, tz=UTC).isoformat().replace("+00:00", "Z")


def write_accounts(accounts: pl.DataFrame, path: Path) -> None:
    """``accounts.parquet``: the contract's columns, riskiest first."""
    table = accounts.sort("risk", descending=True).select(ACCOUNTS_RESULT_SCHEMA.names).to_arrow()
    pq.write_table(table.cast(ACCOUNTS_RESULT_SCHEMA), path)


def _capabilities(fingerprints: pl.DataFrame) -> dict[str, int]:
    share = [
        (pl.col("exchanges") * pl.col(f"fired_{f}") / pl.col("sampled").clip(lower_bound=1)).sum().alias(f)
        for f in FAMILIES
    ]
    row = fingerprints.select(*share, pl.col("exchanges").sum().alias("all")).row(0, named=True)
    out = {f: round(float(row[f] or 0)) for f in FAMILIES}
    out = {k: v for k, v in sorted(out.items(), key=lambda kv: -kv[1]) if v > 0}
    out["other"] = max(0, int(row["all"] or 0) - sum(out.values()))
    return out


def _pivot(con: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[str, Any] | None:
    rows = con.execute(
        """
        SELECT n.model, any_value(n.first_seen), min(s.ts) FILTER (WHERE s.model = n.model),
               avg((s.model = n.model)::INTEGER)
        FROM stage s JOIN members m USING (account_id) JOIN newest_model n ON s.ts >= n.first_seen
        WHERE m.campaign_id = ? GROUP BY n.model
        """,
        [campaign_id],
    ).fetchall()
    row = rows[0] if rows else None
    if row is None or row[2] is None:
        return None
    return {
        "model": row[0],
        "released": rfc3339(int(row[1])),
        "first_used": rfc3339(int(row[2])),
        "hours_after_release": round((int(row[2]) - int(row[1])) / US_PER_HOUR, 1),
        "share_after_release": round(float(row[3]), 3),
    }


def _sampled(fingerprints: pl.DataFrame) -> SampledPrompts:
    """The members' sampled prompts and, per family, how many of them fired it."""
    row = fingerprints.select(pl.col("sampled").sum(), *[pl.col(f"fired_{f}").sum().alias(f) for f in FAMILIES]).row(
        0, named=True
    )
    fired = {f: int(row[f] or 0) for f in FAMILIES}
    return {
        "prompts": int(row["sampled"] or 0),
        "families": {k: v for k, v in sorted(fired.items(), key=lambda kv: (-kv[1], kv[0])) if v > 0},
    }


def sampled_sentence(sampled: SampledPrompts) -> str:
    """The sampled prompts' family shares, as measured: ``Of 1,234 sampled prompts, 31% fired ...``."""
    total = sampled["prompts"]
    if not total:
        return "None of their prompts was sampled."
    shares = [(k, 100 * v / total) for k, v in sampled["families"].items()]
    named = [f"{share:.0f}% {k.replace('_', ' ')}" for k, share in shares if share >= 0.5][:4]
    none = 100 * (total - sum(sampled["families"].values())) / total
    if not named:
        return f"Of their {total:,} sampled prompts, none fired an extraction family."
    return f"Of their {total:,} sampled prompts, {', '.join(named)}; {none:.0f}% fired no extraction family."


def _summary(campaign: Campaign, links: dict[str, int]) -> str:
    parts = [
        f"{len(campaign['accounts']):,} accounts sent {campaign['exchanges']:,} exchanges between "
        f"{campaign['first_seen'][:16].replace('T', ' ')} and {campaign['last_seen'][:16].replace('T', ' ')} UTC.",
        sampled_sentence(campaign["sampled_prompts"]),
    ]
    ties = [
        f"{links[kind]:,} shared {name}"
        for kind, name in (
            ("payment", "payment methods"),
            ("ip", "client addresses"),
            ("template", "extraction templates"),
            ("sync", "lockstep timing groups"),
            ("pivot", "hours of a coordinated move to a new model"),
            ("item", "task items"),
            ("cohort", "sign-up and activity days"),
        )
        if links.get(kind)
    ]
    if ties:
        parts.append("They are tied by " + ", ".join(ties) + ".")
    pivot = campaign.get("model_pivot")
    if pivot and pivot["share_after_release"] >= 0.2:
        parts.append(
            f"They moved {100 * pivot['share_after_release']:.0f}% of their traffic to {pivot['model']}, "
            f"first used {pivot['hours_after_release']} h after its release."
        )
    coverage = campaign.get("coverage")
    if coverage and coverage["items"] >= 100 and coverage["repeated"] <= 0.01 * coverage["items"]:
        parts.append(
            f"Their {coverage['items']:,} sampled task items hardly repeat across accounts "
            f"({coverage['repeated']:,} asked by two or more): a dataset split between them."
        )
    verdicts = ", ".join(f"{n:,} {v}" for v, n in sorted(campaign["verdicts"].items()))
    actions = ", ".join(f"{n:,} {a}" for a, n in sorted(campaign.get("actions", {}).items()))
    parts.append(f"Verdicts: {verdicts}" + (f"; the gateway's policy: {actions}." if actions else "."))
    return " ".join(parts)


def _confidence(strength: float, focus: float, own_points: float, block: float) -> float:
    """The ranking described in the module docstring."""
    ties = 1.0 - math.exp(-strength / 2.0)
    extraction = min(1.0, max(0.0, (focus - 0.1) / 0.5))
    own = min(1.0, max(0.0, own_points / block))
    return round(ties * (extraction + own) / 2.0, 3)


def build_campaigns(
    con: duckdb.DuckDBPyConnection,
    *,
    accounts: pl.DataFrame,
    fingerprints: pl.DataFrame,
    edges: pl.DataFrame,
    strength: pl.DataFrame,
    thresholds: Thresholds,
    templates_path: Path,
) -> list[Campaign]:
    """Every campaign's record, by confidence (``accounts``: account_id, campaign_id, verdict, own_points, action).

    Needs the ``stage``, ``newest_model`` and ``account_items`` tables of the scan's connection.
    """
    members = accounts.filter(pl.col("campaign_id").is_not_null()).select("account_id", "campaign_id")
    con.register("members", members.to_arrow())
    facts = con.execute(
        """
        SELECT m.campaign_id, count(*), min(s.ts), max(s.ts)
        FROM stage s JOIN members m USING (account_id) GROUP BY m.campaign_id
        """
    ).fetchall()
    models = con.execute(
        """
        SELECT m.campaign_id, s.model, count(*) AS n
        FROM stage s JOIN members m USING (account_id) GROUP BY ALL ORDER BY n DESC
        """
    ).fetchall()
    timeline = con.execute(
        f"""
        SELECT m.campaign_id, s.ts // {US_PER_DAY} AS day, count(*) AS n
        FROM stage s JOIN members m USING (account_id) GROUP BY ALL ORDER BY day
        """
    ).fetchall()
    coverage = {
        c: (int(items), int(repeated))
        for c, items, repeated in con.execute(
            """
            SELECT campaign_id, count(*), count(*) FILTER (WHERE holders >= 2) FROM (
                SELECT m.campaign_id, i.item, count(DISTINCT i.account_id) AS holders
                FROM account_items i JOIN members m USING (account_id) GROUP BY ALL)
            GROUP BY campaign_id
            """
        ).fetchall()
    }
    shared = edges.filter(pl.col("kind") == "template").select(pl.col("indicator").str.slice(4).alias("template"))
    con.register("shared_templates", shared.unique().to_arrow())
    skeletons = dict(
        con.execute(
            f"SELECT '{INDICATOR_PREFIX['template']}' || t.template, any_value(t.skeleton) FROM read_parquet(?) t "
            "SEMI JOIN shared_templates USING (template) GROUP BY t.template",
            [str(templates_path)],
        ).fetchall()
    )
    strength_of = {r["campaign_id"]: r["strength"] for r in strength.iter_rows(named=True)}
    out = []
    for campaign_id, exchanges, first, last in facts:
        member_rows = accounts.filter(pl.col("campaign_id") == campaign_id)
        ids = sorted(member_rows["account_id"].to_list())
        tied = edges.filter(pl.col("campaign_id") == campaign_id)
        per_indicator = (
            tied.group_by("indicator", "kind").agg(pl.len().alias("n")).sort("n", "indicator", descending=[True, False])
        )
        links = dict(per_indicator.group_by("kind").agg(pl.len().alias("n")).iter_rows())
        verdicts = dict(member_rows.group_by("verdict").agg(pl.len().alias("n")).sort("verdict").iter_rows())
        s = float(strength_of.get(campaign_id, 0.0))
        own = float(member_rows.select(pl.col("own_points").median()).item() or 0.0)
        sampled = _sampled(fingerprints.join(member_rows.select("account_id"), on="account_id"))
        focus = sum(sampled["families"].values()) / max(1, sampled["prompts"])
        actions = dict(member_rows.group_by("action").agg(pl.len()).sort("action").iter_rows())
        items, repeated = coverage.get(campaign_id, (0, 0))
        record: Campaign = {
            "campaign_id": campaign_id,
            "accounts": ids,
            "exchanges": int(exchanges),
            "first_seen": rfc3339(int(first)),
            "last_seen": rfc3339(int(last)),
            "models": {m: int(n) for c, m, n in models if c == campaign_id},
            "capabilities": _capabilities(fingerprints.join(member_rows.select("account_id"), on="account_id")),
            "indicators": {
                "ips": [
                    indicator_value("ip", i)
                    for i in per_indicator.filter(pl.col("kind") == "ip")["indicator"].head(TOP_IPS)
                ],
                "payment_fingerprints": [
                    indicator_value("payment", i)
                    for i in per_indicator.filter(pl.col("kind") == "payment")["indicator"].head(TOP_PAYMENTS)
                ],
                "templates": [
                    skeletons.get(i, indicator_value("template", i))
                    for i in per_indicator.filter(pl.col("kind") == "template")["indicator"].head(TOP_TEMPLATES)
                ],
            },
            "confidence": _confidence(s, focus, own, thresholds.block),
            "strength": round(s, 3),
            "sampled_prompts": sampled,
            "coverage": {"items": items, "repeated": repeated},
            "actions": {str(k): int(v) for k, v in actions.items()},
            "links": {k: int(v) for k, v in sorted(links.items())},
            "verdicts": {k: int(v) for k, v in verdicts.items()},
            "model_pivot": _pivot(con, campaign_id),
            "timeline": [
                {"day": rfc3339(int(d) * US_PER_DAY)[:10], "exchanges": int(n)}
                for c, d, n in timeline
                if c == campaign_id
            ],
            "summary": "",
        }
        record["summary"] = _summary(record, record["links"])
        assert set(record) == {*CAMPAIGN_CONTRACT_FIELDS, *CAMPAIGN_ADDED_FIELDS}
        out.append(record)
    out.sort(key=lambda r: (-r["confidence"], -r["exchanges"]))
    return out


def write_campaigns(campaigns: list[Campaign], path: Path, benign: list[BenignCluster] | None = None) -> None:
    """``campaigns.json``: the campaigns, then the benign clusters (linked groups judged legitimate)."""
    clusters = benign or []
    assert all(set(c) == set(BENIGN_CLUSTER_FIELDS) for c in clusters)
    body = {"campaigns": campaigns, "benign_clusters": clusters}
    path.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2))
