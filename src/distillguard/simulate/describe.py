"""``simulate --describe DIR``: what a simulated dataset holds, so nobody trusts it blindly.

Counts are read back from the written tables (not from the plan), joined with the
labels: accounts, exchanges, active hours, requests per active hour, and the share of
each text source from the generator's manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from distillguard.errors import DatasetError


def describe(directory: Path) -> list[dict[str, Any]]:
    """One row per persona or campaign, read back from ``directory``."""
    manifest_path = directory / "simulation.json"
    if not manifest_path.exists():
        raise DatasetError(f"{directory}: no simulation.json: not a dataset written by `distillguard simulate`")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    exchanges = pl.scan_parquet(directory / "exchanges" / "*.parquet").select("account_id", "timestamp")
    labels = pl.scan_parquet(directory / "labels.parquet")
    per_account = (
        exchanges.group_by("account_id")
        .agg(
            pl.len().alias("exchanges"),
            pl.col("timestamp").dt.truncate("1h").n_unique().alias("active_hours"),
        )
        .join(labels, on="account_id", how="right")
        .with_columns(pl.col("exchanges").fill_null(0), pl.col("active_hours").fill_null(0))
    )
    table = (
        per_account.group_by("role", "campaign_id", maintain_order=True)
        .agg(
            pl.len().alias("accounts"),
            pl.col("exchanges").sum(),
            pl.col("active_hours").sum(),
        )
        .collect()
    )
    sources = {(g["role"], g["campaign_id"]): g["sources"] for g in manifest["groups"]}
    order = {key: i for i, key in enumerate(sources)}
    rows = []
    for row in sorted(table.iter_rows(named=True), key=lambda r: order.get((r["role"], r["campaign_id"]), len(order))):
        mix = sources.get((row["role"], row["campaign_id"]), {})
        total = sum(mix.values()) or 1
        rows.append(
            {
                **row,
                "per_active_hour": row["exchanges"] / row["active_hours"] if row["active_hours"] else 0.0,
                "sources": {k: v / total for k, v in mix.items()},
            }
        )
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    """The description as a text table."""
    lines = [f"{'group':<28} {'campaign':<16} {'accounts':>9} {'exchanges':>11} {'req/active h':>12}  sources"]
    for r in rows:
        top = ", ".join(f"{k} {v:.0%}" for k, v in list(r["sources"].items())[:4])
        lines.append(
            f"{r['role']:<28} {r['campaign_id'] or '-':<16} {r['accounts']:>9,} {r['exchanges']:>11,} "
            f"{r['per_active_hour']:>12.1f}  {top}"
        )
    total_accounts = sum(r["accounts"] for r in rows)
    total_exchanges = sum(r["exchanges"] for r in rows)
    attack = sum(r["exchanges"] for r in rows if r["campaign_id"])
    lines.append(f"total: {total_accounts:,} accounts, {total_exchanges:,} exchanges, {attack:,} from campaigns")
    return "\n".join(lines)
