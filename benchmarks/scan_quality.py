"""Detection quality of the scan on simulated data: the tuning sets, then the held-out ones.

    python -m benchmarks.scan_quality            # all sets, writes benchmarks/results/scan-eval.json

Tuning used only ``benchmarks/scenarios/scan-tune.toml`` (seed 11) and
``scan-tune-evasive.toml`` (seed 12): two strategies (lockstep reasoning/rubric harvesting, a
hydra sweep), plain and evading links. Held out: ``small`` (seed 5: adds coercion, agentic
coding with a model pivot, low-and-slow) and ``scan-adversarial.toml`` (seed 4: coercion,
low-and-slow and a hydra with one payment method per account, address pools far larger than
the campaign, human rhythms, 50-70% benign camouflage, paraphrase). Each dataset is simulated
into ``bench-data/scan-quality/NAME-SEED`` once, scanned with the defaults, and evaluated.
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


def _run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "distillguard", *args], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("bench-data/scan-quality"))
    parser.add_argument("--report", type=Path, default=Path("benchmarks/results/scan-eval.json"))
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for purpose, scenario, seed, name in SETS:
        folder = args.dir / f"{name}-{seed}"
        if not (folder / "data" / "simulation.json").exists():
            _run("simulate", "--scenario", scenario, "--seed", str(seed), "--out", str(folder / "data"))
        _run("scan", str(folder / "data"), "--out", str(folder / "scan"))
        result = evaluate(folder / "scan", folder / "data")
        print(f"\n== {name} (seed {seed}, {purpose})")
        for line in format_evaluation(result):
            print(line)
        results.append({"set": name, "seed": seed, "purpose": purpose} | result)
    args.report.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
