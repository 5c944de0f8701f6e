"""What the classifier's misses cost the scan: reasoning campaigns in wrappers it does not fire on.

    python -m benchmarks.scan_unseen_wrappers    # writes benchmarks/results/scan-unseen-eval.json

cot's recall on held-out template families is mostly all or nothing by wrapper
(``docs/signals.md``, "By wrapper"): a campaign whose wrapper the classifier misses sends prompts
none of which fire. This simulates ``benchmarks/scenarios/scan-unseen-cot.toml`` (reasoning
harvesting alone: one coordinated campaign, one spread over many payment methods with
camouflage and paraphrase, one as thin as scan-adversarial's evasive coercion campaign, and the
same with an address pool so large that hardly two requests share an address, beside
scan-adversarial's legitimate accounts) twice with the same seed:
once with the simulator's own reasoning wrappers, once with every held-out cot wrapper on which
the shipped model fired on 10% or less of its items (read from ``benchmarks/results/signals-eval.json``, which
lists the families still held out; those with slots other than ``{q}``, ``{a}`` and ``{b}`` left
out). Each is scanned with the defaults and evaluated; the campaigns' prompts are also scored, to
show how many fire. A dataset is simulated once per bank of wrappers (its folder is named by the
bank's hash) and kept under ``--dir``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import string
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import polars as pl

from distillguard.scan.evaluate import evaluate, format_evaluation
from distillguard.scan.rows import last_user_prompts
from distillguard.signals.detectors import FIRES_AT
from distillguard.signals.extraction import builtin_model
from distillguard.simulate.corpus import load_pools
from distillguard.simulate.generator import simulate
from distillguard.simulate.scenario import load_scenario
from distillguard.simulate.text import TextSource
from distillguard.simulate.wrappers import REASONING
from training.heldout import HELD_OUT_FAMILIES

SCENARIO: Final = "benchmarks/scenarios/scan-unseen-cot.toml"
SEED: Final = 21
MISSED_AT: Final = 0.10  # a wrapper is "missed" when cot fired on at most this share of its held-out items
SLOTS: Final = frozenset({"q", "a", "b"})  # what the simulator's reasoning wrappers are filled with
SCORED_PROMPTS: Final = 20_000  # campaign prompts scored directly, at most


def missed_wrappers(report: Path) -> tuple[list[str], list[str]]:
    """Held-out cot wrappers the report's model fired on for at most ``MISSED_AT`` of their items.

    Returns the usable wrappers and the names (``family#index``) of those left out for their slots.
    """
    templates = json.loads(report.read_text())["classifier"]["held_out_templates"]
    usable: list[str] = []
    left_out: list[str] = []
    for family in HELD_OUT_FAMILIES:
        if family.family != "cot_elicitation" or family.name not in templates:  # not cot, or promoted to training
            continue
        for index, counts in templates[family.name]["by_wrapper"].items():
            if counts["hits"] > MISSED_AT * counts["total"]:
                continue
            wrapper = family.wrappers[int(index)]
            slots = {name for _, name, _, _ in string.Formatter().parse(wrapper) if name is not None}
            if slots <= SLOTS:
                usable.append(wrapper)
            else:
                left_out.append(f"{family.name}#{index}")
    return usable, left_out


def campaign_firing(data: Path) -> dict[str, dict[str, int]]:
    """Per campaign: of its prompts (the last user message, at most ``SCORED_PROMPTS``), how many fire."""
    labels = pl.read_parquet(data / "labels.parquet").filter(pl.col("campaign_id").is_not_null())
    exchanges = pl.scan_parquet(data / "exchanges" / "*.parquet").select("account_id", "request_id", "messages")
    rows = (
        exchanges.join(labels.lazy().select("account_id", "campaign_id"), on="account_id").sort("request_id").collect()
    )
    model = builtin_model()
    cot = model.families.index("cot_elicitation")
    out: dict[str, dict[str, int]] = {}
    for campaign, group in rows.group_by("campaign_id", maintain_order=True):
        sample = group.head(SCORED_PROMPTS)
        scores = model.score(last_user_prompts(sample["messages"].to_arrow()))
        out[str(campaign[0])] = {
            "prompts": sample.height,
            "cot_fires": int((scores[:, cot] >= FIRES_AT).sum()),
            "any_family_fires": int((scores >= FIRES_AT).any(axis=1).sum()),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("bench-data/scan-unseen"))
    parser.add_argument("--corpora", type=Path, default=Path("../shared/data/corpora"))
    parser.add_argument("--signals-report", type=Path, default=Path("benchmarks/results/signals-eval.json"))
    parser.add_argument("--report", type=Path, default=Path("benchmarks/results/scan-unseen-eval.json"))
    args = parser.parse_args()
    missed, left_out = missed_wrappers(args.signals_report)
    scenario = load_scenario(SCENARIO)
    pools = load_pools(args.corpora)
    results: list[dict[str, Any]] = []
    for name, bank in (("simulator_wrappers", list(REASONING)), ("missed_held_out_wrappers", missed)):
        digest = hashlib.blake2b("\0".join(bank).encode(), digest_size=4).hexdigest()  # another bank, other data
        folder = args.dir / f"{name}-{SEED}-{digest}"
        if not (folder / "data" / "simulation.json").exists():
            simulate(scenario, SEED, TextSource(pools, reasoning=tuple(bank)), folder / "data")
        command = [sys.executable, "-m", "distillguard", "scan", str(folder / "data"), "--out", str(folder / "scan")]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        result = evaluate(folder / "scan", folder / "data")
        firing = campaign_firing(folder / "data")
        print(f"\n== {name}: {len(bank)} wrappers (seed {SEED}); campaign prompts firing {firing}")
        for line in format_evaluation(result):
            print(line)
        entry: dict[str, Any] = {"wrappers": name, "count": len(bank), "seed": SEED, "campaign_prompts": firing}
        if name == "missed_held_out_wrappers":
            entry["left_out_for_slots"] = left_out
        results.append(entry | result)
    args.report.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
