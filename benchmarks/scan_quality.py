"""Detection quality of the scan on simulated data: the tuning sets, then the held-out ones.

    python -m benchmarks.scan_quality                         # all sets, writes benchmarks/results/scan-eval.json
    python -m benchmarks.scan_quality --only communities-heldout --only quickstart

Tuning used only ``benchmarks/scenarios/scan-tune.toml`` (seed 11) and
``scan-tune-evasive.toml`` (seed 12): two strategies (lockstep reasoning/rubric harvesting, a
hydra sweep), plain and evading links. Held out: ``small`` (seed 5: adds coercion, agentic
coding with a model pivot, low-and-slow) and ``scan-adversarial.toml`` (seed 4: coercion,
low-and-slow and a hydra with one payment method per account, address pools far larger than
the campaign, human rhythms, 50-70% benign camouflage, paraphrase). Each dataset is simulated
into ``bench-data/scan-quality/NAME-SEED`` once, scanned with the defaults, and evaluated.

The account graph's sets (``COMMUNITY_SETS``), written and committed before its tuning:
``communities-tune.toml`` (seed 31; a hydra sharing no payment, address or client, two
operations on one proxy provider, classes, VPN users, offices on company cards and evaluation
labs) for tuning, ``communities-heldout.toml`` (seed 41; graders, agent-framework apps and a
translation agency as whole new personas, campaigns in shifts, on a work queue with a pivot,
sharing a provider and a wrapper bank, on aged accounts) held out until the change was final;
the README's Quickstart dataset (``small``, seed 1), reported as the Quickstart reproduces it;
and ``shared-infrastructure.toml`` (seed 51: pairs of distinct campaigns sharing a proxy pool, a
wrapper bank and dataset, a sticky-address provider and client style, or shift start days),
written after the graph was tuned and never used to tune it, which measures merges.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from distillguard.scan.evaluate import evaluate, format_evaluation

SETS: tuple[tuple[str, str, int, str], ...] = (
    ("tuning", "benchmarks/scenarios/scan-tune.toml", 11, "scan-tune"),
    ("tuning", "benchmarks/scenarios/scan-tune-evasive.toml", 12, "scan-tune-evasive"),
    ("held out", "small", 5, "small"),
    ("held out", "benchmarks/scenarios/scan-adversarial.toml", 4, "scan-adversarial"),
)
COMMUNITY_SETS: tuple[tuple[str, str, int, str], ...] = (
    ("tuning", "benchmarks/scenarios/communities-tune.toml", 31, "communities-tune"),
    ("held out", "benchmarks/scenarios/communities-heldout.toml", 41, "communities-heldout"),
    ("quickstart", "small", 1, "quickstart"),
    ("merges", "benchmarks/scenarios/shared-infrastructure.toml", 51, "shared-infrastructure"),
)


def _run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "distillguard", *args], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("bench-data/scan-quality"))
    parser.add_argument("--report", type=Path, default=Path("benchmarks/results/scan-eval.json"))
    parser.add_argument("--only", action="append", default=[], help="Run only the named sets (repeatable).")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    chosen = [s for s in (*SETS, *COMMUNITY_SETS) if not args.only or s[3] in args.only]
    if args.report.exists() and args.only:  # keep the other sets' last figures
        results = [r for r in json.loads(args.report.read_text()) if r["set"] not in args.only]
    for purpose, scenario, seed, name in chosen:
        folder = args.dir / f"{name}-{seed}"
        if not (folder / "data" / "simulation.json").exists():
            _run("simulate", "--scenario", scenario, "--seed", str(seed), "--out", str(folder / "data"))
        _run("scan", str(folder / "data"), "--out", str(folder / "scan"))
        result = evaluate(folder / "scan", folder / "data")
        print(f"\n== {name} (seed {seed}, {purpose})")
        for line in format_evaluation(result):
            print(line)
        results.append({"set": name, "seed": seed, "purpose": purpose} | result)
    order = [s[3] for s in (*SETS, *COMMUNITY_SETS)]
    results.sort(key=lambda r: order.index(r["set"]) if r["set"] in order else len(order))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
