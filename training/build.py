"""Build labelled examples from real text and team wrappers, train, calibrate, evaluate.

Honest by construction: whole text sources and whole template families are kept out of
training (``EVAL_*`` below and the families of :mod:`heldout`), and false-positive rates are
measured on real user prompts from sources or splits the model never saw.
"""

from __future__ import annotations

import importlib.util
import random
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_class_weight

from distillguard.signals.extraction import FAMILIES, ExtractionModel
from distillguard.signals.featurize import N_COLUMNS, featurize
from distillguard.signals.keyword_baseline import keyword_scores
from distillguard.signals.static_embedding import WINDOWS
from distillguard.simulate.corpus import Item, Pools
from training.cot_asks import ASKS as COT_ASKS
from training.cot_asks import LANGUAGE_ASKS as COT_LANGUAGE_ASKS
from training.extension import fit_with_offset, new_columns
from training.harness import HARNESS
from training.heldout import HELD_OUT_FAMILIES, HELD_OUT_SET
from training.languages import benign_request, benign_twin, language_wrapper
from training.multilingual import held_out, origin_of
from training.phrases import composed_wrapper
from training.splits import in_eval_split
from training.templates import TEMPLATE_FAMILIES, TemplateFamily
from training.tutoring import REASONING_HELP, TUTORING

TRAIN_ITEMS: Final = ("gsm8k", "mbpp", "alpaca", "self_instruct")
EVAL_ITEMS: Final = ("math", "wizardlm", "humaneval", "arena_answers")
TRAIN_TOOLS: Final = "bfcl_simple"
EVAL_TOOLS: Final = "bfcl_multiple"
SPLIT_USERS: Final = ("sharegpt", "nq", "hh_rlhf")  # 70% train, 30% evaluation, by hash of the text
EVAL_ONLY_USERS: Final = ("arena_hard", "xstest_safe", "mt_bench")
TARGET_VALIDATION_FPR: Final = 0.0015  # under a third of the 0.5% target: unseen sources fire more
# Real prompts in other languages (training/multilingual.py) are calibrated as a group of their own: each family's
# offset is also at least the ``1 - MULTILINGUAL_VALIDATION_FPR`` quantile of their logits, so that no language is
# calibrated on English alone (the target for every language is 1%, twice the English one).
MULTILINGUAL_VALIDATION_FPR: Final = 2 * TARGET_VALIDATION_FPR
# They weigh this many times a real English prompt in each family's fit: a few hundred prompts against thousands of
# positives in their languages, they are what teaches the model that a language's words are no evidence.
MULTILINGUAL_WEIGHT_FACTOR: Final = 8.0
MULTILINGUAL_ORIGIN: Final = "users:multilingual:"
MAX_ANSWER_CHARS: Final = 1_500
COMPOSED_PER_FAMILY: Final = 4  # phrase-bank wrappers per family, in multiples of per_family
# Wrappers in other languages (languages.py) per family, in multiples of per_family, and benign requests
# in those languages as hard negatives, in multiples of per_family per split. The wrappers carry items cut
# to LANGUAGE_ITEM_CHARS: with whole items (up to 1,500 characters) the few examples of each language's
# asks were fitted on the items' English words, and recall on left-out English rubric families fell from
# 84.3% to 73.7% at a 0.2% development false-positive rate (cut: 83.0%; 82.9% vs 75.2% with seed 14).
LANGUAGE_PER_FAMILY: Final = 1
BENIGN_LANGUAGE_SHARE: Final = 2
# The benign twins of the language wrappers (languages.benign_twin: the same layouts, labels and language, a plain
# request where the ask would be) a family and split, in multiples of per_family (the evaluation split half that),
# as hard negatives of every family: the words that make a language are not what makes a prompt an attack.
TWIN_SHARE: Final = 1
TWIN_ORIGIN: Final = "hard:language_twin"
LANGUAGE_ITEM_CHARS: Final = 150
TUTORING_SHARE: Final = 1  # students' requests for help (tutoring.py) a split, in multiples of per_family
# Evaluation harnesses' zero-shot layouts (harness.py) a split, likewise; negatives for cot's fit alone
# (ONLY_FOR). Leave-families-out cross-validation (seeds 13 and 14) left cot's recall at a 0.2%
# development false-positive rate at 1893 / 1875 of 2100 with 300 a split (without: 1862 / 1890); the sweep
# family, whose minimal wrappers are harness layouts, lost 34 / 25 when it fitted them too. Held out, cot fell
# 79.6% -> 75.3%: kept for the researchers the scan no longer reviews or blocks (docs/signals.md, items 15-16).
HARNESS_SHARE: Final = 0.5
# cot examples composed with cot_asks.ASKS (training split only), in multiples of per_family; in cot's fit alone.
# Cross-validation, cot at a 0.2% development false-positive rate of 2100: without them 1893 / 1875 (seeds 13 /
# 14); 1, 2, 3 and 6 times per_family 1989 / 1996 / 1993 / 2003 (seed 13), 1985 with 1 and 3 (seed 14).
ASKS_SHARE: Final = 3
# Students asking about their own reasoning (tutoring.REASONING_HELP) a split, in multiples of per_family; in
# cot's fit alone. With the asks alone cot fired on 14.8% of the simulated students' prompts on the scan's tuning
# set (10.1% before them) and the scan's review doubled; with these, 0.5% (cross-validation 1991 at 0.2%).
REASONING_HELP_SHARE: Final = 0.5
# Held-out sets promoted into cot's training once looked at many times (all six hold cot families only):
# their wrappers with the training split's items, PROMOTED_SHARE times per_family examples from a generator of
# their own, in cot's fit alone (ONLY_FOR). Their evaluation examples are still drawn, so that no other
# held-out example moves, and are reported as seen families on unseen text. Chosen by cross-validation, cot at
# a 0.2% development false-positive rate of 2100: sets 6-8, 1 and 3 times per_family 2022 and 2030 (seed 13;
# the twelfth version 1991), 3 times 2047 (seed 14; 1981); sets 6-11, 3 and 6 times 2039 and 2033 (seed 13),
# 3 times 2056 (seed 14) (docs/signals.md, items 24-26).
PROMOTED_SETS: Final = ("set-6", "set-7", "set-8", "set-9", "set-10", "set-11")
PROMOTED_SHARE: Final = 3
# cot examples composed with cot_asks.LANGUAGE_ASKS in the twelve languages' cot layouts (items cut as the other
# languages' are), in multiples of per_family, fitted by cot's extension alone (EXTENSION). Fitted among cot's
# examples they found 1,087 rather than 524 of 2,010 left-out asks of the twelve languages but cost 200 of 9,000
# promoted held-out examples; as the extension 725, with the promoted sets as before (docs/signals.md, item 31).
LANGUAGE_ASKS_SHARE: Final = 1
PROMOTED_FAMILIES: Final = tuple(t for t in HELD_OUT_FAMILIES if HELD_OUT_SET[t.name] in PROMOTED_SETS)
PROMOTED: Final = frozenset(t.name for t in PROMOTED_FAMILIES)
# Examples that only some families' fits see: the others give them no weight, so their fits do not move. Keyed by
# origin, or by the origin's kind before its last colon ("promoted:<family>" is a "promoted" example).
ONLY_FOR: Final[dict[str, tuple[str, ...]]] = {
    "promoted": ("cot_elicitation",),
    "hard:harness": ("cot_elicitation",),
    "asks": ("cot_elicitation",),
    "hard:reasoning_help": ("cot_elicitation",),
    "language_asks": ("cot_elicitation",),
}
# Examples fitted only as a family's extension (extension.py): the family's own fit gives them no weight; then the
# columns only they use are fitted over its logit, so that no prompt without one of those columns scores otherwise.
EXTENSION: Final[dict[str, tuple[str, ...]]] = {"cot_elicitation": ("language_asks",)}
# The bias of a family that a training run was asked not to fit (``train(families=...)``): it never fires.
UNFITTED_BIAS: Final = -30.0


def only_for_key(origin: str) -> str | None:
    """The key of :data:`ONLY_FOR` that covers ``origin`` (itself, or its kind before its last colon), or None."""
    return next((key for key in (origin, origin.rpartition(":")[0]) if key in ONLY_FOR), None)


# Negatives (real user prompts and hard negatives) weigh this many wrapped positives in the fit:
# the false positives that matter are theirs. Weighting real prompts alone made the model fire on
# hard negatives ("Let's think step by step") and put students under review in the scan. Chosen
# with C and the validation target by leave-families-out cross-validation (crossval.py).
NEGATIVE_WEIGHT: Final = 48.0
WEIGHTED_ORIGINS: Final = ("users:", "hard:")
REGULARISATION_C: Final = 3.0  # chosen by leave-families-out cross-validation (crossval.py), not on heldout.py
# Weights smaller than this are stored as 0: most of the model's 2^20 rows are n-grams of items seen once,
# whose weights are tiny, and zeros compress. At 3e-4 the file shrinks from 6.3 to 4.0 MB; on 11,630
# training-split prompts no logit moved by more than 0.034 and no prompt changed side of the operating point.
WEIGHT_FLOOR: Final = 3e-4


@dataclass(frozen=True)
class FitSettings:
    """A family's logistic regression: its ``C`` and the weight of a negative against a wrapped positive.

    ``hard_negative_weight`` weighs the hard negatives apart from the real user prompts (as
    ``negative_weight`` when None).
    """

    c: float = REGULARISATION_C
    negative_weight: float = NEGATIVE_WEIGHT
    hard_negative_weight: float | None = None


# Families fitted otherwise than the default, chosen by leave-families-out cross-validation at a 0.2%
# development false-positive rate (seeds 13 and 14; docs/signals.md): heavier negatives and, for cot, a
# stronger penalty keep the weights on the asks that real prompts never use. cot's hard negatives weigh apart
# from its real prompts since six held-out sets were promoted (PROMOTED_SETS): of 450, 600 and 900, the
# heaviest that kept cot at a 0.2% development false-positive rate at or over the thirteenth version's 2030 of
# 2100 (seed 13: 2036, 2028, 2026; seed 14: 450 gave 2049; docs/signals.md, item 26); then its real prompts,
# of 200, 300 and 400: 2028, 2036 and 2040 (seed 13), 400 gave 2054 (seed 14; item 29).
FAMILY_FIT: Final[dict[str, FitSettings]] = {
    "cot_elicitation": FitSettings(c=0.3, negative_weight=400.0, hard_negative_weight=450.0),
    "rubric_grading": FitSettings(negative_weight=600.0),
}
# Families whose model also reads the static embeddings of the opening and closing words. Chosen by
# leave-families-out cross-validation at a 0.2% development false-positive rate (seeds 13 and 14): rubric
# 82.1/82.6% -> 85.7/87.2%, sweep 72.6/74.4% -> 92.1/92.6%; for every family, cot fell 80.1 -> 77.4-77.9%
# and coercion 92.2 -> 87.7-90.4% (its asks in twelve languages, which the English table reads poorly).
EMBEDDING_FAMILIES: Final = ("rubric_grading", "task_sweep")
# Families whose model also reads the ends n-grams (featurize.py). Chosen by leave-families-out
# cross-validation at a 0.2% development false-positive rate (seeds 13 and 14; docs/signals.md): cot
# 1768/1756 -> 1846/1872 of 2100, rubric 1581/1582 -> 1696/1688 of 1800; coercion, censorship and sweep
# lost with them.
ENDS_FAMILIES: Final = ("cot_elicitation", "rubric_grading")
# Families re-scored sentence by sentence (extraction.ExtractionModel.sentence_tier), the penalty on a sentence's
# logit, and the share of held-back real prompts whose own logit makes them candidates. Chosen by leave-families-out
# cross-validation at 0.1/0.2/0.3% development false-positive rates (docs/signals.md): cot 1804/1845/1876 ->
# 1842/1869/1892 of 2100 (seed 13), 1777/1860/1884 -> 1818/1887/1903 (seed 14); candidates 2% and 5%: 1849/1876/1899
# and 1852/1879/1902 (seed 13), but 15% and 28% of the speed benchmark's prompts re-scored rather than 7.5%, which
# put the full path under its 20,000 prompts/s target at 5%; penalty 2 and every prompt re-scored: 1845/1883/1901
# (seed 13), 0 and 1: 1752/1778/1847 and 1828/1852/1876.
SENTENCE_FAMILIES: Final = ("cot_elicitation",)
SENTENCE_PENALTY: Final = 3.0
SENTENCE_CANDIDATE_SHARE: Final = 0.01
NEGATIVE = "negative"
LANGUAGE_ID_CHARS: Final = 500
MIN_LANGUAGE_PROMPTS: Final = 10


@dataclass(frozen=True)
class Example:
    """One labelled prompt: its family (or ``negative``), its split and its origin."""

    text: str
    label: str
    split: str  # "train" or "eval"
    origin: str  # template family name, or source of a negative
    wrapper: int = -1  # which of a held-out family's wrappers it is in (one a language in some families); else -1


def _fill(wrapper: str, slots: dict[str, str]) -> str:
    return wrapper.format_map(slots)


class _Filler:
    """Draws slot values for one split from that split's sources only."""

    def __init__(self, pools: Pools, split: str, rng: random.Random) -> None:
        self.rng = rng
        names = TRAIN_ITEMS if split == "train" else EVAL_ITEMS
        self.items: list[Item] = [item for name in names for item in pools.items[name]]
        self.answers = [i.answer[:MAX_ANSWER_CHARS] for i in self.items if i.answer]
        self.censored = [
            i.question for i in pools.items["deccp_censored"] if in_eval_split(i.question, 0.4) == (split == "eval")
        ]
        self.tools = pools.tools[TRAIN_TOOLS if split == "train" else EVAL_TOOLS]

    def slots(self, family: str) -> dict[str, str]:
        item = self.rng.choice(self.items)
        answer = item.answer[:MAX_ANSWER_CHARS] if item.answer else self.rng.choice(self.answers)
        question = item.question
        tools = ""
        if family == "censorship_rewrite":
            question = self.rng.choice(self.censored)
        if family == "tool_trajectory":
            question, tools = self.rng.choice(self.tools)
        return {
            "q": question,
            "a": answer,
            "b": self.rng.choice(self.answers),
            "tools": tools,
            "n": str(self.rng.randint(1, 99_999)),
        }


def eval_slots(pools: Pools, rng: random.Random, family: str = "") -> Callable[[], dict[str, str]]:
    """Draws of slot values for ``family`` from the evaluation split's text sources only (for sets built elsewhere)."""
    filler = _Filler(pools, "eval", rng)
    return lambda: filler.slots(family)


def _constant(value: str) -> Callable[[], str]:
    return lambda: value


def _judge_examples(pools: Pools, filler: _Filler, split: str, count: int) -> list[Example]:
    """MT-bench's real judge templates (even ones train, odd ones evaluation) as rubric positives."""
    judges = [j for i, j in enumerate(pools.judge_prompts) if (i % 2 == 1) == (split == "eval")]
    out = []
    for _ in range(count):
        judge = filler.rng.choice(judges)
        slots = filler.slots("rubric_grading")
        values: defaultdict[str, str] = defaultdict(_constant(slots["a"]), question=slots["q"], question_1=slots["q"])
        text = judge["system_prompt"] + "\n\n" + judge["prompt_template"].format_map(values)
        out.append(Example(text, "rubric_grading", split, "mt_bench_judge_templates"))
    return out


HARD_NEGATIVES: Final[tuple[tuple[str, Callable[[dict[str, str]], str]], ...]] = (
    ("raw_item", lambda s: s["q"]),
    ("think_step_by_step", lambda s: s["q"] + "\nLet's think step by step."),
    ("solve_step_by_step", lambda s: "Solve this step by step and explain your answer: " + s["q"]),
    ("polite_rewrite", lambda s: "Please rewrite the following text to sound more polite:\n" + s["a"]),
    ("translate", lambda s: "Translate into Chinese: " + s["q"]),
    ("check_my_answer", lambda s: f"Is my answer right? Question: {s['q']}\nMy answer: {s['a']}"),
)


def _positives(fillers: dict[str, _Filler], rng: random.Random, per_family: int) -> list[Example]:
    examples: list[Example] = []
    for template in TEMPLATE_FAMILIES:
        for split in ("train", "eval"):
            for _ in range(per_family if split == "train" else per_family // 2):
                text = _fill(rng.choice(template.wrappers), fillers[split].slots(template.family))
                examples.append(Example(text, template.family, split, template.name))
    for family in FAMILIES:
        for _ in range(per_family * COMPOSED_PER_FAMILY):
            text = _fill(composed_wrapper(family, rng), fillers["train"].slots(family))
            examples.append(Example(text, family, "train", "composed"))
    for family in FAMILIES:
        for _ in range(per_family * LANGUAGE_PER_FAMILY):
            slots = fillers["train"].slots(family)
            slots |= {k: slots[k][:LANGUAGE_ITEM_CHARS] for k in ("q", "a", "b")}
            examples.append(Example(_fill(language_wrapper(family, rng), slots), family, "train", "languages"))
    return examples


def _held_out_positives(pools: Pools, per_family: int, seed: int) -> list[Example]:
    """The held-out families' examples, drawn from a generator of their own.

    Adding a held-out set therefore changes no training example: the model a set measures
    is the one trained before the set existed.
    """
    rng = random.Random(f"held-out-{seed}")
    filler = _Filler(pools, "eval", rng)
    examples = []
    for t in HELD_OUT_FAMILIES:
        for _ in range(per_family // 2):
            index = rng.randrange(len(t.wrappers))  # the draw rng.choice makes, keeping which wrapper it was
            text = _fill(t.wrappers[index], filler.slots(t.family))
            examples.append(Example(text, t.family, "eval", t.name, index))
    return examples


def _hard_negatives(filler: _Filler, split: str, per_family: int) -> list[Example]:
    examples = [
        Example(make(filler.slots("task_sweep")), NEGATIVE, split, f"hard:{name}")
        for name, make in HARD_NEGATIVES
        for _ in range(per_family)
    ]
    examples += [Example(q, NEGATIVE, split, "hard:deccp_censored_plain") for q in filler.censored]
    examples += [Example(u, NEGATIVE, split, "hard:bfcl_request_without_tools") for u, _ in filler.tools[:per_family]]
    examples += [
        Example(_fill(benign_request(filler.rng), filler.slots("task_sweep")), NEGATIVE, split, "hard:other_language")
        for _ in range(per_family * BENIGN_LANGUAGE_SHARE)
    ]
    return examples


def _worded_negatives(
    pools: Pools, wordings: dict[str, tuple[str, ...]], count: int, generator: str, origin: str
) -> list[Example]:
    """``count`` negatives a split, each an item in one of that split's wordings, from a generator of their own.

    The generator's name fixes the draw a shipped model was trained on, and no other example moves with it.
    """
    rng = random.Random(generator)
    examples = []
    for split in ("train", "eval"):
        filler = _Filler(pools, split, rng)
        for _ in range(count):
            text = _fill(rng.choice(wordings[split]), filler.slots("task_sweep"))
            examples.append(Example(text, NEGATIVE, split, origin))
    return examples


def _asked_positives(pools: Pools, count: int, generator: str) -> list[Example]:
    """``count`` training-split cot examples composed with :data:`cot_asks.ASKS`, from a generator of their own."""
    rng = random.Random(generator)
    filler = _Filler(pools, "train", rng)
    family = "cot_elicitation"
    return [
        Example(_fill(composed_wrapper(family, rng, COT_ASKS), filler.slots(family)), family, "train", "asks")
        for _ in range(count)
    ]


def _language_asked_positives(pools: Pools, count: int, generator: str) -> list[Example]:
    """``count`` training-split cot examples with :data:`cot_asks.LANGUAGE_ASKS`, from a generator of their own."""
    rng = random.Random(generator)
    filler = _Filler(pools, "train", rng)
    family = "cot_elicitation"
    examples = []
    for _ in range(count):
        wrapper = language_wrapper(family, rng, COT_LANGUAGE_ASKS)
        slots = filler.slots(family)
        slots |= {k: slots[k][:LANGUAGE_ITEM_CHARS] for k in ("q", "a", "b")}
        examples.append(Example(_fill(wrapper, slots), family, "train", "language_asks"))
    return examples


def _twin_negatives(pools: Pools, count: int, generator: str) -> list[Example]:
    """``count`` benign twins a family (half that in the evaluation split), from a generator of their own."""
    rng = random.Random(generator)
    examples = []
    for split in ("train", "eval"):
        filler = _Filler(pools, split, rng)
        for family in FAMILIES:
            for _ in range(count if split == "train" else count // 2):
                slots = filler.slots(family)
                slots |= {k: slots[k][:LANGUAGE_ITEM_CHARS] for k in ("q", "a", "b")}
                examples.append(Example(_fill(benign_twin(family, rng), slots), NEGATIVE, split, TWIN_ORIGIN))
    return examples


def _promoted_positives(pools: Pools, count: int, generator: str) -> list[Example]:
    """``count`` training-split examples in the wrappers of :data:`PROMOTED_FAMILIES`, from a generator of their own.

    Each example's origin is ``promoted:`` and its family's name, so that one set can be left out of a fit
    (:func:`crossval.leave_sets_out`).
    """
    rng = random.Random(generator)
    filler = _Filler(pools, "train", rng)
    examples = []
    for _ in range(count):
        template = rng.choice(PROMOTED_FAMILIES)
        text = _fill(rng.choice(template.wrappers), filler.slots(template.family))
        examples.append(Example(text, template.family, "train", f"promoted:{template.name}"))
    return examples


def _user_prompts(pools: Pools) -> list[Example]:
    examples = [
        Example(text, NEGATIVE, "eval" if in_eval_split(text) else "train", f"users:{source}")
        for source in SPLIT_USERS
        for text in pools.users.get(source, [])
    ]
    examples += [
        Example(t, NEGATIVE, "eval", f"users:{source}") for source in EVAL_ONLY_USERS for t in pools.users[source]
    ]
    examples += [
        Example(p.text, NEGATIVE, "eval" if held_out(p) else "train", origin_of(p)) for p in pools.multilingual
    ]
    return examples


def build_examples(pools: Pools, *, per_family: int = 600, seed: int = 13) -> list[Example]:
    """Every labelled example, train and evaluation, deterministically for ``seed``."""
    rng = random.Random(seed)
    fillers = {split: _Filler(pools, split, rng) for split in ("train", "eval")}
    examples = _positives(fillers, rng, per_family)
    for split in ("train", "eval"):
        examples += _judge_examples(pools, fillers[split], split, per_family if split == "train" else per_family // 2)
        examples += _hard_negatives(fillers[split], split, per_family)
    examples += [Example(i.question, NEGATIVE, "train", "hard:deccp_control") for i in pools.items["deccp_control"]]
    # each from a generator of its own: students' requests for help, items in evaluation harnesses' layouts,
    # cot's extra asks, students asking about their own reasoning
    examples += _worded_negatives(pools, TUTORING, per_family * TUTORING_SHARE, f"everyday-{seed}", "hard:tutoring")
    examples += _worded_negatives(pools, HARNESS, int(per_family * HARNESS_SHARE), f"harness-{seed}", "hard:harness")
    examples += _asked_positives(pools, per_family * ASKS_SHARE, f"asks-{seed}")
    examples += _promoted_positives(pools, per_family * PROMOTED_SHARE, f"promoted-{seed}")
    examples += _language_asked_positives(pools, per_family * LANGUAGE_ASKS_SHARE, f"language-asks-{seed}")
    examples += _worded_negatives(
        pools, REASONING_HELP, int(per_family * REASONING_HELP_SHARE), f"reasoning-help-{seed}", "hard:reasoning_help"
    )
    examples += _twin_negatives(pools, per_family * TWIN_SHARE, f"twins-{seed}")
    return examples + _held_out_positives(pools, per_family, seed) + _user_prompts(pools)


def _weighted(example: Example) -> bool:
    return example.origin.startswith(WEIGHTED_ORIGINS)


def _labels(examples: Sequence[Example]) -> npt.NDArray[np.bool_]:
    return np.array([[e.label == f for f in FAMILIES] for e in examples], dtype=np.bool_)


def train(
    examples: Sequence[Example], *, validation_share: float = 0.2, families: Sequence[str] = FAMILIES
) -> ExtractionModel:
    """Fit one logistic regression per family; calibrate each on held-back real user prompts.

    Real user prompts and hard negatives weigh ``NEGATIVE_WEIGHT`` wrapped positives each, with ``C`` of
    ``REGULARISATION_C``, except for the families of ``FAMILY_FIT``.
    A share of the training split's real user prompts is kept out of the fit; each
    family's offset puts the score 0.5 at the ``1 - TARGET_VALIDATION_FPR`` quantile of
    their logits, so about that share of real prompts would fire, and at least at the ``1 -
    MULTILINGUAL_VALIDATION_FPR`` quantile of the held-back prompts in other languages. The median of what their
    opening and closing words add to each logit is kept as the model's ``window_baseline``.
    Families outside ``EMBEDDING_FAMILIES`` are fitted without the embedding columns, and families outside
    ``ENDS_FAMILIES`` without the ends n-grams. Only ``families`` are fitted (each fit is the same whichever
    others are): the rest get weights 0, ``UNFITTED_BIAS`` and no offset, so they never fire (estimates that refit
    one family many times, :mod:`crossval`).
    """
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise ValueError(f"no such families: {sorted(unknown)}")
    train_set = [e for e in examples if e.split == "train"]
    is_validation = [
        e.origin.startswith("users:") and in_eval_split(e.text + "#v", validation_share) for e in train_set
    ]
    fit = [e for e, v in zip(train_set, is_validation, strict=True) if not v]
    validation = [e for e, v in zip(train_set, is_validation, strict=True) if v]
    features = featurize([e.text for e in fit])
    labels = _labels(fit)
    weighted = np.array([_weighted(e) for e in fit], dtype=np.bool_)
    hard = np.array([e.origin.startswith("hard:") for e in fit], dtype=np.bool_)
    multilingual = np.array([e.origin.startswith(MULTILINGUAL_ORIGIN) for e in fit], dtype=np.bool_)
    weights = np.zeros((N_COLUMNS, len(FAMILIES)), dtype=np.float32)  # other families' embedding weights stay 0
    bias = np.zeros(len(FAMILIES), dtype=np.float32)
    only = [ONLY_FOR.get(only_for_key(e.origin) or "") for e in fit]  # None: every family's fit sees it
    origins = np.array([e.origin for e in fit])
    extended = np.isin(origins, [origin for own in EXTENSION.values() for origin in own])
    for column, family in enumerate(FAMILIES):
        if family not in families:
            bias[column] = UNFITTED_BIAS
            continue
        seen = features.matrix(ends=family in ENDS_FAMILIES, embedded=family in EMBEDDING_FAMILIES)
        settings = FAMILY_FIT.get(family, FitSettings())
        model = LogisticRegression(C=settings.c, class_weight="balanced", solver="liblinear", max_iter=200)
        sample_weight = np.where(weighted, settings.negative_weight, 1.0)
        sample_weight[multilingual] *= MULTILINGUAL_WEIGHT_FACTOR
        if settings.hard_negative_weight is not None:
            sample_weight[hard] = settings.hard_negative_weight
        sample_weight[np.array([o is not None and family not in o for o in only], dtype=np.bool_)] = 0.0
        sample_weight[extended] = 0.0
        model.fit(seen, labels[:, column], sample_weight=sample_weight)
        weights[: seen.shape[1], column] = model.coef_[0]
        bias[column] = model.intercept_[0]
        extension = np.isin(origins, EXTENSION.get(family, ()))
        if extension.any():
            weights[: seen.shape[1], column] += _extension_weights(
                seen, labels[:, column], extension, model.decision_function(seen[extension]), settings.c
            )
    # Weights ship as float16, the smallest as 0: calibrate on the weights the scorer will use.
    weights[np.abs(weights) < WEIGHT_FLOOR] = 0.0
    weights = weights.astype(np.float16).astype(np.float32)
    return _calibrated(weights, bias, validation, families)


def _calibrated(
    weights: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    validation: Sequence[Example],
    families: Sequence[str],
) -> ExtractionModel:
    """The model of ``weights`` and ``bias`` with its offsets, sentence tier and window baseline set on ``validation``.

    See :func:`train`.
    """
    no_windows = np.zeros((len(WINDOWS), len(FAMILIES)), dtype=np.float32)
    offsets = np.zeros(len(FAMILIES), dtype=np.float32)
    uncalibrated = ExtractionModel(weights, bias, offsets, no_windows, ends_families=ENDS_FAMILIES)
    texts = [e.text for e in validation]
    held_back = featurize(texts)
    raw = uncalibrated.logits_of(held_back)
    # Candidates for the sentence tier: the held-back prompts' top SENTENCE_CANDIDATE_SHARE by their own logit.
    # The offset is then set on the logits with the tier, so that the operating point counts what it adds.
    cut = np.full(len(FAMILIES), np.inf, dtype=np.float32)
    reading = [FAMILIES.index(f) for f in SENTENCE_FAMILIES]
    cut[reading] = np.quantile(raw[:, reading], 1.0 - SENTENCE_CANDIDATE_SHARE, axis=0)
    tiered = replace(
        uncalibrated,
        sentence_families=SENTENCE_FAMILIES,
        sentence_penalty=SENTENCE_PENALTY,
        sentence_candidate=cut,
    ).sentence_tier(texts, raw, below=np.inf)  # no bound: a prompt fires with it exactly when it fires without
    offset = np.quantile(tiered, 1.0 - TARGET_VALIDATION_FPR, axis=0).astype(np.float32)
    in_other_languages = np.array([e.origin.startswith(MULTILINGUAL_ORIGIN) for e in validation], dtype=np.bool_)
    if in_other_languages.any():
        grouped = np.quantile(tiered[in_other_languages], 1.0 - MULTILINGUAL_VALIDATION_FPR, axis=0)
        offset = np.maximum(offset, grouped.astype(np.float32))
    offset[np.array([family not in families for family in FAMILIES], dtype=np.bool_)] = 0.0
    windows = uncalibrated.window_logits(held_back.embedded)
    baseline = np.median(windows, axis=0).astype(np.float32)
    return ExtractionModel(
        weights,
        bias,
        offset,
        baseline,
        ends_families=ENDS_FAMILIES,
        sentence_families=SENTENCE_FAMILIES,
        sentence_penalty=SENTENCE_PENALTY,
        sentence_candidate=cut - offset,
    )


def _extension_weights(
    seen: sparse.csr_matrix,
    labels: npt.NDArray[np.bool_],
    extension: npt.NDArray[np.bool_],
    offset: npt.NDArray[np.float64],
    c: float,
) -> npt.NDArray[np.float32]:
    """Weights of the columns only ``extension``'s rows use, fitted on those rows over the family's logit.

    Each row weighs what the family's balanced fit gives its class (``class_weight="balanced"``, over all the
    fit's rows).
    """
    out = np.zeros(seen.shape[1], dtype=np.float32)
    columns = new_columns(seen, extension)
    if not len(columns):
        return out
    positive = labels[extension]
    balanced = compute_class_weight("balanced", classes=np.array([False, True]), y=labels)
    sample_weight = balanced[positive.astype(np.int64)]
    out[columns] = fit_with_offset(seen[extension][:, columns], positive, offset.astype(np.float64), sample_weight, c)
    return out


def _rate(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def evaluate(examples: Sequence[Example], scorer: Callable[[Sequence[str]], npt.NDArray[np.float32]]) -> dict[str, Any]:
    """Per-family precision, recall (held-out and seen template families) and FPRs, with counts."""
    held_out_names = ({t.name for t in HELD_OUT_FAMILIES} - PROMOTED) | {"mt_bench_judge_templates"}
    test = [e for e in examples if e.split == "eval"]
    fires: npt.NDArray[np.bool_] = np.asarray(scorer([e.text for e in test]) >= 0.5)
    report: dict[str, Any] = {"examples": len(test), "families": {}}
    is_user = np.array([e.origin.startswith("users:") for e in test])
    is_hard = np.array([e.origin.startswith("hard:") for e in test])
    for column, family in enumerate(FAMILIES):
        mine = np.array([e.label == family for e in test])
        held = mine & np.array([e.origin in held_out_names for e in test])
        seen = mine & ~held
        fired = fires[:, column]
        tp = int((fired & mine).sum())
        fp_users = int((fired & is_user).sum())
        fp_hard = int((fired & is_hard).sum())
        fp_other = int((fired & ~mine & ~is_user & ~is_hard).sum())
        fp = fp_users + fp_hard + fp_other
        report["families"][family] = {
            "precision": _rate(tp, tp + fp),
            "tp": tp,
            "fp": fp,
            "recall_held_out_templates": _rate(int((fired & held).sum()), int(held.sum())),
            "held_out_hits": int((fired & held).sum()),
            "held_out_total": int(held.sum()),
            "recall_seen_templates_unseen_text": _rate(int((fired & seen).sum()), int(seen.sum())),
            "seen_hits": int((fired & seen).sum()),
            "seen_total": int(seen.sum()),
            "fpr_real_users": _rate(fp_users, int(is_user.sum())),
            "fp_real_users": fp_users,
            "real_users": int(is_user.sum()),
            "fpr_hard_negatives": _rate(fp_hard, int(is_hard.sum())),
            "fp_hard_negatives": fp_hard,
            "hard_negatives": int(is_hard.sum()),
            "fp_other_families": fp_other,
        }
    any_fire: list[bool] = [bool(v) for v in np.any(fires, axis=1).tolist()]
    by_source: dict[str, list[int]] = {}
    for example, fired_any in zip(test, any_fire, strict=True):
        if example.origin.startswith("users:"):
            counts = by_source.setdefault(example.origin, [0, 0])
            counts[0] += int(fired_any)
            counts[1] += 1
    report["users_any_family"] = {k: {"flagged": v[0], "total": v[1]} for k, v in sorted(by_source.items())}
    report["users_any_family_by_language"] = _flagged_by_language(test, any_fire)
    report["held_out_templates"] = _recall_by_template(test, fires, held_out_names)
    report["held_out_by_language"] = _recall_by_language(test, fires, held_out_names)
    report["held_out_sets"] = _recall_by_set(report["held_out_templates"])
    return report


@cache
def _identified_language(text: str) -> str:
    """``text``'s language by py3langid; cached, as the classifier's and the keywords' reports ask alike."""
    import py3langid  # noqa: PLC0415 - optional, training only

    return str(py3langid.classify(text[:LANGUAGE_ID_CHARS])[0])


def _language_of(example: Example) -> str:
    """A real prompt's language: the one its source names (``users:multilingual:<language>``), else py3langid's."""
    kind, _, language = example.origin.rpartition(":")
    return language if kind == "users:multilingual" else _identified_language(example.text)


def _flagged_by_language(test: Sequence[Example], any_fire: Sequence[bool]) -> dict[str, dict[str, int]]:
    """Real user prompts flagged by any family, by language (py3langid, in the ``train`` extra).

    English against every other language together and each other language with 10 or more
    prompts; empty where py3langid is not installed.
    """
    if importlib.util.find_spec("py3langid") is None:
        return {}
    counts: dict[str, list[int]] = {}
    for example, fired in zip(test, any_fire, strict=True):
        if example.origin.startswith("users:"):
            language = _language_of(example)
            for key in dict.fromkeys((language, "en" if language == "en" else "not en")):
                entry = counts.setdefault(key, [0, 0])
                entry[0] += int(fired)
                entry[1] += 1
    return {
        k: {"flagged": v[0], "total": v[1]}
        for k, v in sorted(counts.items(), key=lambda kv: -kv[1][1])
        if v[1] >= MIN_LANGUAGE_PROMPTS or k in ("en", "not en")
    }


def _recall_by_template(
    test: Sequence[Example], fires: npt.NDArray[np.bool_], names: set[str]
) -> dict[str, dict[str, Any]]:
    counts: dict[str, dict[str, Any]] = {}
    for example, row in zip(test, fires, strict=True):
        if example.origin in names:
            held_set = HELD_OUT_SET.get(example.origin, "mt-bench")
            entry = counts.setdefault(example.origin, {"family": example.label, "set": held_set, "hits": 0, "total": 0})
            hit = int(row[FAMILIES.index(example.label)])
            entry["hits"] += hit
            entry["total"] += 1
            if example.wrapper >= 0:  # hits and totals by wrapper, in the family's order of its wrappers
                by_wrapper = entry.setdefault("by_wrapper", {})
                counted = by_wrapper.setdefault(str(example.wrapper), {"hits": 0, "total": 0})
                counted["hits"] += hit
                counted["total"] += 1
    for entry in counts.values():
        if "by_wrapper" in entry:
            entry["by_wrapper"] = dict(sorted(entry["by_wrapper"].items(), key=lambda kv: int(kv[0])))
    return dict(sorted(counts.items()))


@cache
def _wrapper_language(wrapper: str) -> str:
    """The language a held-out wrapper is written in (py3langid on its fixed text, slots removed)."""
    return _identified_language(re.sub(r"\{[a-z]+\}", " ", wrapper))


def _recall_by_language(
    test: Sequence[Example], fires: npt.NDArray[np.bool_], names: set[str]
) -> dict[str, dict[str, dict[str, int]]]:
    """Hits and totals of the held-out families' examples by family and by the language of their wrapper.

    Empty where py3langid is not installed (the ``train`` extra).
    """
    if importlib.util.find_spec("py3langid") is None:
        return {}
    wrappers = {t.name: t.wrappers for t in HELD_OUT_FAMILIES}
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for example, row in zip(test, fires, strict=True):
        if example.origin in names and example.wrapper >= 0:
            language = _wrapper_language(wrappers[example.origin][example.wrapper])
            entry = counts.setdefault(example.label, {}).setdefault(language, {"hits": 0, "total": 0})
            entry["hits"] += int(row[FAMILIES.index(example.label)])
            entry["total"] += 1
    return {family: dict(sorted(by.items(), key=lambda kv: -kv[1]["total"])) for family, by in sorted(counts.items())}


def _recall_by_set(by_template: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """Hits and totals per held-out set and family (``set-2``, ``set-3``, MT-bench's judges)."""
    sets: dict[str, dict[str, dict[str, int]]] = {}
    for entry in by_template.values():
        counts = sets.setdefault(entry["set"], {}).setdefault(entry["family"], {"hits": 0, "total": 0})
        counts["hits"] += entry["hits"]
        counts["total"] += entry["total"]
    return dict(sorted(sets.items()))


def keyword_evaluation(examples: Sequence[Example]) -> dict[str, Any]:
    """The same evaluation for the keyword baseline."""
    return evaluate(examples, keyword_scores)


def template_family_table() -> list[TemplateFamily]:
    """The template families, for the report."""
    return list(TEMPLATE_FAMILIES)
