"""Watermarked and plain answers of the teacher (SmolLM2-135M-Instruct) to real prompts.

    nice python -m benchmarks.watermark_generate [--device cuda] [--texts 16] [--tokens 800]

Prompts: first turns of MT-Bench (LMSYS) and WizardLM's test set from ../shared/data, written
by people outside this project. Three arms on the same prompts: no watermark, ``kgw`` (h=2,
gamma 0.25, delta 2) and ``gumbel`` (h=2), sampled at temperature 0.7, top-p 0.9, through
:class:`~distillguard.watermark.processors.hf.WatermarkLogitsProcessor`. The end-of-turn token is
suppressed until ``--tokens`` (800; the unmarked arm 300) so every text reaches the longest
length measured (the model carries on past its natural end: a worst case for text quality, not
for the watermark). The keys
(benchmark keys, not secrets) and every text go to ``benchmarks/results/watermark_generations.json``,
which ``benchmarks.watermark_quality`` reads. Wall time and the processors' share of it are recorded.
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

from distillguard.watermark import generate_key, scheme_for
from distillguard.watermark.chat_model import ChatModel, smollm2_path
from distillguard.watermark.keys import key_to_json
from distillguard.watermark.processors.hf import WatermarkLogitsProcessor

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "data" / "corpora"
OUT = ROOT / "benchmarks" / "results" / "watermark_generations.json"
TEMPERATURE, TOP_P = 0.7, 0.9


def prompts(count: int) -> list[str]:
    """Real prompts asking for prose (MT-Bench writing/roleplay/humanities/stem, WizardLM), shortest first."""
    texts = []
    for line in (CORPORA / "users_mt_bench_questions.jsonl").open():
        item = json.loads(line)
        if item["category"] in {"writing", "roleplay", "humanities", "stem"}:
            texts.append(item["turns"][0])
    for line in (CORPORA / "sweep_wizardlm_testset.jsonl").open():
        item = json.loads(line)
        if item["Skill"] in {"Writting", "Writing", "Roleplay", "Philosophy", "History", "Sport", "Art"}:
            texts.append(item["Instruction"])
    rng = np.random.default_rng(30)
    chosen = [texts[i] for i in rng.permutation(len(texts))[:count]]
    return sorted(chosen, key=len)


class TimedProcessor(WatermarkLogitsProcessor):
    """The processor, with the time it spends recorded."""

    spent = 0.0

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        started = time.perf_counter()
        try:
            return super().__call__(input_ids, scores)
        finally:
            TimedProcessor.spent += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--texts", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=800)
    parser.add_argument("--plain-tokens", type=int, default=300, help="the unmarked arm (quality baseline)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    teacher = ChatModel.from_gguf(smollm2_path(), device=args.device, threads=args.threads)
    loaded = time.perf_counter() - started
    questions = prompts(args.texts)
    keys = {"kgw": generate_key("kgw"), "gumbel": generate_key("gumbel")}
    arms: dict[str, Any] = {}
    for arm in ("none", "kgw", "gumbel"):
        TimedProcessor.spent = 0.0
        arm_started = time.perf_counter()
        outputs: list[list[int]] = []
        for start in range(0, len(questions), args.batch):
            chunk = questions[start : start + args.batch]
            batch = [teacher.chat_prompt([{"role": "user", "content": q}]) for q in chunk]
            factory = None
            if arm != "none":
                scheme = scheme_for(keys[arm])

                def factory(scheme: Any = scheme) -> TimedProcessor:
                    return TimedProcessor(scheme, temperature=TEMPERATURE, top_p=TOP_P)

            length = args.plain_tokens if arm == "none" else args.tokens
            outputs += teacher.generate(
                batch,
                max_new_tokens=length,
                min_new_tokens=length,
                temperature=TEMPERATURE,
                top_p=TOP_P,
                processor=factory,
            )
            took = time.perf_counter() - arm_started
            print(f"{arm}: {len(outputs)}/{len(questions)} texts, {took:.0f} s", flush=True)
        wall = time.perf_counter() - arm_started
        tokens = sum(len(o) for o in outputs)
        arms[arm] = {
            "wall_s": wall,
            "tokens": tokens,
            "tokens_per_s": tokens / wall,
            "processor_s": TimedProcessor.spent,
            "texts": [
                {"prompt": q, "ids": o, "text": teacher.tokenizer.decode(o)}
                for q, o in zip(questions, outputs, strict=True)
            ],
        }
    result = {
        "machine": f"{platform.machine()}, {args.device}, {torch.get_num_threads()} torch thread(s), "
        f"python {platform.python_version()}",
        "model": teacher.name,
        "temperature": TEMPERATURE,
        "top_p": TOP_P,
        "tokens": args.tokens,
        "batch": args.batch,
        "load_s": loaded,
        "keys": {name: json.loads(key_to_json(key)) for name, key in keys.items()},
        "arms": arms,
    }
    OUT.write_text(json.dumps(result, ensure_ascii=False))
    for arm, data in arms.items():
        rate = f"{data['tokens_per_s']:.1f}/s, processor {data['processor_s']:.1f} s"
        print(f"{arm:>7}: {data['tokens']} tokens in {data['wall_s']:.0f} s ({rate})")


if __name__ == "__main__":
    main()
