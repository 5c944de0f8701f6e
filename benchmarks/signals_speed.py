"""Extraction signals: prompts/s in batches on one core, and latency for a batch of one.

    OMP_NUM_THREADS=1 taskset -c 0 python -m benchmarks.signals_speed

Prompts are real text from ../shared/data (NQ, Arena-Hard, GSM8K, MT-bench, XSTest, and
wrapped sweep items), repeated to 100,000. Scores only (``ExtractionModel.score``) and the
full ``run_signals`` (scores, template keys, evidence for firing rows) are both timed.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from distillguard.signals import run_signals
from distillguard.signals.extraction import builtin_model

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "corpora"


def _prompts(n: int) -> list[str]:
    texts = [json.loads(line)["question"] for line in (CORPORA / "users_nq_open_dev.jsonl").open()]
    texts += [json.loads(line)["prompt"] for line in (CORPORA / "users_arena_hard_v0.1_questions.jsonl").open()]
    texts += [json.loads(line)["question"] for line in (CORPORA / "sweep_gsm8k_train.jsonl").open()]
    texts += [t for line in (CORPORA / "users_mt_bench_questions.jsonl").open() for t in json.loads(line)["turns"]]
    texts += [
        f"You are an expert data analyst. Solve the following task with complete and transparent reasoning.\n{t}"
        for t in texts[:2_000]
    ]
    rng = np.random.default_rng(3)
    return [texts[i] for i in rng.integers(0, len(texts), n)]


def main() -> None:
    model = builtin_model()
    prompts = _prompts(100_000)
    lengths = sorted(len(p) for p in prompts)
    print(
        f"machine: {platform.machine()}, python {platform.python_version()}; {len(prompts):,} prompts, "
        f"median {lengths[len(lengths) // 2]} chars, p90 {lengths[int(len(lengths) * 0.9)]} chars"
    )
    model.score(prompts[:1_000])  # warm up
    for label, run in (("scores only", model.score), ("run_signals", run_signals)):
        best = 0.0
        for _ in range(3):
            start = time.perf_counter()
            for i in range(0, len(prompts), 10_000):
                run(prompts[i : i + 10_000])
            best = max(best, len(prompts) / (time.perf_counter() - start))
        print(f"{label:<14} batches of 10,000: {best:>10,.0f} prompts/s")
    latencies = []
    for prompt in prompts[:3_000]:
        start = time.perf_counter()
        run_signals([prompt])
        latencies.append((time.perf_counter() - start) * 1_000)
    q = statistics.quantiles(latencies, n=100)
    print(f"batch of one (run_signals): p50 {q[49]:.3f} ms, p99 {q[98]:.3f} ms, max {max(latencies):.3f} ms")


if __name__ == "__main__":
    main()
