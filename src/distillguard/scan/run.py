"""``distillguard scan``: the whole batch pipeline, from a dataset to verdicts and campaigns.

1. stage (:mod:`~distillguard.scan.stage`): one streaming pass; validation, the sample's
   text classifiers, narrow stage rows as Parquet;
2. fingerprints and links (:mod:`~distillguard.scan.fingerprints`, :mod:`~distillguard.scan.links`):
   SQL over the stage, out of core in DuckDB;
3. evidence (:mod:`~distillguard.scan.evidence`), one row per account; behavioural similarity
   (:mod:`~distillguard.scan.similarity`) and the account graph's communities
   (:mod:`~distillguard.scan.graph`), judged as campaigns or benign clusters
   (:mod:`~distillguard.scan.campaigns`); calibration (:mod:`~distillguard.scan.calibrate`);
4. results: ``accounts.parquet``, ``campaigns.json``, ``report.html``, ``rejected.jsonl``,
   ``fingerprints.parquet`` and ``summary.json`` (counts, thresholds, time per stage).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import orjson
import polars as pl

from distillguard.config import DEFAULT_BATCH_ROWS, SPREAD_DAYS, ScanSettings
from distillguard.gateway.settings import GatewaySettings
from distillguard.ingest.dataset import Dataset
from distillguard.ingest.rejections import RejectionSink
from distillguard.scan.actions import policy_actions
from distillguard.scan.calibrate import reference_mask, thresholds, tier_medians
from distillguard.scan.campaigns import Groups, candidates, judge
from distillguard.scan.evidence import payment_reference_share, score_accounts
from distillguard.scan.fingerprints import build_fingerprints, connect
from distillguard.scan.graph import find_communities
from distillguard.scan.links import address_context, build_links
from distillguard.scan.refusals import summarize_refusals
from distillguard.scan.report import write_report
from distillguard.scan.results import build_campaigns, write_accounts, write_campaigns
from distillguard.scan.similarity import behaviour_edges, scaled_traits
from distillguard.scan.stage import Staged, stage
from distillguard.schema import TIERS
from distillguard.signals.extraction import builtin_model

_DEFAULTS: Final = ScanSettings()  # the config model holds every default, once


@dataclass(frozen=True)
class ScanOptions:
    """How a scan runs."""

    target_fpr: float = _DEFAULTS.target_fpr
    reference: frozenset[str] | None = None
    workers: int = 1
    memory_limit: str = _DEFAULTS.memory_limit
    batch_rows: int = DEFAULT_BATCH_ROWS
    tiers: tuple[str, ...] = TIERS
    spread_days: int = SPREAD_DAYS
    redact: bool = _DEFAULTS.redact
    keep_work: bool = False
    releases: Mapping[str, datetime] = field(default_factory=dict)
    gateway: GatewaySettings = field(default_factory=GatewaySettings)  # whose policy the report's actions follow


@dataclass
class Clock:
    """Seconds spent in each stage."""

    started: float = field(default_factory=time.perf_counter)
    stages: dict[str, float] = field(default_factory=dict)

    def lap(self, name: str) -> None:
        """Close the stage ``name``."""
        now = time.perf_counter()
        self.stages[name] = round(now - self.started - sum(self.stages.values()), 2)


# An account's points are rounded: float sums over rows in another order (worker processes, another polars
# or DuckDB version) differ in the last bit, and a verdict, a risk or a report must not.
POINTS_DECIMALS: Final = 9


def _account_results(
    scored: pl.DataFrame, members: pl.DataFrame, campaign_reasons: pl.DataFrame
) -> tuple[pl.DataFrame, np.ndarray]:
    frame = scored.join(members, on="account_id", how="left", maintain_order="left").join(
        campaign_reasons, on="campaign_id", how="left", maintain_order="left"
    )
    frame = frame.with_columns(
        pl.col("points").round(POINTS_DECIMALS).alias("own_points"),
        (pl.col("points") + pl.col("bonus").fill_null(0.0)).round(POINTS_DECIMALS).alias("points"),
        pl.when(pl.col("campaign_reason").is_not_null())
        .then(pl.concat_list(pl.col("campaign_reason"), pl.col("reasons")))
        .otherwise(pl.col("reasons"))
        .alias("reasons"),
    )
    return frame, frame["points"].to_numpy()


def _fingerprints(
    con: duckdb.DuckDBPyConnection, staged: Staged, options: ScanOptions
) -> tuple[pl.DataFrame, pl.Series]:
    """The fingerprints (with each account's shared exits) and which accounts are reference."""
    build_fingerprints(con, staged.stage_glob, staged.accounts_path, options.releases)
    fingerprints = con.sql("SELECT * FROM fingerprints ORDER BY account_id").pl()
    reference = reference_mask(fingerprints, options.reference)
    con.register("reference_ids", fingerprints.filter(reference).select("account_id").to_arrow())
    con.execute("CREATE OR REPLACE TABLE reference AS SELECT account_id FROM reference_ids")
    address_context(con)
    exits = con.sql("SELECT account_id, shared_exit_ips FROM shared_exits").pl()
    fingerprints = fingerprints.with_columns(payment_reference_share(fingerprints, reference)).join(
        exits, on="account_id", how="left", maintain_order="left"
    )
    fingerprints = fingerprints.with_columns(pl.col("shared_exit_ips").fill_null(0))
    return fingerprints, reference


def _groups(
    scored: pl.DataFrame, fingerprints: pl.DataFrame, edges: pl.DataFrame, reference: pl.Series, threads: int
) -> Groups:
    """Candidates, their behavioural links and communities, judged as campaigns or benign clusters."""
    chosen = candidates(scored)
    is_candidate = fingerprints["account_id"].is_in(chosen.implode()).to_numpy()
    is_reference = reference.to_numpy()
    scaled = scaled_traits(fingerprints, is_reference & ~is_candidate)
    behaviour = behaviour_edges(fingerprints, scaled, is_candidate, is_reference, threads=threads)
    communities = find_communities(chosen, edges, behaviour, fingerprints.filter(reference)["account_id"])
    return judge(communities, scored)


def _campaign_reasons(groups: Groups) -> pl.DataFrame:
    """The reason each campaign member's list opens with."""
    return groups.strength.select(
        "campaign_id",
        pl.format(
            "member of campaign {}: {} accounts, {}% of their {} sampled prompts extraction, tied with strength {}",
            "campaign_id",
            "accounts",
            (100 * pl.col("focus")).round(0).cast(pl.Int64),
            "sampled",
            pl.col("strength").round(1),
        ).alias("campaign_reason"),
    )


def analyse(
    staged: Staged, out: Path, options: ScanOptions, clock: Clock, *, dataset: str, rejected: dict[str, int]
) -> dict[str, Any]:
    """Everything after the stage: fingerprints, links, communities, verdicts; the results written to ``out``."""
    con = connect(staged.work, options.memory_limit, threads=max(1, options.workers))
    fingerprints, reference = _fingerprints(con, staged, options)
    clock.lap("fingerprints")
    build_links(con, staged.shingles_glob)
    edges = con.sql("SELECT account_id, indicator, kind, weight FROM edges").pl()
    clock.lap("links")
    scored = score_accounts(fingerprints, tier_medians(fingerprints, reference)).with_columns(
        reference.alias("reference")
    )
    groups = _groups(scored, fingerprints, edges, reference, max(1, options.workers))
    clock.lap("communities")
    accounts, points = _account_results(scored, groups.members, _campaign_reasons(groups))
    members = accounts["campaign_id"].is_not_null().to_numpy()
    limits = thresholds(points, reference.to_numpy(), options.target_fpr, excluded=members)
    accounts = accounts.with_columns(
        limits.risk(pl.col("points")).alias("risk"), limits.verdict(pl.col("points")).alias("verdict")
    )
    # A group none of whose members reaches review is not reported as a campaign.
    flagged = accounts.filter(pl.col("verdict") != "allow")["campaign_id"].drop_nulls().unique()
    accounts = accounts.with_columns(
        pl.when(pl.col("campaign_id").is_in(flagged.to_list())).then(pl.col("campaign_id")).alias("campaign_id")
    )
    accounts = accounts.with_columns(policy_actions(accounts, options.gateway).alias("action"))
    clock.lap("scores")
    write_accounts(accounts, out / "accounts.parquet")
    fingerprints.join(
        accounts.select("account_id", "points", "risk", "verdict", "campaign_id"), on="account_id"
    ).write_parquet(out / "fingerprints.parquet")
    campaigns = build_campaigns(
        con,
        accounts=accounts,
        fingerprints=fingerprints,
        edges=groups.edges,
        strength=groups.strength,
        thresholds=limits,
        templates_path=staged.templates_path,
    )
    write_campaigns(campaigns, out / "campaigns.json", groups.benign)
    verdicts = dict(accounts.group_by("verdict").agg(pl.len()).iter_rows())
    summary: dict[str, Any] = {
        "dataset": dataset,
        "exchanges_read": staged.exchanges_in,
        "exchanges_accepted": staged.exchanges_accepted,
        "exchanges_rejected": staged.exchanges_in - staged.exchanges_accepted,
        "account_rows_rejected": staged.account_rows_rejected,
        "rejected_by_reason": rejected,
        "exchanges_sampled": staged.sampled,
        "accounts": accounts.height,
        "verdicts": {v: int(verdicts.get(v, 0)) for v in ("block", "review", "allow")},
        "campaigns": len(campaigns),
        "benign_clusters": len(groups.benign),
        "calibration": limits.as_dict() | {"reference": "listed" if options.reference is not None else "established"},
    }
    examples = pl.read_parquet(staged.examples_path)
    con.close()
    clock.lap("results")
    write_report(
        out / "report.html", summary, accounts, campaigns, examples, redact=options.redact, benign=groups.benign
    )
    clock.lap("report")
    return summary


def scan(dataset_path: Path, out: Path, options: ScanOptions) -> dict[str, Any]:
    """Scan ``dataset_path`` and write the results to ``out``; returns the summary."""
    clock = Clock()
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    model = builtin_model()
    with RejectionSink(out / "rejected.jsonl") as sink:
        dataset = Dataset(
            dataset_path, sink, batch_rows=options.batch_rows, tiers=options.tiers, spread_days=options.spread_days
        )
        staged = stage(dataset, work, model, workers=options.workers)
        refused = summarize_refusals(dataset)
        rejected = {f"{t}/{f or '-'}/{r}": n for (t, f, r), n in sorted(sink.counts.items())}
    clock.lap("stage")
    summary = analyse(staged, out, options, clock, dataset=str(dataset_path), rejected=rejected)
    if refused is not None:
        summary["refusals"] = refused
    if not options.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    summary["seconds"] = clock.stages | {"total": round(sum(clock.stages.values()), 2)}
    (out / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary
