"""``distillguard train-signals``: rebuild the shipped model and its evaluation report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from distillguard.signals.extraction import ExtractionModel
from distillguard.simulate.corpus import load_pools
from training.build import build_examples, evaluate, keyword_evaluation, train
from training.crossval import cross_validate, leave_sets_out


def train_and_evaluate(corpora: Path, model_path: Path, report_path: Path | None, seed: int = 13) -> dict[str, Any]:
    """Train on ``corpora``, save the model, and return (and optionally write) the evaluation.

    The evaluation has the shipped model on the held-out families of :mod:`heldout`, the
    keyword baseline on the same examples, leave-families-out cross-validation, and cot's recall on each
    promoted held-out set refitted without it.
    """
    pools = load_pools(corpora)
    examples = build_examples(pools, seed=seed)
    model = train(examples)
    model.save(model_path)
    shipped = ExtractionModel.load(model_path)
    report = {
        "model": str(model_path.name),
        "seed": seed,
        "sharegpt_prompts": len(pools.users.get("sharegpt", [])),
        "classifier": evaluate(examples, shipped.score),
        "keyword_baseline": keyword_evaluation(examples),
        "cross_validation": cross_validate(examples),
        "leave_sets_out": leave_sets_out(examples),
    }
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
