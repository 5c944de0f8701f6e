"""The scan-quality sets again, every evaluation researcher sending lm-evaluation-harness's MATH layout.

    python -m benchmarks.scan_harness_researchers  # after scan_quality; -> benchmarks/results/scan-harness-eval.json

The simulated researchers send benchmark items bare or with "Let's think step by step." or a
'####' answer line. lm-evaluation-harness's MATH task sends each item as "Problem: ...\\nAnswer:",
a layout the extraction model learnt to read as a request for reasoning. This copies each
dataset of ``benchmarks/scan_quality.py`` with the researchers' user messages rewritten into that
layout (their suffixes dropped; every other row as it was), scans it with the defaults and reports
the verdicts by role.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.scan_quality import SETS
from distillguard.scan.evaluate import evaluate
from distillguard.simulate.text import RESEARCH_SUFFIXES

LAYOUT = ("Problem: ", "\nAnswer:")  # lm_eval/tasks/hendrycks_math: doc_to_text "Problem: {{problem}}\nAnswer:"


def _rewrite(source: Path, target: Path) -> int:
    """Copy a v1 dataset, the evaluation researchers' user messages in the harness layout; returns how many."""
    if target.exists():
        shutil.rmtree(target)
    (target / "exchanges").mkdir(parents=True)
    for name in ("accounts.parquet", "labels.parquet", "simulation.json"):
        shutil.copy(source / name, target / name)
    con = duckdb.connect()
    con.execute(
        "create table researchers as select account_id from read_parquet(?) where role = 'eval_researcher'",
        [str(source / "labels.parquet")],
    )
    content = "m.content"
    for suffix in filter(None, RESEARCH_SUFFIXES):  # what the simulated researchers append
        content = f"replace({content}, '{suffix.replace(chr(39), chr(39) * 2)}', '')"
    head, tail = (part.replace("'", "''") for part in LAYOUT)
    rewritten = f"'{head}' || {content} || '{tail}'"
    con.execute(
        f"""
        copy (
          select * replace (
            case when account_id in (select account_id from researchers)
            then list_transform(messages, lambda m: struct_pack(
                role := m.role, content := case when m.role = 'user' then {rewritten} else m.content end))
            else messages end as messages)
          from read_parquet(?)
        ) to '{target / "exchanges" / "part-00000.parquet"}' (format parquet)
        """,
        [str(source / "exchanges" / "*.parquet")],
    )
    count = con.execute(
        "select count(*) from read_parquet(?) where account_id in (select account_id from researchers)",
        [str(target / "exchanges" / "*.parquet")],
    ).fetchone()
    return int(count[0]) if count else 0


def _verdicts_by_role(scan: Path, data: Path) -> dict[str, dict[str, int]]:
    rows = (
        duckdb.connect()
        .execute(
            f"""
        select l.role, a.verdict, count(*) from read_parquet('{scan / "accounts.parquet"}') a
        join read_parquet('{data / "labels.parquet"}') l using (account_id)
        where l.campaign_id is null and a.verdict in ('block', 'review') group by 1, 2 order by 1, 2
        """
        )
        .fetchall()
    )
    out: dict[str, dict[str, int]] = {}
    for role, verdict, count in rows:
        out.setdefault(str(role), {})[str(verdict)] = int(count)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("bench-data/scan-quality"))
    parser.add_argument("--out", type=Path, default=Path("bench-data/scan-harness"))
    parser.add_argument("--report", type=Path, default=Path("benchmarks/results/scan-harness-eval.json"))
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for purpose, _scenario, seed, name in SETS:
        source = args.dir / f"{name}-{seed}" / "data"
        if not (source / "simulation.json").exists():
            raise SystemExit(f"{source}: run python -m benchmarks.scan_quality first")
        folder = args.out / f"{name}-{seed}"
        rewritten = _rewrite(source, folder / "data")
        command = [sys.executable, "-m", "distillguard", "scan", str(folder / "data"), "--out", str(folder / "scan")]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        result = evaluate(folder / "scan", folder / "data")
        by_role = _verdicts_by_role(folder / "scan", folder / "data")
        attack = result["attack_accounts_flagged"]
        print(
            f"{name} (seed {seed}, {purpose}): {rewritten:,} researcher exchanges rewritten; "
            f"attack blocked {attack['count']}/{attack['of']}; legitimate block or review by role {by_role}"
        )
        results.append(
            {
                "set": name,
                "seed": seed,
                "purpose": purpose,
                "rewritten": rewritten,
                "legitimate_by_role_verdict": by_role,
            }
            | result
        )
    args.report.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
