"""The training command's honesty properties: what is held out stays out, and it reproduces."""

from __future__ import annotations

from collections import Counter
from functools import cache
from string import Formatter
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from sklearn.linear_model import LogisticRegression

from distillguard.signals.extraction import FAMILIES, ExtractionModel
from distillguard.signals.featurize import featurize
from distillguard.simulate.corpus import load_pools
from distillguard.simulate.text import RESEARCH_SUFFIXES, STUDENT_TEMPLATES
from tests.conftest import CORPORA, corpus_path
from training import build, crossval
from training.build import Example, build_examples, evaluate, train
from training.cot_asks import ASKS as COT_ASKS
from training.crossval import cross_validate, fold_of_families, is_development, leave_sets_out
from training.harness import HARNESS
from training.heldout import HELD_OUT_FAMILIES, HELD_OUT_SET
from training.languages import LANGUAGES, plain_asks
from training.multilingual import held_out
from training.phrases import ASKS
from training.splits import in_eval_split
from training.templates import TEMPLATE_FAMILIES
from training.tutoring import REASONING_HELP, TUTORING

HELD_OUT_NAMES = frozenset(t.name for t in HELD_OUT_FAMILIES)


def _longest_fixed_text(wrapper: str) -> str:
    """A wrapper's longest run of fixed text, parsed as ``format_map`` parses its slots and escaped braces."""
    return max((literal for literal, *_ in Formatter().parse(wrapper)), key=len)


@cache
def _examples() -> tuple[Example, ...]:
    corpus_path("users_nq_open_dev.jsonl")
    return tuple(build_examples(load_pools(CORPORA), per_family=30, seed=3))


@cache
def _trained() -> ExtractionModel:
    return train(_examples())


def test_held_out_and_training_families_are_disjoint() -> None:
    training = {t.name for t in TEMPLATE_FAMILIES}
    assert not training & HELD_OUT_NAMES
    assert set(HELD_OUT_SET) == HELD_OUT_NAMES
    assert {t.family for t in HELD_OUT_FAMILIES} == set(FAMILIES)


@pytest.mark.corpus
def test_held_out_families_never_reach_the_training_split() -> None:
    examples = _examples()
    assert all(e.split == "eval" for e in examples if e.origin in HELD_OUT_NAMES)
    assert {e.origin for e in examples if e.split == "eval"} >= HELD_OUT_NAMES
    wrappers = {t.name: t.wrappers for t in HELD_OUT_FAMILIES}
    for e in examples:  # each names the wrapper it is in: that wrapper's longest fixed text is in it
        if e.origin in wrappers:
            assert _longest_fixed_text(wrappers[e.origin][e.wrapper]) in e.text, (e.origin, e.wrapper)


@pytest.mark.corpus
def test_a_new_held_out_set_changes_no_training_example(monkeypatch: pytest.MonkeyPatch) -> None:
    with_all = [e for e in _examples() if e.split == "train"]
    monkeypatch.setattr(build, "HELD_OUT_FAMILIES", HELD_OUT_FAMILIES[:3])
    fewer = build_examples(load_pools(CORPORA), per_family=30, seed=3)
    assert [e for e in fewer if e.split == "train"] == with_all
    assert {e.origin for e in fewer if e.origin in HELD_OUT_NAMES} == {t.name for t in HELD_OUT_FAMILIES[:3]}


def test_no_training_ask_is_in_a_held_out_wrapper() -> None:
    """The training wrappers, phrase banks, cot's extra asks and language asks are written apart from the held-out
    families."""
    asks = [ask for family in ASKS.values() for ask in family] + list(COT_ASKS)
    asks += [ask for language in LANGUAGES for family in language.asks.values() for ask in family]
    held_out = [wrapper for template in HELD_OUT_FAMILIES for wrapper in template.wrappers]
    assert len(asks) > 370  # the phrase banks', cot's extra and the languages' asks were all collected
    assert not [ask for ask in asks if any(ask in wrapper for wrapper in held_out)]
    assert not {wrapper for template in TEMPLATE_FAMILIES for wrapper in template.wrappers} & set(held_out)


def test_every_training_family_is_left_out_in_exactly_one_fold() -> None:
    folds = fold_of_families(3)
    assert set(folds) == {t.name for t in TEMPLATE_FAMILIES}
    for family in FAMILIES:
        mine = Counter(folds[t.name] for t in TEMPLATE_FAMILIES if t.family == family)
        assert max(mine.values()) - min(mine.values()) <= 1, family


@pytest.mark.corpus
def test_training_reproduces_and_reports_each_held_out_set() -> None:
    examples = _examples()
    first, second = _trained(), train(examples)
    np.testing.assert_array_equal(first.weights, second.weights)
    np.testing.assert_array_equal(first.offset, second.offset)
    report = evaluate(examples, first.score)
    held_sets = {f"set-{n}" for n in range(2, 20)} - set(build.PROMOTED_SETS)
    assert set(report["held_out_sets"]) == held_sets | {"mt-bench"}
    per_template = report["held_out_templates"]
    assert set(per_template) == (HELD_OUT_NAMES - build.PROMOTED) | {"mt_bench_judge_templates"}
    wrappers = {t.name: len(t.wrappers) for t in HELD_OUT_FAMILIES}
    for name, entry in per_template.items():  # each held-out family's counts, wrapper by wrapper, add up
        if name in wrappers:
            by_wrapper = entry["by_wrapper"]
            assert {int(i) for i in by_wrapper} <= set(range(wrappers[name]))
            assert sum(c["hits"] for c in by_wrapper.values()) == entry["hits"]
            assert sum(c["total"] for c in by_wrapper.values()) == entry["total"]
    for family, counts in report["families"].items():
        in_sets = sum(s[family]["total"] for s in report["held_out_sets"].values() if family in s)
        assert counts["held_out_total"] == in_sets


@pytest.mark.corpus
def test_each_family_is_fitted_with_its_own_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    examples = _examples()
    own = dict(build.FAMILY_FIT)
    assert set(own) <= set(FAMILIES)
    assert any(settings != build.FitSettings() for settings in own.values())
    shipped = _trained()  # before the patch: the cache holds the model of the real settings
    monkeypatch.setattr(build, "FAMILY_FIT", {})
    default = train(examples)
    for column, family in enumerate(FAMILIES):
        same = np.array_equal(shipped.weights[:, column], default.weights[:, column])
        assert same == (own.get(family, build.FitSettings()) == build.FitSettings()), family


@pytest.mark.corpus
def test_the_sentence_tier_is_calibrated_with_the_model() -> None:
    """Its candidates are the held-back prompts' top share; the offset counts what the tier adds."""
    model = _trained()
    assert model.sentence_families == build.SENTENCE_FAMILIES
    assert model.sentence_penalty == build.SENTENCE_PENALTY
    reading = [FAMILIES.index(f) for f in build.SENTENCE_FAMILIES]
    others = [c for c in range(len(FAMILIES)) if c not in reading]
    assert np.isfinite(model.sentence_candidate[reading]).all()
    assert np.isinf(model.sentence_candidate[others]).all()
    held_back = [
        e.text
        for e in _examples()
        if e.split == "train" and e.origin.startswith("users:") and in_eval_split(e.text + "#v", 0.2)
    ]
    plain = model.logits_of(featurize(held_back))[:, reading]
    candidates = np.mean(plain >= model.sentence_candidate[reading], axis=0)
    np.testing.assert_allclose(candidates, build.SENTENCE_CANDIDATE_SHARE, atol=2 / len(held_back))
    fires = np.sum(model.logits(held_back)[:, reading] >= 0, axis=0)
    assert (fires <= np.ceil(build.TARGET_VALIDATION_FPR * len(held_back)) + 1).all()


@pytest.mark.corpus
def test_the_smallest_weights_are_stored_as_zero() -> None:
    weights = np.abs(_trained().weights)
    kept = weights[weights > 0]
    assert kept.min() >= np.float16(build.WEIGHT_FLOOR)  # float16 rounding is monotonic


@pytest.mark.corpus
def test_only_the_ends_families_are_fitted_on_the_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped, reading = _trained(), build.ENDS_FAMILIES
    assert shipped.ends_families == reading
    assert reading
    monkeypatch.setattr(build, "ENDS_FAMILIES", ())
    without = train(_examples())
    assert without.ends_families == ()
    for column, family in enumerate(FAMILIES):
        same = np.array_equal(shipped.weights[:, column], without.weights[:, column])
        assert same == (family not in reading), family


@pytest.mark.corpus
def test_cross_validation_scores_every_training_family_once() -> None:
    examples = _examples()
    report = cross_validate(examples, folds=3)
    training = {t.name for t in TEMPLATE_FAMILIES}
    assert set(report["templates"]) == training
    for name, counts in report["templates"].items():
        expected = sum(1 for e in examples if e.split == "eval" and e.origin == name)
        assert counts["total"] == expected, name
    assert not set(report["templates"]) & HELD_OUT_NAMES
    dev = [e for e in examples if is_development(e)]
    assert dev
    assert all(e.split == "train" for e in dev)
    users = sum(1 for e in dev if e.origin.startswith("users:"))
    assert all(c["real_user_scores"] == 3 * users for c in report["families"].values())
    for counts in report["families"].values():  # a stricter threshold finds fewer; none finds more than all
        at = counts["hits_at_equal_dev_fpr"]
        assert list(at) == ["0.1%", "0.2%", "0.3%"]
        assert at["0.1%"] <= at["0.2%"] <= at["0.3%"] <= counts["total"]


@pytest.mark.corpus
def test_wrappers_in_other_languages_carry_short_items_and_have_benign_twins() -> None:
    """Language wrappers (trained) hold items cut to ``LANGUAGE_ITEM_CHARS``; benign requests
    in the same languages are hard negatives in both splits."""
    examples = _examples()
    wrapped = [e for e in examples if e.origin == "languages"]
    assert {e.label for e in wrapped} == set(FAMILIES)
    assert all(e.split == "train" for e in wrapped)
    # Without the cut, answers of up to MAX_ANSWER_CHARS (1,500) make most of these far longer.
    no_tools = [e for e in wrapped if e.label != "tool_trajectory"]
    assert max(len(e.text) for e in no_tools) <= 3 * build.LANGUAGE_ITEM_CHARS + 250
    benign = [e for e in examples if e.origin == "hard:other_language"]
    assert {e.split for e in benign} == {"train", "eval"}
    assert all(e.label == build.NEGATIVE for e in benign)


def test_false_positives_are_counted_by_language() -> None:
    pytest.importorskip("py3langid")
    texts = [
        ("what is the capital of france", True),
        ("how many legs does a spider have", False),
        ("Pourquoi le ciel est-il bleu ? Explique-moi la diffusion de la lumière.", True),
        ("Warum ist der Himmel blau? Erkläre mir bitte die Streuung des Lichts.", False),
    ]
    examples = [Example(t, build.NEGATIVE, "eval", "users:test") for t, _ in texts]
    examples.append(Example("ignored: not a user prompt", build.NEGATIVE, "eval", "hard:raw_item"))
    fired = [f for _, f in texts] + [True]
    counts = build._flagged_by_language(examples, fired)
    assert counts["en"] == {"flagged": 1, "total": 2}
    assert counts["not en"] == {"flagged": 1, "total": 2}
    assert "fr" not in counts  # fewer than MIN_LANGUAGE_PROMPTS


@pytest.mark.parametrize(
    ("origin", "wordings", "share", "per_split"),
    [
        ("hard:tutoring", TUTORING, "TUTORING_SHARE", 30),
        ("hard:harness", HARNESS, "HARNESS_SHARE", 15),
        ("hard:reasoning_help", REASONING_HELP, "REASONING_HELP_SHARE", 15),
    ],
)
def test_drawn_hard_negatives_keep_apart(
    monkeypatch: pytest.MonkeyPatch, origin: str, wordings: dict[str, tuple[str, ...]], share: str, per_split: int
) -> None:
    """Students' requests for help, harness layouts and students asking about their own reasoning are negatives in
    both splits, with disjoint wordings, each drawn by a generator of its own: without them every other example is
    the same."""
    examples = _examples()
    drawn = [e for e in examples if e.origin == origin]
    assert Counter(e.split for e in drawn) == {"train": per_split, "eval": per_split}
    assert all(e.label == build.NEGATIVE for e in drawn)
    assert not set(wordings["train"]) & set(wordings["eval"])
    monkeypatch.setattr(build, share, 0)
    without = build_examples(load_pools(CORPORA), per_family=30, seed=3)
    assert without == [e for e in examples if e.origin != origin]


@cache
def _fitted_sample_weights() -> dict[str, npt.NDArray[np.float64]]:
    """Each family's sample weights in one training run on :func:`_examples`, read off ``LogisticRegression.fit``."""
    weights: list[npt.NDArray[np.float64]] = []
    real_fit = LogisticRegression.fit

    def spy(self: Any, x: Any, y: Any, sample_weight: Any = None) -> Any:
        weights.append(np.asarray(sample_weight))
        return real_fit(self, x, y, sample_weight=sample_weight)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LogisticRegression, "fit", spy)
        build.train(_examples())
    return dict(zip(FAMILIES, weights, strict=True))


def test_cots_own_examples_weigh_only_in_cots_fit() -> None:
    """The other families fit as if harness layouts, the extra asks and the reasoning-help negatives were absent;
    cot's own fit gives its extension's examples no weight."""
    examples = _examples()
    assert all(families == ("cot_elicitation",) for families in build.ONLY_FOR.values())
    own = Counter(build.only_for_key(e.origin) for e in examples if build.only_for_key(e.origin) and e.split == "train")
    assert set(own) == set(build.ONLY_FOR)  # every origin has training examples
    zeroed = {f: int(np.count_nonzero(w == 0.0)) for f, w in _fitted_sample_weights().items()}
    assert zeroed["cot_elicitation"] == sum(own[o] for o in build.EXTENSION["cot_elicitation"]) > 0
    assert all(zeroed[f] == own.total() for f in FAMILIES if f != "cot_elicitation")


def test_cots_hard_negatives_weigh_apart_from_its_real_prompts() -> None:
    """cot's hard negatives weigh its hard_negative_weight, its real prompts its negative_weight; a family without
    one weighs both alike."""
    examples = _examples()
    fitted = _fitted_sample_weights()
    hard = sum(e.split == "train" and e.origin.startswith("hard:") for e in examples)
    cot = build.FAMILY_FIT["cot_elicitation"]
    assert cot.hard_negative_weight is not None
    assert cot.hard_negative_weight != cot.negative_weight
    assert np.count_nonzero(fitted["cot_elicitation"] == cot.hard_negative_weight) == hard
    users = np.count_nonzero(fitted["cot_elicitation"] == cot.negative_weight)
    assert users > 0
    coercion = fitted["reasoning_coercion"]  # default settings; cot's own hard negatives weigh 0 there
    cot_only = sum(e.split == "train" and e.origin in build.ONLY_FOR and e.origin.startswith("hard:") for e in examples)
    assert np.count_nonzero(coercion == build.NEGATIVE_WEIGHT) == users + hard - cot_only


def test_more_cot_asks_are_training_positives_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each is one of cot_asks.ASKS in one of cot's layouts; without them every other example is the same."""
    examples = _examples()
    asked = [e for e in examples if e.origin == "asks"]
    assert len(asked) == 30 * build.ASKS_SHARE
    assert {(e.label, e.split) for e in asked} == {("cot_elicitation", "train")}
    assert all(any(ask in e.text for ask in COT_ASKS) for e in asked)
    assert len({ask for e in asked for ask in COT_ASKS if ask in e.text}) > len(COT_ASKS) // 2
    assert not set(COT_ASKS) & set(ASKS["cot_elicitation"])
    monkeypatch.setattr(build, "ASKS_SHARE", 0)
    assert build_examples(load_pools(CORPORA), per_family=30, seed=3) == [e for e in examples if e.origin != "asks"]


def test_promoted_sets_are_cot_training_positives_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each is a promoted set's wrapper around a training item; without them every other example is the same,
    and the promoted families' evaluation examples are still drawn but reported as seen, not held out."""
    assert {HELD_OUT_SET[t.name] for t in build.PROMOTED_FAMILIES} == set(build.PROMOTED_SETS)
    assert {t.family for t in build.PROMOTED_FAMILIES} == {"cot_elicitation"}
    examples = _examples()
    promoted = [e for e in examples if e.origin.startswith("promoted:")]
    assert len(promoted) == 30 * build.PROMOTED_SHARE
    assert {(e.label, e.split) for e in promoted} == {("cot_elicitation", "train")}
    by_name = {t.name: t for t in build.PROMOTED_FAMILIES}
    # each example is in a wrapper of the family its origin names
    for example in promoted:
        family = by_name[example.origin.removeprefix("promoted:")]
        assert any(_longest_fixed_text(w) in example.text for w in family.wrappers), example.origin
    wrappers = [w for t in build.PROMOTED_FAMILIES for w in t.wrappers]
    longest = [_longest_fixed_text(w) for w in wrappers]
    assert len({fixed for e in promoted for fixed in longest if fixed in e.text}) > len(wrappers) // 2
    drawn = {e.origin for e in examples if e.origin in build.PROMOTED}
    assert drawn == build.PROMOTED
    assert {e.split for e in examples if e.origin in build.PROMOTED} == {"eval"}
    monkeypatch.setattr(build, "PROMOTED_SHARE", 0)
    assert build_examples(load_pools(CORPORA), per_family=30, seed=3) == [e for e in examples if e not in promoted]


def test_a_family_left_unfitted_never_fires_and_the_others_fit_as_in_a_full_run() -> None:
    """``train(families=...)`` fits those families exactly as a full run does; the rest score near 0 everywhere."""
    examples = _examples()
    cot = FAMILIES.index("cot_elicitation")
    alone = train(examples, families=("cot_elicitation",))
    shipped = _trained()
    assert np.array_equal(alone.weights[:, cot], shipped.weights[:, cot])
    assert alone.bias[cot] == shipped.bias[cot]
    assert alone.offset[cot] == shipped.offset[cot]
    texts = [e.text for e in examples if e.split == "eval"]
    scores = alone.score(texts)
    assert np.array_equal(scores[:, cot], shipped.score(texts)[:, cot])
    others = np.delete(scores, cot, axis=1)
    assert float(others.max()) < 1e-6
    assert not np.any(alone.weights[:, np.arange(len(FAMILIES)) != cot])
    with pytest.raises(ValueError, match="no such families"):
        train(examples, families=("chain_of_thought",))


@pytest.mark.corpus
def test_leaving_a_promoted_set_out_refits_cot_without_its_examples_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each promoted set is scored once, on its evaluation examples, by a cot-only fit that never saw the set."""
    examples = _examples()
    fits: list[tuple[list[Example], tuple[str, ...]]] = []
    real_train = build.train

    def spy(fit: list[Example], *, families: tuple[str, ...]) -> ExtractionModel:
        fits.append((fit, families))
        return real_train(fit, families=families)

    monkeypatch.setattr(crossval, "train", spy)
    sets = build.PROMOTED_SETS[:2]
    report = leave_sets_out(examples, sets=sets)
    assert list(report["sets"]) == list(sets)
    assert len(fits) == len(sets)
    for held_set, (fit, families) in zip(sets, fits, strict=True):
        assert families == ("cot_elicitation",)
        names = {t.name for t in build.PROMOTED_FAMILIES if HELD_OUT_SET[t.name] == held_set}
        assert not [e for e in fit if e.origin.removeprefix("promoted:") in names]
        assert [e for e in fit if e.origin.startswith("promoted:")]  # the other sets stay in
        assert not [e for e in fit if is_development(e) or e.split != "train"]
        counts = report["sets"][held_set]
        assert counts["total"] == sum(1 for e in examples if e.split == "eval" and e.origin in names) > 0
        at = counts["hits_at_equal_dev_fpr"]
        assert at["0.1%"] <= at["0.2%"] <= at["0.3%"] <= counts["total"]
        assert counts["real_users"] == sum(1 for e in examples if is_development(e) and e.origin.startswith("users:"))
    assert report["total"] == sum(c["total"] for c in report["sets"].values())
    with pytest.raises(ValueError, match="not among the promoted sets"):
        leave_sets_out(examples, sets=("set-2",))


def test_no_tutoring_request_is_the_simulators_own() -> None:
    """The scan's evaluation measures the simulated students and researchers: their wording stays out of training."""
    simulated = [t.replace("{q}", "").strip() for t in STUDENT_TEMPLATES] + [s.strip() for s in RESEARCH_SUFFIXES if s]
    ours = [a for wordings in (TUTORING, REASONING_HELP) for asks in wordings.values() for a in asks]
    assert not [s for s in simulated for a in ours if s.lower() in a.lower() or a.lower() in s.lower()]


@pytest.mark.corpus
def test_real_prompts_in_other_languages_train_in_part_and_are_held_out_in_part() -> None:
    """Every language of users_multilingual.jsonl trains and is measured; the held-out part never reaches training;
    M-IFEval and the Japanese Vicuna questions are held out whole."""
    examples = _examples()
    prompts = load_pools(CORPORA).multilingual
    by_split: dict[str, Counter[str]] = {"train": Counter(), "eval": Counter()}
    for e in examples:
        if e.origin.startswith(build.MULTILINGUAL_ORIGIN):
            by_split[e.split][e.origin.rpartition(":")[2]] += 1
    languages = {p.language for p in prompts}
    assert set(by_split["train"]) == set(by_split["eval"]) == languages
    held = {p.text for p in prompts if held_out(p)}
    assert not held & {e.text for e in examples if e.split == "train"}
    assert all(held_out(p) for p in prompts if p.source.startswith(("shisa-ai/M-IFEval:", "ku-nlp/ja-vicuna")))


def test_real_prompts_in_other_languages_weigh_more_in_every_fit() -> None:
    """Each weighs MULTILINGUAL_WEIGHT_FACTOR times a real English prompt of the same family's fit."""
    examples = [e for e in _examples() if e.split == "train"]
    fitted = _fitted_sample_weights()
    multilingual = sum(e.origin.startswith(build.MULTILINGUAL_ORIGIN) for e in examples)
    assert multilingual > 0
    for family, weights in fitted.items():
        real = build.FAMILY_FIT.get(family, build.FitSettings()).negative_weight
        assert np.count_nonzero(weights == real * build.MULTILINGUAL_WEIGHT_FACTOR) >= multilingual * 0.7, family


def test_benign_twins_are_hard_negatives_of_every_family_in_every_language_of_its_positives() -> None:
    """One a family and split per item drawn, in the layouts and labels of the language wrappers, asked plainly."""
    twins = [e for e in _examples() if e.origin == build.TWIN_ORIGIN]
    assert {e.split for e in twins} == {"train", "eval"}
    assert {e.label for e in twins} == {build.NEGATIVE}
    assert len(twins) == len(FAMILIES) * (30 + 15) * build.TWIN_SHARE
    labels = {language.question for language in LANGUAGES}
    assert sum(any(label in e.text for label in labels) for e in twins) > len(twins) // 3
    asks = {ask for language in LANGUAGES for ask in plain_asks(language)}
    assert all(any(ask in e.text for ask in asks) for e in twins)


def test_other_languages_are_calibrated_as_a_group_of_their_own() -> None:
    """Each offset is at least the multilingual validation prompts' quantile: a language is not judged by English."""
    examples = _examples()
    model = _trained()
    validation = [
        e
        for e in examples
        if e.split == "train" and e.origin.startswith(build.MULTILINGUAL_ORIGIN) and in_eval_split(e.text + "#v", 0.2)
    ]
    assert validation
    fires = model.score([e.text for e in validation]) >= 0.5
    allowed = np.ceil(build.MULTILINGUAL_VALIDATION_FPR * len(validation)) + 1
    assert (fires.sum(axis=0) <= allowed).all()
