"""The scan's results as the contract states them: ``accounts.parquet`` and ``campaigns.json``.

Campaign facts (volume, first and last seen, models, the move to a new model, the daily
timeline) are SQL over the stage tables joined with the members; capabilities are the
members' sampled family shares scaled to their exchanges (an estimate, stated as such in
the report); indicators are the shared ones that tie the campaign together.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.scan.calibrate import Thresholds
from distillguard.scan.fingerprints import US_PER_DAY, US_PER_HOUR
from distillguard.signals.extraction import FAMILIES

ACCOUNTS_SCHEMA: Final = pa.schema(
    [
        ("account_id", pa.string()),
        ("risk", pa.float64()),
        ("verdict", pa.string()),
        ("campaign_id", pa.string()),
        ("reasons", pa.list_(pa.string())),
    ]
)
TOP_IPS: Final = 25
TOP_PAYMENTS: Final = 50
TOP_TEMPLATES: Final = 10


def rfc3339(micros: int) -> str:
    """Microseconds since the epoch as RFC 3339 UTC."""
    return datetime.fromtimestamp(micros / 1e6, tz=UTC).isoformat().replace("+00:00", "Z")


def write_accounts(accounts: pl.DataFrame, path: Path) -> None:
    """``accounts.parquet``: the contract's columns, riskiest first."""
    table = accounts.sort("risk", descending=True).select(ACCOUNTS_SCHEMA.names).to_arrow()
    pq.write_table(table.cast(ACCOUNTS_SCHEMA), path)


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


def _summary(campaign: dict[str, Any], links: dict[str, int]) -> str:
    caps = {k: v for k, v in campaign["capabilities"].items() if k != "other"}
    total = max(1, campaign["exchanges"])
    focus = ", ".join(f"{k.replace('_', ' ')} ({100 * v / total:.0f}%)" for k, v in list(caps.items())[:3])
    parts = [
        f"{len(campaign['accounts']):,} accounts sent {campaign['exchanges']:,} exchanges between "
        f"{campaign['first_seen'][:16].replace('T', ' ')} and {campaign['last_seen'][:16].replace('T', ' ')} UTC"
        + (f", focused on {focus}." if focus else ".")
    ]
    ties = [
        f"{links[kind]:,} shared {name}"
        for kind, name in (
            ("payment", "payment methods"),
            ("ip", "client addresses"),
            ("template", "extraction templates"),
            ("sync", "lockstep timing groups"),
            ("pivot", "hours of a coordinated move to a new model"),
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
    verdicts = ", ".join(f"{n:,} {v}" for v, n in sorted(campaign["verdicts"].items()))
    parts.append(f"Verdicts: {verdicts}.")
    return " ".join(parts)


def build_campaigns(
    con: duckdb.DuckDBPyConnection,
    *,
    accounts: pl.DataFrame,
    fingerprints: pl.DataFrame,
    edges: pl.DataFrame,
    strength: pl.DataFrame,
    thresholds: Thresholds,
    templates_path: Path,
) -> list[dict[str, Any]]:
    """Every campaign's record, strongest first (``accounts`` has account_id, campaign_id, verdict, points)."""
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
    shared = edges.filter(pl.col("kind") == "template").select(pl.col("indicator").str.slice(4).alias("template"))
    con.register("shared_templates", shared.unique().to_arrow())
    skeletons = dict(
        con.execute(
            "SELECT 'tpl:' || t.template, any_value(t.skeleton) FROM read_parquet(?) t "
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
        median_points = float(member_rows.select(pl.col("points").median()).item() or 0.0)
        record: dict[str, Any] = {
            "campaign_id": campaign_id,
            "accounts": ids,
            "exchanges": int(exchanges),
            "first_seen": rfc3339(int(first)),
            "last_seen": rfc3339(int(last)),
            "models": {m: int(n) for c, m, n in models if c == campaign_id},
            "capabilities": _capabilities(fingerprints.join(member_rows.select("account_id"), on="account_id")),
            "indicators": {
                "ips": [i[3:] for i in per_indicator.filter(pl.col("kind") == "ip")["indicator"].head(TOP_IPS)],
                "payment_fingerprints": [
                    i[4:] for i in per_indicator.filter(pl.col("kind") == "payment")["indicator"].head(TOP_PAYMENTS)
                ],
                "templates": [
                    skeletons.get(i, i[4:])
                    for i in per_indicator.filter(pl.col("kind") == "template")["indicator"].head(TOP_TEMPLATES)
                ],
            },
            "confidence": round((1.0 - math.exp(-s)) * min(1.0, median_points / thresholds.block), 3),
            "strength": round(s, 3),
            "links": {k: int(v) for k, v in sorted(links.items())},
            "verdicts": {k: int(v) for k, v in verdicts.items()},
            "model_pivot": _pivot(con, campaign_id),
            "timeline": [
                {"day": rfc3339(int(d) * US_PER_DAY)[:10], "exchanges": int(n)}
                for c, d, n in timeline
                if c == campaign_id
            ],
        }
        record["summary"] = _summary(record, record["links"])
        out.append(record)
    out.sort(key=lambda r: (-r["confidence"], -r["exchanges"]))
    return out


def write_campaigns(campaigns: list[dict[str, Any]], path: Path) -> None:
    """``campaigns.json``."""
    path.write_bytes(orjson.dumps({"campaigns": campaigns}, option=orjson.OPT_INDENT_2))
