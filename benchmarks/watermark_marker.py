"""The text-level marker: how often the teacher shows it when asked to, and how often text that never saw it does.

    nice python -m benchmarks.watermark_marker [--device cuda] [--texts 16]

SmolLM2-135M-Instruct answers real prompts (MT-Bench and WizardLM, as ``watermark_generate``) at
its natural length (up to 200 tokens, temperature 0.7, top-p 0.9) twice: with the gateway's
``follow-up-question`` instruction (added by the gateway's own ``inject_instruction``) and without.
The base rate of the behaviour is measured on answers that never saw the instruction: the teacher's
own, GPT-4's Arena-Hard answers and ChatGPT's ShareGPT answers (written outside this project).
Each marked set is tested against each base rate with ``marker_p_value``. Results go to
``benchmarks/results/watermark_marker.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

from benchmarks.watermark_fpr import CORPORA, sharegpt
from benchmarks.watermark_generate import prompts
from distillguard.gateway.watermark import inject_instruction
from distillguard.watermark.chat_model import ChatModel, smollm2_path
from distillguard.watermark.marker import marker_p_value, shows_marker

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "watermark_marker.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--texts", type=int, default=16)
    args = parser.parse_args()
    teacher = ChatModel.from_gguf(smollm2_path(), device=args.device, threads=1)
    questions = prompts(args.texts)
    answers: dict[str, list[str]] = {}
    started = time.perf_counter()
    for arm in ("instructed", "plain"):
        batch = []
        for question in questions:
            body: dict[str, Any] = {"messages": [{"role": "user", "content": question}]}
            if arm == "instructed":
                inject_instruction(body, "follow-up-question")
            batch.append(teacher.chat_prompt(body["messages"]))
        ids = []
        for start in range(0, len(batch), 16):
            ids += teacher.generate(batch[start : start + 16], max_new_tokens=200, temperature=0.7, top_p=0.9)
        answers[arm] = [teacher.tokenizer.decode(row) for row in ids]
        print(arm, f"{time.perf_counter() - started:.0f} s", flush=True)
    gpt4 = [
        json.loads(line)["messages"][1]["content"]["answer"]
        for line in (CORPORA / "answers_arena_hard_v0.1_gpt-4-0314.jsonl").open()
    ]
    _, chatgpt = sharegpt(6_000)
    references = {"teacher without the instruction": answers["plain"], "GPT-4 (Arena-Hard)": gpt4}
    references["ChatGPT (ShareGPT)"] = chatgpt
    rates = {name: float(shows_marker(texts).mean()) for name, texts in references.items()}
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {args.device}",
        "texts": len(questions),
        "marked_rate": float(shows_marker(answers["instructed"]).mean()),
        "base_rates": rates,
        "reference_sizes": {name: len(texts) for name, texts in references.items()},
        "tests": {},
        "examples": [text[-200:] for text in answers["instructed"][:3]],
    }
    for name, rate in rates.items():
        shown, total, p_value = marker_p_value(answers["instructed"], max(rate, 1 / (2 * len(references[name]))))
        result["tests"][name] = {"shown": shown, "texts": total, "p_value": p_value}
    print(json.dumps(result, indent=1, ensure_ascii=False))
    OUT.write_text(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
