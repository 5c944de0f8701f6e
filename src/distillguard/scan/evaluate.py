"""``distillguard evaluate``: a scan's verdicts against labels (simulated or hand-labelled data).

Accounts are *flagged* when their verdict is ``block`` (the figures for ``block`` or
``review`` are given beside). Reported, with counts: attack accounts flagged (recall),
legitimate accounts flagged (false-positive rate) and precision; the share of attack
exchanges that belong to flagged accounts; the flag rate of every legitimate role
(persona), at ``block`` and at ``block`` or ``review``, and the recall of every campaign;
the adjusted Rand index of the scan's campaigns against the labelled ones, over the attack
accounts (an unassigned account is a group of its own); the legitimate accounts the scan put
inside a campaign; *merges*: found campaigns holding ``MERGE_MIN`` or more accounts of each of
two or more labelled campaigns (distinct operations taken for one); and, where the scan
reported benign clusters, the roles of their accounts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pyarrow as pa
from sklearn.metrics import adjusted_rand_score

from distillguard.errors import DatasetError
from distillguard.ingest.dataset import Dataset
from distillguard.ingest.rejections import RejectionSink


def _labels(dataset: Path) -> pl.DataFrame:
    with RejectionSink(None) as sink:
        data = Dataset(dataset, sink)
        if "labels" not in data.tables:
            raise DatasetError(f"{dataset}: the dataset has no `labels` table to evaluate against")
        batches = list(data.reader("labels"))
    if not batches:
        raise DatasetError(f"{dataset}: the `labels` table is empty")
    frame = pl.from_arrow(pa.Table.from_batches(batches))
    assert isinstance(frame, pl.DataFrame)
    return frame


MERGE_MIN = 5


def _rate(hit: int, total: int) -> dict[str, Any]:
    return {"count": hit, "of": total, "rate": round(hit / total, 6) if total else None}


def evaluate(scan_dir: Path, dataset: Path) -> dict[str, Any]:
    """The evaluation of the scan in ``scan_dir`` against the labels of ``dataset``."""
    accounts_path = scan_dir / "accounts.parquet"
    if not accounts_path.exists():
        raise DatasetError(f"{scan_dir}: no accounts.parquet; run `distillguard scan` first")
    results = pl.read_parquet(accounts_path).rename({"campaign_id": "found_campaign"})
    fingerprints_path = scan_dir / "fingerprints.parquet"
    volume = (
        pl.read_parquet(fingerprints_path, columns=["account_id", "exchanges"])
        if fingerprints_path.exists()
        else results.select("account_id", pl.lit(0).alias("exchanges"))
    )
    labels = _labels(dataset)
    frame = labels.join(results, on="account_id", how="left").join(volume, on="account_id", how="left")
    frame = frame.with_columns(
        pl.col("verdict").fill_null("allow"),
        pl.col("exchanges").fill_null(0),
        pl.col("campaign_id").is_not_null().alias("attack"),
        (pl.col("verdict") == "block").alias("flagged"),
        (pl.col("verdict") != "allow").alias("flagged_or_review"),
    )
    attack = frame.filter(pl.col("attack"))
    legit = frame.filter(~pl.col("attack"))
    flagged = frame.filter(pl.col("flagged"))
    out: dict[str, Any] = {
        "accounts": frame.height,
        "attack_accounts_flagged": _rate(int(attack["flagged"].sum()), attack.height),
        "legitimate_accounts_flagged": _rate(int(legit["flagged"].sum()), legit.height),
        "precision": _rate(int(flagged["attack"].sum()), flagged.height),
        "attack_exchanges_in_flagged_accounts": _rate(
            int(attack.filter(pl.col("flagged"))["exchanges"].sum()), int(attack["exchanges"].sum())
        ),
        "with_review": {
            "attack_accounts": _rate(int(attack["flagged_or_review"].sum()), attack.height),
            "legitimate_accounts": _rate(int(legit["flagged_or_review"].sum()), legit.height),
        },
        "legitimate_by_role": {
            role: _rate(int(group["flagged"].sum()), group.height)
            for (role,), group in sorted(legit.group_by("role"), key=lambda kv: str(kv[0][0]))
        },
        "legitimate_by_role_with_review": {
            role: _rate(int(group["flagged_or_review"].sum()), group.height)
            for (role,), group in sorted(legit.group_by("role"), key=lambda kv: str(kv[0][0]))
        },
        "campaign_recall": {
            str(cid): _rate(int(group["flagged"].sum()), group.height)
            for (cid,), group in sorted(attack.group_by("campaign_id"), key=lambda kv: str(kv[0][0]))
        },
        "campaign_recall_with_review": {
            str(cid): _rate(int(group["flagged_or_review"].sum()), group.height)
            for (cid,), group in sorted(attack.group_by("campaign_id"), key=lambda kv: str(kv[0][0]))
        },
        "legitimate_in_campaigns": {
            "count": int(legit["found_campaign"].is_not_null().sum()),
            "by_role": dict(
                legit.filter(pl.col("found_campaign").is_not_null())
                .group_by("role")
                .agg(pl.len())
                .sort("role")
                .iter_rows()
            ),
        },
        "merges": _merges(attack),
    }
    if attack.height:
        found = [c if c is not None else f"unassigned-{i}" for i, c in enumerate(attack["found_campaign"].to_list())]
        out["campaign_ari"] = round(float(adjusted_rand_score(attack["campaign_id"].to_list(), found)), 4)
    benign = _benign_roles(scan_dir, labels)
    if benign is not None:
        out["benign_clusters"] = benign
    return out


def _merges(attack: pl.DataFrame) -> list[dict[str, Any]]:
    """Found campaigns that hold MERGE_MIN or more accounts of two or more labelled campaigns."""
    counts = (
        attack.filter(pl.col("found_campaign").is_not_null())
        .group_by("found_campaign", "campaign_id")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") >= MERGE_MIN)
    )
    merged = (
        counts.group_by("found_campaign")
        .agg(pl.col("campaign_id").sort(), pl.col("n").sum())
        .filter(pl.col("campaign_id").list.len() >= 2)
    )
    return [
        {"found": r["found_campaign"], "campaigns": r["campaign_id"], "accounts": int(r["n"])}
        for r in merged.sort("found_campaign").iter_rows(named=True)
    ]


def _benign_roles(scan_dir: Path, labels: pl.DataFrame) -> dict[str, Any] | None:
    """The benign clusters' accounts by labelled role (attack accounts under ``campaign:<id>``)."""
    path = scan_dir / "campaigns.json"
    if not path.exists():
        return None
    clusters = orjson.loads(path.read_bytes()).get("benign_clusters")
    if clusters is None:
        return None
    ids = [a for c in clusters for a in c["accounts"]]
    roles = (
        pl.DataFrame({"account_id": ids}, schema={"account_id": pl.String})
        .join(labels, on="account_id", how="left")
        .select(
            pl.when(pl.col("campaign_id").is_not_null())
            .then(pl.format("campaign:{}", "campaign_id"))
            .otherwise(pl.col("role").fill_null("unlabelled"))
            .alias("role")
        )
    )
    return {
        "clusters": len(clusters),
        "accounts": len(ids),
        "by_role": dict(roles.group_by("role").agg(pl.len()).sort("role").iter_rows()),
    }


def _compact(rate: dict[str, Any]) -> str:
    value = "n/a" if rate["rate"] is None else f"{100 * rate['rate']:.3f}%"
    return f"{value:>9}  ({rate['count']:,})"


def _line(name: str, rate: dict[str, Any]) -> str:
    value = "n/a" if rate["rate"] is None else f"{100 * rate['rate']:.3f}%"
    return f"  {name:<44} {value:>9}  ({rate['count']:,} of {rate['of']:,})"


def format_evaluation(result: dict[str, Any]) -> list[str]:
    """The evaluation as lines of text."""
    lines = [
        f"accounts: {result['accounts']:,} labelled (flagged = verdict block)",
        _line("attack accounts flagged (recall)", result["attack_accounts_flagged"]),
        _line("legitimate accounts flagged (FPR)", result["legitimate_accounts_flagged"]),
        _line("precision", result["precision"]),
        _line("attack exchanges in flagged accounts", result["attack_exchanges_in_flagged_accounts"]),
        _line("attack accounts block or review", result["with_review"]["attack_accounts"]),
        _line("legitimate accounts block or review", result["with_review"]["legitimate_accounts"]),
        "legitimate accounts flagged (block; block or review), by role:",
        *[
            _line(role, rate) + "   " + _compact(result["legitimate_by_role_with_review"][role])
            for role, rate in result["legitimate_by_role"].items()
        ],
        "attack accounts flagged (block; block or review), by campaign:",
        *[
            _line(cid, rate) + "   " + _compact(result["campaign_recall_with_review"][cid])
            for cid, rate in result["campaign_recall"].items()
        ],
    ]
    if "campaign_ari" in result:
        lines.append(f"  {'campaigns: adjusted Rand index':<44} {result['campaign_ari']:>9}")
    inside = result["legitimate_in_campaigns"]
    roles = ", ".join(f"{n:,} {r}" for r, n in inside["by_role"].items())
    lines.append(
        f"  {'legitimate accounts inside campaigns':<44} {inside['count']:>9,}" + (f"  ({roles})" if roles else "")
    )
    merges = "; ".join(f"{m['found']} holds {' + '.join(m['campaigns'])}" for m in result["merges"]) or "none"
    lines.append(f"  {'distinct campaigns merged into one':<44} {len(result['merges']):>9}  ({merges})")
    if "benign_clusters" in result:
        benign = result["benign_clusters"]
        roles = ", ".join(f"{n:,} {r}" for r, n in benign["by_role"].items())
        lines.append(f"  {'benign clusters reported':<44} {benign['clusters']:>9,}  ({roles or 'no account'})")
    return lines
