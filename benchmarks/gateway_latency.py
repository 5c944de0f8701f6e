"""Latency the gateway adds, against calling the upstream directly and against a plain LiteLLM proxy.

Every server is its own process on loopback: the canned OpenAI-compatible upstream
(``distillguard.gateway.canned``, one uvicorn worker), ``distillguard serve`` in front of it
(memory state, default policy, the event log on, every prompt scored), optionally a LiteLLM
proxy (one worker) in front of the same upstream, and the open-loop load generator
(``benchmarks/loadgen.py``). Bodies are real user questions (Natural Questions) with
``max_tokens`` and ``temperature`` set. For each rate the direct run comes first, then each
proxy; "added" is the proxy's percentile minus the direct run's at the same rate.

    python benchmarks/gateway_latency.py --rates 200,500,1000 \
        --litellm /path/to/venv/bin/litellm --litellm-rates 20,50,200 [--guardrail]

``--guardrail`` adds a second LiteLLM proxy running the distillguard guardrail (its ``litellm``
environment must have distillguard installed, as ``.venv-litellm`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from distillguard.gateway.litellm_config import guardrail_section
from distillguard.gateway.loopback import free_port, stop, wait_for_port

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "data" / "corpora" / "users_nq_open_dev.jsonl"
KEY = "sk-bench-0123456789abcdef"
LITELLM_KEY = "sk-litellm-master-0123456789abcdef0123456789"

GATEWAY_CONFIG = """
schema_version = 1
keys_file = "keys.toml"
state = "memory://"
[event_log]
directory = "log"
format = "parquet"
[tiers.enterprise]
requests_per_minute = 10000000
tokens_per_minute = 10000000000
"""

KEYS = f"""
[[keys]]
id = "bench"
account_id = "acct-bench"
tier = "enterprise"
key = "{KEY}"
"""

LITELLM_CONFIG = """
model_list:
  - model_name: canned
    litellm_params:
      model: openai/canned
      api_base: http://127.0.0.1:{port}/v1
      api_key: none
general_settings:
  master_key: {key}
litellm_settings:
  telemetry: false
"""

GUARDRAIL_CONFIG = """
schema_version = 1
default_tier = "enterprise"
[event_log]
directory = "guardrail-log"
[tiers.enterprise]
requests_per_minute = 10000000
tokens_per_minute = 10000000000
"""


def bodies(path: Path, count: int = 2000) -> list[str]:
    if CORPUS.exists():
        questions = [json.loads(line)["question"] for line in CORPUS.read_text(encoding="utf-8").splitlines()[:count]]
    else:
        questions = [f"What is the population of city number {i}?" for i in range(count)]
    lines = [
        json.dumps(
            {
                "model": "canned",
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": q},
                ],
                "max_tokens": 256,
                "temperature": 0.7,
            }
        )
        for q in questions
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def load(url: str, rate: float, seconds: float, key: str, body_path: Path) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "loadgen.py"), "--url", url, "--rate", str(rate), "--seconds", str(seconds)]
    out = subprocess.run(
        [*command, "--key", key, "--bodies", str(body_path)], capture_output=True, text=True, check=True, timeout=600
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def start(command: list[str], port: int, processes: list[subprocess.Popen[Any]], **kwargs: Any) -> None:
    process = subprocess.Popen(command, **kwargs)
    processes.append(process)
    wait_for_port(port, process, timeout_s=120)


def start_servers(
    work: Path, litellm: Path | None, guardrail: bool, processes: list[subprocess.Popen[Any]]
) -> dict[str, tuple[str, str]]:
    """Upstream, gateway and (optionally) LiteLLM, plain and with the guardrail; each target's URL and key."""
    upstream = free_port()
    start([sys.executable, "-m", "distillguard.gateway.canned", "--port", str(upstream)], upstream, processes)
    (work / "keys.toml").write_text(KEYS)
    (work / "gateway.toml").write_text(GATEWAY_CONFIG)
    gateway = free_port()
    serve = [sys.executable, "-m", "distillguard", "serve", "--upstream", f"http://127.0.0.1:{upstream}"]
    start(
        [*serve, "--config", str(work / "gateway.toml"), "--port", str(gateway), "--log-level", "warning"],
        gateway,
        processes,
    )
    targets = {
        "direct": (f"http://127.0.0.1:{upstream}/v1/chat/completions", "none"),
        "distillguard": (f"http://127.0.0.1:{gateway}/v1/chat/completions", KEY),
    }
    if litellm is not None:
        (work / "guardrail.toml").write_text(GUARDRAIL_CONFIG)
        config = LITELLM_CONFIG.format(port=upstream, key=LITELLM_KEY)
        variants = {"litellm": config, "litellm+guardrail": config + guardrail_section(work / "guardrail.toml")}
        for name, text in variants.items():
            if name == "litellm+guardrail" and not guardrail:
                continue
            port = free_port()
            path = work / f"{name.replace('+', '-')}.yaml"
            path.write_text(text)
            env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
            command = [str(litellm), "--config", str(path), "--port", str(port), "--num_workers", "1"]
            start(command, port, processes, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            targets[name] = (f"http://127.0.0.1:{port}/v1/chat/completions", LITELLM_KEY)
    return targets


def table(runs: list[dict[str, Any]]) -> str:
    direct = {r["rate"]: r for r in runs if r["target"] == "direct"}
    lines = [
        "| target | rate (req/s) | achieved | p50 ms | p99 ms | added p50 ms | added p99 ms | errors or non-200 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        base = direct[run["rate"]]
        bad = run["errors"] + sum(v for k, v in run["statuses"].items() if k != "200")
        added = ["", ""]
        if run["target"] != "direct":
            added = [f"{run[q] - base[q]:.2f}" for q in ("p50_ms", "p99_ms")]
        lines.append(
            f"| {run['target']} | {run['rate']:.0f} | {run['achieved_rps']} | {run['p50_ms']:.2f} | "
            f"{run['p99_ms']:.2f} | {added[0]} | {added[1]} | {bad} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rates", default="200,500,1000")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--litellm", type=Path, default=None, help="The `litellm` command of a litellm[proxy] install")
    parser.add_argument("--litellm-rates", default="20,50,200")
    parser.add_argument("--guardrail", action="store_true", help="Also a LiteLLM proxy running the guardrail")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "gateway-bench.json")
    args = parser.parse_args()
    rates = {"direct": [float(r) for r in args.rates.split(",")], "litellm": []}
    rates["distillguard"] = rates["direct"]
    if args.litellm is not None:
        rates["litellm"] = [float(r) for r in args.litellm_rates.split(",")]
        rates["direct"] = sorted({*rates["direct"], *rates["litellm"]})
        rates["litellm+guardrail"] = rates["litellm"] if args.guardrail else []
    processes: list[subprocess.Popen[Any]] = []
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        body_path = work / "bodies.jsonl"
        bodies(body_path)
        try:
            targets = start_servers(work, args.litellm, args.guardrail, processes)
            for url, key in targets.values():  # warm every path once
                load(url, 50, 2, key, body_path)
            for rate in rates["direct"]:
                for name, (url, key) in targets.items():
                    if rate in rates[name]:
                        runs.append({"target": name, **load(url, rate, args.seconds, key, body_path)})
                        print(json.dumps(runs[-1]), flush=True)
        finally:
            for process in processes:
                stop(process, grace_s=30)
    print("\n" + table(runs))
    machine = f"{os.cpu_count()} vCPU, {cpu_name()}, Python {platform.python_version()}"
    result = {"machine": machine, "seconds_per_run": args.seconds, "runs": runs}
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
