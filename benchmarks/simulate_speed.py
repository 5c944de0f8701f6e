"""Time the simulator on a preset: seconds, exchanges/s, peak memory, size on disk.

    python -m benchmarks.simulate_speed --scenario small
    python -m benchmarks.simulate_speed --scenario anthropic-2026

Runs ``distillguard simulate`` in a child process (so peak memory is its own maximum
resident set) into ``bench-data/simulate/NAME`` and prints one table row.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path("bench-data/simulate"))
    args = parser.parse_args()
    out = args.dir / args.scenario
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "distillguard", "simulate", "--scenario", args.scenario, "--seed", str(args.seed)]
    start = time.perf_counter()
    subprocess.run([*command, "--out", str(out)], check=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    manifest = json.loads((out / "simulation.json").read_text())
    exchanges = sum(g["exchanges"] for g in manifest["groups"])
    accounts = sum(g["accounts"] for g in manifest["groups"])
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    header = f"{'scenario':<16} {'accounts':>9} {'exchanges':>11} {'seconds':>8} {'exch/s':>9}"
    print(f"{header} {'peak RSS':>9} {'on disk':>8}")
    print(
        f"{args.scenario:<16} {accounts:>9,} {exchanges:>11,} {seconds:>8.1f} {exchanges / seconds:>9,.0f} "
        f"{peak / 2**30:>7.2f}GB {size / 2**30:>6.2f}GB"
    )


if __name__ == "__main__":
    main()
