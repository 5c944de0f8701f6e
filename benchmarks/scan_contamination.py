"""A reference that is not clean: the scan's lines when a share of it is replaced by attack accounts.

    python -m benchmarks.scan_contamination          # writes benchmarks/results/scan-contamination.json

The scan calibrates on *reference* accounts (by default the established ones: verified, signed up
30+ days before their first request). Relays and harvesting operations can run from established,
verified, paying accounts too. This takes a labelled dataset (``small``, seed 5, never used to tune
the scan), scans it once (the stage kept), then, for each share, replaces that share of the
default reference by attack accounts chosen at random (``--reference`` with the list) and runs
the rest of the scan again: the block and review lines, the *naive* lines (the whole reference,
untrimmed, as the calibration stood before it was made robust), how many of the planted accounts
the scan left out of the reference as campaign members, and what the verdicts then are.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from distillguard.scan.evaluate import evaluate
from distillguard.scan.run import Clock, ScanOptions, analyse
from distillguard.scan.stage import Staged

SHARES = (0.0, 0.002, 0.005, 0.01, 0.02, 0.05)


def _run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "distillguard", *args], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("bench-data/scan-contamination"))
    parser.add_argument("--scenario", default="small")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--report", type=Path, default=Path("benchmarks/results/scan-contamination.json"))
    args = parser.parse_args()
    # the dataset benchmarks.scan_quality simulates for this scenario and seed, if it is there
    data, base = Path("bench-data/scan-quality") / f"{args.scenario}-{args.seed}" / "data", args.dir / "base"
    if not (data / "simulation.json").exists():
        _run("simulate", "--scenario", args.scenario, "--seed", str(args.seed), "--out", str(data))
    if not (base / ".work" / "scan.duckdb").exists():
        _run("scan", str(data), "--out", str(base), "--keep-work")
    fingerprints = pl.read_parquet(base / "fingerprints.parquet")
    labels = pl.read_parquet(data / "labels.parquet")
    established = fingerprints.filter(pl.col("verified").fill_null(False) & (pl.col("days_from_signup") >= 30))
    reference = sorted(established["account_id"].to_list())
    attackers = sorted(labels.filter(pl.col("campaign_id").is_not_null())["account_id"].to_list())
    rng = np.random.default_rng(args.seed)
    staged = Staged(base / ".work", 0, 0, 0, True)
    print(f"reference: {len(reference):,} established accounts; {len(attackers):,} attack accounts to plant")
    print(
        f"{'share':>6} {'planted':>8} {'left out':>9} {'block':>6} {'review':>7} {'naive':>6} {'naive rv':>8}  "
        "attack blocked  legit blocked  legit review+block"
    )
    rows: list[dict[str, Any]] = []
    for share in SHARES:
        count = round(share * len(reference))
        planted = sorted(rng.choice(attackers, count, replace=False).tolist()) if count else []
        kept = rng.choice(len(reference), len(reference) - count, replace=False)
        listed = frozenset([reference[i] for i in sorted(kept.tolist())] + planted)
        out = args.dir / f"share-{share:g}"
        out.mkdir(parents=True, exist_ok=True)
        summary = analyse(staged, out, ScanOptions(reference=listed), Clock(), dataset=str(data), rejected={})
        calibration = summary["calibration"]
        quality = evaluate(out, data)
        members = pl.read_parquet(out / "accounts.parquet").filter(pl.col("campaign_id").is_not_null())
        left_out = len(set(planted) & set(members["account_id"].to_list()))
        row = {
            "share": share,
            "planted": count,
            "planted_left_out_as_campaign_members": left_out,
            "calibration": calibration,
            "attack_accounts_flagged": quality["attack_accounts_flagged"],
            "legitimate_accounts_flagged": quality["legitimate_accounts_flagged"],
            "legitimate_with_review": quality["with_review"]["legitimate_accounts"],
        }
        rows.append(row)
        print(
            f"{share:>6.1%} {count:>8,} {left_out:>9,} {calibration['block_points']:>6.2f} "
            f"{calibration['review_points']:>7.2f} {calibration['naive_block_points']:>6.2f} "
            f"{calibration['naive_review_points']:>8.2f}  {quality['attack_accounts_flagged']['count']:>6,} of "
            f"{quality['attack_accounts_flagged']['of']:,}  {quality['legitimate_accounts_flagged']['count']:>6,}  "
            f"{quality['with_review']['legitimate_accounts']['count']:>6,}"
        )
    args.report.parent.mkdir(parents=True, exist_ok=True)
    body = {"dataset": f"{args.scenario} seed {args.seed}", "reference_accounts": len(reference), "runs": rows}
    args.report.write_text(json.dumps(body, indent=2) + "\n")


if __name__ == "__main__":
    main()
