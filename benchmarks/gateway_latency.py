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

The bursty profile, ``--burst-rates 1000 --burst 100``: the same mean rate, open loop, but
arriving in bursts of ``--burst`` simultaneous requests (100 every 0.1 s at 1,000 requests/s),
as clients pacing many connections send them; direct and gateway runs alike. ``--workers N``
runs the gateway with N processes, sharing state in a redis-server the benchmark starts.
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


def load(url: str, rate: float, seconds: float, key: str, body_path: Path, *, burst: int = 1) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "loadgen.py"), "--url", url, "--rate", str(rate), "--seconds", str(seconds)]
    command += ["--key", key, "--bodies", str(body_path), "--burst", str(burst)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
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
    work: Path, litellm: Path | None, guardrail: bool, processes: list[subprocess.Popen[Any]], workers: int = 1
) -> dict[str, tuple[str, str]]:
    """Upstream, gateway and (optionally) LiteLLM, plain and with the guardrail; each target's URL and key."""
    upstream = free_port()
    start([sys.executable, "-m", "distillguard.gateway.canned", "--port", str(upstream)], upstream, processes)
    (work / "keys.toml").write_text(KEYS)
    config = GATEWAY_CONFIG
    if workers > 1:  # several processes share their state in Redis
        redis = free_port()
        redis_command = ["redis-server", "--port", str(redis), "--bind", "127.0.0.1", "--save", "", "--dir", str(work)]
        start(redis_command, redis, processes, stdout=subprocess.DEVNULL)
        config = config.replace('state = "memory://"', f'state = "redis://127.0.0.1:{redis}/0"')
    (work / "gateway.toml").write_text(config)
    gateway = free_port()
    serve = [sys.executable, "-m", "distillguard", "serve", "--upstream", f"http://127.0.0.1:{upstream}"]
    options = ["--port", str(gateway), "--log-level", "warning", "--workers", str(workers)]
    start([*serve, "--config", str(work / "gateway.toml"), *options], gateway, processes)
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
    direct = {(r["rate"], r.get("burst", 1)): r for r in runs if r["target"] == "direct"}
    lines = [
        "| target | req/s | burst | achieved | p50 ms | p99 ms | added p50 ms | added p99 ms | errors or non-200 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        base = direct[(run["rate"], run.get("burst", 1))]
        bad = run["errors"] + sum(v for k, v in run["statuses"].items() if k != "200")
        added = ["", ""]
        if run["target"] != "direct":
            added = [f"{run[q] - base[q]:.2f}" for q in ("p50_ms", "p99_ms")]
        lines.append(
            f"| {run['target']} | {run['rate']:.0f} | {run.get('burst', 1)} | {run['achieved_rps']} | "
            f"{run['p50_ms']:.2f} | {run['p99_ms']:.2f} | {added[0]} | {added[1]} | {bad} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rates", default="200,500,1000")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--litellm", type=Path, default=None, help="The `litellm` command of a litellm[proxy] install")
    parser.add_argument("--litellm-rates", default="20,50,200")
    parser.add_argument("--guardrail", action="store_true", help="Also a LiteLLM proxy running the guardrail")
    parser.add_argument("--burst-rates", default="", help="Rates of the bursty profile (direct and gateway)")
    parser.add_argument("--burst", type=int, default=100, help="Simultaneous requests per burst")
    parser.add_argument("--workers", type=int, default=1, help="Gateway processes (more than one: Redis state)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "gateway-bench.json")
    args = parser.parse_args()
    burst_rates = [float(r) for r in args.burst_rates.split(",") if r]
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
            targets = start_servers(work, args.litellm, args.guardrail, processes, args.workers)
            for url, key in targets.values():  # warm every path once
                load(url, 50, 2, key, body_path)
            for rate in rates["direct"]:
                for name, (url, key) in targets.items():
                    if rate in rates[name]:
                        runs.append({"target": name, **load(url, rate, args.seconds, key, body_path)})
                        print(json.dumps(runs[-1]), flush=True)
            for rate in burst_rates:
                for name in ("direct", "distillguard"):
                    url, key = targets[name]
                    runs.append({"target": name, **load(url, rate, args.seconds, key, body_path, burst=args.burst)})
                    print(json.dumps(runs[-1]), flush=True)
        finally:
            for process in processes:
                stop(process, grace_s=30)
    print("\n" + table(runs))
    machine = f"{os.cpu_count()} vCPU, {cpu_name()}, Python {platform.python_version()}"
    result = {"machine": machine, "seconds_per_run": args.seconds, "gateway_workers": args.workers, "runs": runs}
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
