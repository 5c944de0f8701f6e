"""``distillguard eval-published``: the shipped model and the keyword baseline on published tools' templates."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from distillguard.signals.detectors import FIRES_AT
from distillguard.signals.extraction import FAMILIES, MODEL_VERSION, builtin_model
from distillguard.signals.keyword_baseline import keyword_scores
from distillguard.simulate.corpus import load_pools
from training.published import (
    TEMPLATES,
    WHEELS,
    PublishedExample,
    application_prompts,
    fetch_all,
    published_examples,
)

Scorer = Callable[[Sequence[str]], npt.NDArray[np.float32]]
LEGITIMATE = "legitimate (evaluation harness)"


def evaluate_published(examples: Sequence[PublishedExample], scorer: Scorer) -> dict[str, Any]:
    """Per template and per family, how often the template's family and any family fire.

    Two views: the last user message alone (what the scan and the gateway score), and the user or
    the system message, each scored alone (what scoring system messages too would catch). A template
    of a legitimate tool (family ``None``) counts only the families that fire on it.
    """
    user = scorer([e.user for e in examples]) >= FIRES_AT
    has_system = np.array([bool(e.system) for e in examples], dtype=np.bool_)
    system = np.zeros_like(user)  # only the templates that have a system message score one
    if has_system.any():
        system[has_system] = scorer([e.system for e in examples if e.system]) >= FIRES_AT
    either = user | system
    column = {name: i for i, name in enumerate(FAMILIES)}
    templates: dict[str, dict[str, Any]] = {}
    for row, example in enumerate(examples):
        entry = templates.setdefault(
            example.key,
            {
                "family": example.family,
                "has_system": bool(has_system[row]),
                "total": 0,
                "hits_user": 0,
                "hits_either": 0,
                "any_user": 0,
                "any_either": 0,
                "fired_user": dict.fromkeys(FAMILIES, 0),
            },
        )
        entry["total"] += 1
        if example.family is not None:
            entry["hits_user"] += int(user[row, column[example.family]])
            entry["hits_either"] += int(either[row, column[example.family]])
        entry["any_user"] += int(user[row].any())
        entry["any_either"] += int(either[row].any())
        for name in FAMILIES:
            entry["fired_user"][name] += int(user[row, column[name]])
    families: dict[str, dict[str, int]] = {}
    for entry in templates.values():
        total = families.setdefault(
            entry["family"] or LEGITIMATE,
            {"templates": 0, "total": 0, "hits_user": 0, "hits_either": 0, "any_user": 0, "any_either": 0},
        )
        total["templates"] += 1
        for name in ("total", "hits_user", "hits_either", "any_user", "any_either"):
            total[name] += entry[name]
    return {"families": families, "templates": templates}


def evaluate_applications(prompts: dict[str, list[str]], scorer: Scorer) -> dict[str, dict[str, Any]]:
    """Per application, how many of its prompts (each scored alone, as a system message would be) fire."""
    out: dict[str, dict[str, Any]] = {}
    for package, texts in prompts.items():
        fires = scorer(texts) >= FIRES_AT
        out[package] = {
            "prompts": len(texts),
            "any": int(fires.any(axis=1).sum()),
            "fired": {name: int(fires[:, i].sum()) for i, name in enumerate(FAMILIES)},
        }
    return out


def run_published(
    corpora: Path, cache: Path, report_path: Path | None, *, per_template: int = 200, seed: int = 13
) -> dict[str, Any]:
    """Fetch the pinned wheels, fill their templates, score them and the applications' prompts.

    Returns (and optionally writes) the report.
    """
    pools = load_pools(corpora)
    wheels = fetch_all(cache)
    examples = published_examples(pools, wheels, per_template=per_template, seed=seed)
    applications = application_prompts(wheels)
    model = builtin_model()
    report = {
        "model": MODEL_VERSION,
        "seed": seed,
        "per_template": per_template,
        "wheels": {name: {"version": WHEELS[name].version, "sha256": WHEELS[name].sha256} for name in sorted(wheels)},
        "sources": {t.key: {"package": t.package, "user": f"{t.user.path} {t.user.pick}"} for t in TEMPLATES},
        "classifier": evaluate_published(examples, model.score),
        "keyword_baseline": evaluate_published(examples, keyword_scores),
        "applications": {
            "classifier": evaluate_applications(applications, model.score),
            "keyword_baseline": evaluate_applications(applications, keyword_scores),
        },
    }
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
