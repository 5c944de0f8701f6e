"""Leave-families-out cross-validation over the training template families.

The held-out families of :mod:`heldout` are few and were written by the same hands as the
training ones; this second estimate holds out each training family in turn. The training
families of every signal family are dealt round-robin into ``folds`` folds; each fold's model
is trained without that fold's families (train split) and scored on their evaluation-split
examples, whose text comes from sources never trained on. Phrase-bank wrappers stay in every
fold's training set: they are the vocabulary, not a trick of their own.

False positives are counted on a development share of the *training* split's negatives (real
user prompts and hard negatives, ``DEV_SHARE`` by a stable hash), kept out of every fold's fit,
so that choices made with this estimate never touch the evaluation split's prompts, whose
false-positive rates the report gives for the shipped model. Hits are also counted with each
fold's threshold set at ``EQUAL_DEV_FPRS`` of the development prompts, so that versions whose
calibrated points land differently compare at equal false-positive rates.

The training families share the phrase banks' words, so once the model found nearly all of them
(cot 97% at a 0.2% development rate) this estimate stopped telling changes apart that moved the
held-out sets. :func:`leave_sets_out` is the estimate nearer to a fresh held-out set: the held-out
sets promoted into cot's training (``build.PROMOTED_SETS``, written as the held-out sets are, in
wordings and languages of their own) are each left out of cot's fit in turn and scored, the same
way, on their evaluation-split examples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from distillguard.signals.extraction import FAMILIES
from distillguard.signals.featurize import featurize
from training.build import PROMOTED_FAMILIES, PROMOTED_SETS, Example, train
from training.heldout import HELD_OUT_SET
from training.splits import in_eval_split
from training.templates import TEMPLATE_FAMILIES

DEV_SHARE: Final = 0.25
# Recall is also read at thresholds set on the development prompts themselves, at these false-positive
# rates: the calibrated point moves with a handful of prompts, so versions are compared at equal rates.
EQUAL_DEV_FPRS: Final = (0.001, 0.002, 0.003)


def is_development(example: Example) -> bool:
    """Whether ``example`` is a development negative: scored for false positives, never fitted."""
    negative = example.origin.startswith(("users:", "hard:"))
    return example.split == "train" and negative and in_eval_split(example.text + "#cv", DEV_SHARE)


def fold_of_families(folds: int) -> dict[str, int]:
    """Each training template family's fold: round-robin within its signal family."""
    seen: Counter[str] = Counter()
    fold: dict[str, int] = {}
    for template in TEMPLATE_FAMILIES:
        fold[template.name] = seen[template.family] % folds
        seen[template.family] += 1
    return fold


def cross_validate(examples: Sequence[Example], *, folds: int = 3) -> dict[str, Any]:
    """Per-family recall on left-out families; false positives on the development negatives."""
    fold_of = fold_of_families(folds)
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    by_template: dict[str, dict[str, int]] = {}
    false_positives: Counter[str] = Counter()
    hard_false_positives: Counter[str] = Counter()
    user_scores = 0
    at_rate: dict[str, Counter[float]] = {family: Counter() for family in FAMILIES}
    dev = [e for e in examples if is_development(e)]
    users = [e.text for e in dev if e.origin.startswith("users:")]
    hard = [e.text for e in dev if e.origin.startswith("hard:")]
    user_features, hard_features = featurize(users), featurize(hard)  # once: every fold scores the same ones
    for fold in range(folds):
        left_out = {name for name, f in fold_of.items() if f == fold}
        fit = [e for e in examples if e.split == "train" and e.origin not in left_out and not is_development(e)]
        model = train(fit)
        test = [e for e in examples if e.split == "eval" and e.origin in left_out]
        test_logits = model.logits([e.text for e in test])
        user_logits = model.sentence_tier(users, model.logits_of(user_features))
        fires = test_logits >= 0.0  # a score of 0.5 or more
        for column, family in enumerate(FAMILIES):
            mine = np.array([e.label == family for e in test], dtype=np.bool_)
            for rate in EQUAL_DEV_FPRS:
                threshold = np.quantile(user_logits[:, column], 1.0 - rate)
                at_rate[family][rate] += int(np.sum(test_logits[mine, column] > threshold))
        for example, row in zip(test, fires, strict=True):
            hit = int(row[FAMILIES.index(example.label)])
            hits[example.label] += hit
            totals[example.label] += 1
            counts = by_template.setdefault(example.origin, {"hits": 0, "total": 0})
            counts["hits"] += hit
            counts["total"] += 1
        user_fires = user_logits >= 0.0
        hard_fires = model.sentence_tier(hard, model.logits_of(hard_features)) >= 0.0  # a score of 0.5 or more
        for column, family in enumerate(FAMILIES):
            false_positives[family] += int(np.sum(user_fires[:, column]))
            hard_false_positives[family] += int(np.sum(hard_fires[:, column]))
        user_scores += len(users)
    return {
        "folds": folds,
        "families": {
            family: {
                "recall_left_out_templates": hits[family] / totals[family] if totals[family] else 0.0,
                "hits": hits[family],
                "total": totals[family],
                "fpr_real_users": false_positives[family] / user_scores if user_scores else 0.0,
                "fp_real_users": false_positives[family],
                "real_user_scores": user_scores,
                "fp_hard_negatives": hard_false_positives[family],
                "hard_negative_scores": len(hard) * folds,
                "hits_at_equal_dev_fpr": {f"{rate:.1%}": at_rate[family][rate] for rate in EQUAL_DEV_FPRS},
            }
            for family in FAMILIES
        },
        "templates": dict(sorted(by_template.items())),
    }


def leave_sets_out(examples: Sequence[Example], *, sets: Sequence[str] = PROMOTED_SETS) -> dict[str, Any]:
    """The recall of cot on each promoted held-out set, its model fitted without that set's examples.

    Each set in turn: its families' training examples (origin ``promoted:<family>``) are left out,
    cot alone is fitted on the rest of the training split less the development negatives (as in
    :func:`cross_validate`), and it scores the set's evaluation-split examples (sources never trained
    on) with the sentence tier, against its calibrated point (where the development real prompts it
    fires on are counted too) and against thresholds at ``EQUAL_DEV_FPRS`` of those prompts.
    """
    family = "cot_elicitation"
    column = FAMILIES.index(family)
    users = [e.text for e in examples if is_development(e) and e.origin.startswith("users:")]
    user_features = featurize(users)
    report: dict[str, dict[str, Any]] = {}
    for held_set in sets:
        names = {t.name for t in PROMOTED_FAMILIES if HELD_OUT_SET[t.name] == held_set}
        if not names:
            raise ValueError(f"{held_set} is not among the promoted sets {list(PROMOTED_SETS)}")
        left_out = {f"promoted:{name}" for name in names}
        fit = [e for e in examples if e.split == "train" and e.origin not in left_out and not is_development(e)]
        model = train(fit, families=(family,))
        test = [e.text for e in examples if e.split == "eval" and e.origin in names]
        logits = model.logits(test)[:, column]
        user_logits = model.sentence_tier(users, model.logits_of(user_features))[:, column]
        report[held_set] = {
            "hits": int(np.sum(logits >= 0.0)),  # a score of 0.5 or more
            "total": len(test),
            "fp_real_users": int(np.sum(user_logits >= 0.0)),
            "real_users": len(users),
            "hits_at_equal_dev_fpr": {
                f"{rate:.1%}": int(np.sum(logits > np.quantile(user_logits, 1.0 - rate))) for rate in EQUAL_DEV_FPRS
            },
        }
    at_rate = {
        f"{rate:.1%}": sum(r["hits_at_equal_dev_fpr"][f"{rate:.1%}"] for r in report.values())
        for rate in EQUAL_DEV_FPRS
    }
    return {
        "family": family,
        "hits": sum(r["hits"] for r in report.values()),
        "total": sum(r["total"] for r in report.values()),
        "fp_real_users": sum(r["fp_real_users"] for r in report.values()),
        "real_user_scores": sum(r["real_users"] for r in report.values()),
        "hits_at_equal_dev_fpr": at_rate,
        "sets": report,
    }
