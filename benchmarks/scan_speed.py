"""Time the whole scan as the data grows: anthropic-2026 scaled down, then at full size.

    python -m benchmarks.scan_speed --scale 0.0625 --scale 0.25 --scale 1

Each scale multiplies every persona's and campaign's accounts (and campaign exchanges) of the
``anthropic-2026`` preset, so the mix of traffic stays the same. Datasets are simulated once
into ``bench-data/scan-speed/SCALE`` (seed 1; scale 1 reuses ``bench-data/simulate/anthropic-2026``
when it is there). ``distillguard scan`` then runs in a child process; peak memory is the
largest sum of resident sets over the scan and its worker processes, sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from distillguard.scan.evaluate import evaluate
from distillguard.simulate.scenario import load_scenario


def _scaled(scale: float) -> dict[str, Any]:
    data: dict[str, Any] = load_scenario("anthropic-2026").model_dump(mode="json", exclude_none=True)
    for persona in data["personas"]:
        persona["accounts"] = max(1, round(persona["accounts"] * scale))
    for campaign in data["campaigns"]:
        campaign["accounts"] = max(1, round(campaign["accounts"] * scale))
        campaign["exchanges"] = max(1, round(campaign["exchanges"] * scale))
    data["name"] = f"anthropic-2026-x{scale:g}"
    return data


def _dataset(scale: float, root: Path) -> Path:
    if scale == 1 and (Path("bench-data/simulate/anthropic-2026") / "simulation.json").exists():
        return Path("bench-data/simulate/anthropic-2026")
    folder = root / f"{scale:g}"
    if (folder / "data" / "simulation.json").exists():
        return folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    toml = folder / "scenario.toml"
    toml.write_text(_to_toml(_scaled(scale)))
    command = [sys.executable, "-m", "distillguard", "simulate", "--scenario", str(toml), "--seed", "1"]
    subprocess.run([*command, "--out", str(folder / "data")], check=True, stdout=subprocess.DEVNULL)
    return folder / "data"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)


def _to_toml(data: dict[str, Any]) -> str:
    lines = [f"{k} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict | list) or k == "models"]
    if "release" in data:
        lines += ["[release]", *[f"{k} = {_value(v)}" for k, v in data["release"].items()]]
    for table in ("personas", "campaigns"):
        for item in data.get(table, []):
            lines += [f"[[{table}]]", *[f"{k} = {_value(v)}" for k, v in item.items()]]
    return "\n".join(lines) + "\n"


def _tree_rss(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid, ppid = int(entry.name), int(fields.get("PPid", "0").strip())
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def _run(dataset: Path, out: Path) -> tuple[float, int]:
    command = [sys.executable, "-m", "distillguard", "scan", str(dataset), "--out", str(out)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    code = process.wait()
    sampler.join()
    if code:
        raise SystemExit(f"scan failed with exit code {code}")
    return time.perf_counter() - start, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, action="append", required=True)
    parser.add_argument("--dir", type=Path, default=Path("bench-data/scan-speed"))
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    print(
        f"{'scale':>6} {'exchanges':>11} {'accounts':>9} {'seconds':>8} {'exch/s':>8} {'peak RSS':>9}  "
        "stage / fingerprints / links / scores / results (s)   recall  FPR (flagged/legit)"
    )
    for scale in args.scale:
        dataset = _dataset(scale, args.dir)
        out = args.dir / f"{scale:g}" / "scan"
        seconds, peak = _run(dataset, out)
        summary = json.loads((out / "summary.json").read_text())
        s = summary["seconds"]
        stages = " / ".join(f"{s[k]:.1f}" for k in ("stage", "fingerprints", "links", "scores", "results"))
        quality = evaluate(out, dataset)
        recall = quality["attack_accounts_flagged"]
        fpr = quality["legitimate_accounts_flagged"]
        print(
            f"{scale:>6g} {summary['exchanges_accepted']:>11,} {summary['accounts']:>9,} {seconds:>8.1f} "
            f"{summary['exchanges_accepted'] / seconds:>8,.0f} {peak / 2**30:>7.2f}GB  {stages:<50} "
            f"{recall['rate']:.4f}  {fpr['count']}/{fpr['of']}"
        )


if __name__ == "__main__":
    main()
