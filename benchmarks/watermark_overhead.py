"""What the watermark costs at sampling time, and how fast detection reads text.

    OMP_NUM_THREADS=1 nice python -m benchmarks.watermark_overhead [--model-steps 48]

1. Each processor alone, per call, on SmolLM2's vocabulary (49,152 logits), for one row and for
   a batch of 16: the transformers ``LogitsProcessor``, the llama-cpp-python callable and the
   vLLM per-request callable (the torch path it runs on a GPU server, here on the CPU).
2. SmolLM2-135M-Instruct's own generation speed through transformers with and without each
   processor (one sequence, 48 new tokens, best of three interleaved runs), so the overhead is
   stated against a real model on the same machine at the same moment.
3. Detection: tokens scored per second by ``detect_many`` (one core), and texts per second from
   raw text (tokenizing included).

Results go to ``benchmarks/results/watermark_overhead.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from distillguard.watermark import detect_many, generate_key, scheme_for
from distillguard.watermark.processors.hf import WatermarkLogitsProcessor
from distillguard.watermark.processors.llama_cpp import LlamaCppWatermark
from distillguard.watermark.processors.request import RequestWatermark
from distillguard.watermark.sampling import Watermarker
from distillguard.watermark.tokenizer import load_tokenizer

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "watermark_overhead.json"
VOCAB = 49_152


def _best_ms(call: Any, repeats: int = 40) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return 1000 * float(np.percentile(times, 25))


def processors_alone() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    out: dict[str, Any] = {}
    for scheme_name in ("kgw", "gumbel"):
        scheme = scheme_for(generate_key(scheme_name))
        for rows in (1, 16):
            logits = torch.from_numpy(rng.normal(0, 3, (rows, VOCAB)).astype(np.float32))
            ids = torch.from_numpy(rng.integers(0, VOCAB, (rows, 40)))
            hf = WatermarkLogitsProcessor(scheme, temperature=0.7, top_p=0.9)
            hf(ids[:, :20], logits)  # the prompt ends at 20
            out[f"transformers {scheme_name} x{rows}"] = _best_ms(lambda hf=hf, ids=ids, lg=logits: hf(ids, lg))
        row = rng.normal(0, 3, VOCAB).astype(np.single)
        cpp = LlamaCppWatermark(scheme, temperature=0.7, top_p=0.9)
        sequence = rng.integers(0, VOCAB, 60).astype(np.intc)
        cpp(sequence[:20], row)
        out[f"llama-cpp {scheme_name} x1"] = _best_ms(lambda cpp=cpp, s=sequence, r=row: cpp(s, r))
        request = RequestWatermark(Watermarker(scheme, temperature=0.7, top_p=0.9))
        tensor = torch.from_numpy(row)
        generated = [int(t) for t in sequence[:40]]
        out[f"vllm request {scheme_name} x1"] = _best_ms(lambda q=request, g=generated, t=tensor: q(g, t))
    return out


def with_model(steps: int) -> dict[str, Any]:
    from distillguard.watermark.chat_model import ChatModel, smollm2_path  # noqa: PLC0415

    model = ChatModel.from_gguf(smollm2_path(), threads=1)
    prompt = model.chat_prompt([{"role": "user", "content": "Describe the water cycle for a school class."}])
    schemes = {name: scheme_for(generate_key(name)) for name in ("kgw", "gumbel")}
    best: dict[str, float] = {}
    for _ in range(3):
        for arm in ("none", "kgw", "gumbel"):
            scheme = schemes.get(arm)

            def factory(scheme: Any = scheme) -> WatermarkLogitsProcessor:
                return WatermarkLogitsProcessor(scheme, temperature=0.7, top_p=0.9)

            started = time.perf_counter()
            model.generate(
                [prompt],
                max_new_tokens=steps,
                min_new_tokens=steps,
                processor=factory if scheme is not None else None,
            )
            rate = steps / (time.perf_counter() - started)
            best[arm] = max(best.get(arm, 0.0), rate)
    return {f"{arm} tokens/s": rate for arm, rate in best.items()}


def detection() -> dict[str, Any]:
    tokenizer = load_tokenizer()
    corpora = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
    gpt4 = [
        json.loads(line)["messages"][1]["content"]["answer"]
        for line in (corpora / "answers_arena_hard_v0.1_gpt-4-0314.jsonl").open()
    ]
    started = time.perf_counter()
    sequences = tokenizer.encode(gpt4)
    tokenize_s = time.perf_counter() - started
    tokens = sum(int(s.size) for s in sequences)
    out: dict[str, Any] = {"texts": len(gpt4), "tokens": tokens, "tokenize tokens/s": tokens / tokenize_s}
    for name in ("kgw", "gumbel", "vllm-gumbel"):
        scheme = scheme_for(generate_key(name))
        times = []
        for _ in range(3):
            started = time.perf_counter()
            detect_many(scheme, sequences)
            times.append(time.perf_counter() - started)
        out[f"{name} tokens/s"] = tokens / min(times)
        out[f"{name} texts/s with tokenizing"] = len(gpt4) / (min(times) + tokenize_s)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-steps", type=int, default=48)
    parser.add_argument("--skip-model", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    result: dict[str, Any] = {"machine": f"{platform.machine()}, 1 torch thread, python {platform.python_version()}"}
    result["processor ms per call"] = processors_alone()
    for label, ms in result["processor ms per call"].items():
        print(f"{label:>28}: {ms:7.2f} ms")
    result["detection"] = detection()
    for label, value in result["detection"].items():
        print(f"{label:>28}: {value:,.0f}")
    if not args.skip_model:
        result["generation"] = with_model(args.model_steps)
        for label, value in result["generation"].items():
            print(f"{label:>28}: {value:.2f}")
    OUT.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
