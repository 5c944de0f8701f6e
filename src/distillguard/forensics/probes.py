"""Suspect-model forensics: identity, agreement and style, each a test with its null and p-value.

``collect`` asks one model the probe set (:mod:`distillguard.forensics.probe_set`); a model that
fails (down, slow, garbage) yields a ``ModelAnswers`` with its error and no answers, and the
others go on. ``analyse`` runs the three tests on the suspect's, the teacher's and the
references' answers:

- identity: share of answers that name the teacher or its maker, suspect against references
  (Fisher's exact test). Null: the suspect names them no more often than independent models.
- agreement: per open question, the overlap of content words between a model's greedy answer and
  the teacher's; the suspect's mean against the references' (permutation test). Null: the suspect
  is exchangeable with the references (as independent of the teacher as they are).
- style: a classifier (word and character n-grams, logistic regression, sigmoid-calibrated by
  cross-validation) trained on teacher against reference answers, applied to the suspect; its
  scores against the references' out-of-fold scores (Mann-Whitney U). Null: the suspect writes
  no more like the teacher than the references do.

The tests read the same models and are dependent, so they are combined with Holm's adjustment
(the Bonferroni global test: ``min(1, k * min p)``), valid under any dependence.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from distillguard.errors import DistillguardError
from distillguard.forensics.models import ChatModel, close_model
from distillguard.forensics.probe_set import Probe, Section, probes_of
from distillguard.forensics.stats import exchange_test, holm, naming_test, rank_test

_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORD_TEXT: Final = (
    "a an the and or of to in on for is are was be it its i im my me you your yours we our this that with as at by "
    "from so if but not no can could would should will just like one some any here there what which who how sure ok "
    "okay well let lets heres answer"
)
_STOPWORDS: Final = frozenset(_STOPWORD_TEXT.split())
_NAME_STOP: Final = frozenset({"I", "I'm", "AI", "The", "My", "Hello", "Hi", "Je", "Ich", "Yo", "Soy", "Sono"})


@dataclass(frozen=True)
class ProbeSettings:
    """How the probes are asked."""

    samples: int = 2
    max_new_tokens: int = 64
    temperature: float = 0.7
    seed: int = 0
    limit: int | None = None  # the first N probes of each section (quick runs)


@dataclass
class ModelAnswers:
    """One model's answers by section: (probe id, text) pairs; or the error that stopped it."""

    label: str
    answers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    def texts(self, section: Section) -> list[str]:
        """The answer texts of one section."""
        return [text for _, text in self.answers.get(section, [])]

    def record(self) -> dict[str, Any]:
        """As JSON."""
        return {"label": self.label, "error": self.error, "seconds": round(self.seconds, 1), "answers": self.answers}


def _ask(model: ChatModel, probes: Sequence[Probe], settings: ProbeSettings, greedy: bool) -> list[tuple[str, str]]:
    samples = 1 if greedy else settings.samples
    prompts = [probe.prompt for probe in probes for _ in range(samples)]
    ids = [probe.probe_id for probe in probes for _ in range(samples)]
    texts = model.chat(
        prompts,
        max_new_tokens=settings.max_new_tokens,
        temperature=0.0 if greedy else settings.temperature,
        seed=settings.seed,
    )
    if len(texts) != len(prompts) or not all(isinstance(text, str) for text in texts):
        raise DistillguardError(f"{model.label}: {len(texts)} answers to {len(prompts)} prompts")
    return list(zip(ids, texts, strict=True))


def collect(
    model: ChatModel | Callable[[], ChatModel], settings: ProbeSettings, *, label: str | None = None
) -> ModelAnswers:
    """Ask one model every section; an error (at opening or any request) is recorded, never raised."""
    import time  # noqa: PLC0415

    started = time.perf_counter()
    name = label or str(getattr(model, "label", "model"))
    result = ModelAnswers(name)
    opened: ChatModel | None = None
    try:
        opened = model if isinstance(model, ChatModel) else model()
        result.label = label or opened.label
        for section in ("identity", "agreement", "style"):
            result.answers[section] = _ask(
                opened, probes_of(section, settings.limit), settings, greedy=section == "agreement"
            )
    except DistillguardError as exc:
        result.error = str(exc)
        result.answers = {}
    finally:
        if opened is not None and opened is not model:
            close_model(opened)
    result.seconds = time.perf_counter() - started
    return result


# ---- identity -------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without accents, spaces or hyphens: "Hugging Face" and "huggingface" match."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[\s\-_.]+", "", "".join(ch for ch in plain if not unicodedata.combining(ch)))


def names_from_teacher(
    teacher: Sequence[str], references: Sequence[Sequence[str]], minimum_share: float = 0.2
) -> list[str]:
    """Capitalised words the teacher uses about itself and the references do not (when none are given)."""
    counts: Counter[str] = Counter()
    for text in teacher:
        counts.update({word for word in re.findall(r"\b[A-Z][\w-]{2,}\b", text) if word not in _NAME_STOP})
    others = [_fold(text) for group in references for text in group]
    names = []
    for word, count in counts.most_common():
        if count < max(2, minimum_share * len(teacher)):
            break
        folded = _fold(word)
        if sum(folded in text for text in others) <= 0.05 * max(1, len(others)):
            names.append(word)
    return names


def names_hit(texts: Sequence[str], names: Sequence[str]) -> list[bool]:
    """Which texts name any of ``names``."""
    folded = [_fold(name) for name in names if name.strip()]
    return [any(name in _fold(text) for name in folded) for text in texts]


# ---- agreement ------------------------------------------------------------------------------


def content_words(text: str, limit: int = 30) -> set[str]:
    """The first ``limit`` words of an answer, lower case, without function words."""
    words = [word for word in _WORD.findall(text.casefold())[:limit] if word not in _STOPWORDS]
    return set(words)


def overlap(a: str, b: str) -> float:
    """Jaccard overlap of two answers' content words (1.0 for two empty answers)."""
    left, right = content_words(a), content_words(b)
    if not left and not right:
        return 1.0
    return len(left & right) / len(left | right)


def _by_probe(answers: ModelAnswers, section: Section) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for probe_id, text in answers.answers.get(section, []):
        grouped.setdefault(probe_id, []).append(text)
    return grouped


def agreement_values(model: ModelAnswers, teacher: ModelAnswers) -> dict[str, float]:
    """Per probe, the overlap of the model's first answer with the teacher's."""
    mine, theirs = _by_probe(model, "agreement"), _by_probe(teacher, "agreement")
    return {probe: overlap(mine[probe][0], theirs[probe][0]) for probe in theirs if probe in mine}


# ---- style ----------------------------------------------------------------------------------


def _style_pipeline() -> Any:
    from sklearn.calibration import CalibratedClassifierCV  # noqa: PLC0415
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from sklearn.pipeline import make_pipeline, make_union  # noqa: PLC0415

    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True),
    )
    classifier = CalibratedClassifierCV(LogisticRegression(C=4.0, max_iter=2000), method="sigmoid", cv=3)
    return make_pipeline(features, classifier)


def style_scores(
    teacher: Sequence[str], references: Sequence[str], suspect: Sequence[str], *, seed: int = 0
) -> tuple[list[float], list[float], list[float], list[str]]:
    """(suspect scores, references' out-of-fold scores, teacher's out-of-fold scores, teacher phrases)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict  # noqa: PLC0415

    texts = [*teacher, *references]
    labels = np.array([1] * len(teacher) + [0] * len(references))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    out_of_fold = cross_val_predict(_style_pipeline(), texts, labels, cv=folds, method="predict_proba")[:, 1]
    fitted = _style_pipeline().fit(texts, labels)
    suspect_scores = fitted.predict_proba(list(suspect))[:, 1] if suspect else np.empty(0)
    phrases = _teacher_phrases(texts, labels)
    return (
        [float(v) for v in suspect_scores],
        [float(v) for v in out_of_fold[labels == 0]],
        [float(v) for v in out_of_fold[labels == 1]],
        phrases,
    )


def _teacher_phrases(texts: Sequence[str], labels: Any, top: int = 12) -> list[str]:
    """The word n-grams that most mark the teacher's answers (evidence for an analyst)."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts)
    weights = LogisticRegression(C=4.0, max_iter=2000).fit(matrix, labels).coef_[0]
    names = vectorizer.get_feature_names_out()
    return [str(names[i]) for i in np.argsort(-weights)[:top] if weights[i] > 0]


# ---- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TestResult:
    """One test: its name, null hypothesis, statistic, p-value and evidence."""

    name: str
    null: str
    statistic: float
    p_value: float
    evidence: str
    details: dict[str, Any]


def identity_test(
    suspect: ModelAnswers, teacher: ModelAnswers, references: Sequence[ModelAnswers], names: Sequence[str]
) -> TestResult:
    """Test whether the suspect names the teacher (or its maker) more often than the references do."""
    chosen = list(names) or names_from_teacher(teacher.texts("identity"), [r.texts("identity") for r in references])
    rates: dict[str, dict[str, int]] = {}
    for answers in (suspect, teacher, *references):
        hits = names_hit(answers.texts("identity"), chosen)
        rates[answers.label] = {"named": int(sum(hits)), "answers": len(hits)}
    s = rates[suspect.label]
    r_named = sum(rates[r.label]["named"] for r in references)
    r_total = sum(rates[r.label]["answers"] for r in references)
    p = naming_test(s["named"], s["answers"], r_named, r_total) if chosen else 1.0
    share = s["named"] / max(1, s["answers"])
    evidence = (
        f"{suspect.label} names {', '.join(chosen) or '(no names)'} in {s['named']} of {s['answers']} identity "
        f"answers; the references in {r_named} of {r_total}; the teacher in "
        f"{rates[teacher.label]['named']} of {rates[teacher.label]['answers']}"
    )
    return TestResult(
        "identity",
        "the suspect names the teacher or its maker no more often than the reference models do",
        share,
        p,
        evidence,
        {"names": chosen, "rates": rates},
    )


def agreement_test(
    suspect: ModelAnswers, teacher: ModelAnswers, references: Sequence[ModelAnswers], *, seed: int = 0
) -> TestResult:
    """Test whether the suspect agrees with the teacher more than the references do, on open questions."""
    suspect_values = agreement_values(suspect, teacher)
    reference_values = [agreement_values(r, teacher) for r in references]
    probes = sorted(set(suspect_values).intersection(*[set(v) for v in reference_values]))
    s = np.array([suspect_values[p] for p in probes])
    r = np.array([[values[p] for p in probes] for values in reference_values]).reshape(len(references), len(probes))
    statistic, p = exchange_test(s, r, seed=seed)
    means = {suspect.label: float(s.mean()) if s.size else 0.0}
    means.update({ref.label: float(row.mean()) if row.size else 0.0 for ref, row in zip(references, r, strict=True)})
    evidence = (
        f"on {len(probes)} open questions {suspect.label}'s answers share {means[suspect.label]:.2f} of their content "
        f"words with the teacher's, the references "
        + ", ".join(f"{ref.label} {means[ref.label]:.2f}" for ref in references)
    )
    return TestResult(
        "agreement",
        "the suspect is as independent of the teacher as the references (exchangeable with them per question)",
        statistic,
        p,
        evidence,
        {"mean_overlap": means, "probes": len(probes)},
    )


def style_test(
    suspect: ModelAnswers, teacher: ModelAnswers, references: Sequence[ModelAnswers], *, seed: int = 0
) -> TestResult:
    """Test whether the suspect writes (and refuses) like the teacher, by a calibrated classifier."""
    reference_texts = [text for r in references for text in r.texts("style")]
    scores, reference_oof, teacher_oof, phrases = style_scores(
        teacher.texts("style"), reference_texts, suspect.texts("style"), seed=seed
    )
    p = rank_test(scores, reference_oof)
    mean = float(np.mean(scores)) if scores else 0.0
    evidence = (
        f"a calibrated classifier gives {suspect.label}'s answers a mean probability {mean:.2f} of being the "
        f"teacher's; out of fold, the references' {np.mean(reference_oof):.2f} and the teacher's own "
        f"{np.mean(teacher_oof):.2f}. Teacher phrases: {', '.join(phrases[:6])}"
    )
    return TestResult(
        "style",
        "the suspect's answers score no higher on the teacher-vs-references classifier than the references' own",
        mean,
        p,
        evidence,
        {
            "suspect_mean": mean,
            "reference_out_of_fold_mean": float(np.mean(reference_oof)),
            "teacher_out_of_fold_mean": float(np.mean(teacher_oof)),
            "teacher_phrases": phrases,
        },
    )


@dataclass
class ProbeReport:
    """The whole run: every model's answers (or error), the tests, and their combination."""

    suspect: ModelAnswers
    teacher: ModelAnswers
    references: list[ModelAnswers]
    tests: list[TestResult]
    error: str | None = None
    extra_tests: list[TestResult] = field(default_factory=list)

    @property
    def all_tests(self) -> list[TestResult]:
        """The probe tests and any added one (radioactivity)."""
        return [*self.tests, *self.extra_tests]

    def combined(self) -> dict[str, Any]:
        """Holm-adjusted p-values and the Bonferroni global p-value over every test."""
        tests = self.all_tests
        adjusted = holm([t.p_value for t in tests])
        return {
            "method": "Holm step-down over dependent tests; global p = min(1, k * min p) (Bonferroni)",
            "tests": len(tests),
            "global_p_value": min(adjusted) if adjusted else 1.0,
            "holm_adjusted": {t.name: p for t, p in zip(tests, adjusted, strict=True)},
        }

    def record(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "format": "distillguard-forensics-probe",
            "version": 1,
            "error": self.error,
            "suspect": self.suspect.label,
            "teacher": self.teacher.label,
            "references": [r.label for r in self.references],
            "tests": [
                {
                    "name": t.name,
                    "null": t.null,
                    "statistic": t.statistic,
                    "p_value": t.p_value,
                    "evidence": t.evidence,
                    "details": t.details,
                }
                for t in self.all_tests
            ],
            "combined": self.combined(),
            "models": [m.record() for m in (self.suspect, self.teacher, *self.references)],
        }


def analyse(
    suspect: ModelAnswers,
    teacher: ModelAnswers,
    references: Sequence[ModelAnswers],
    *,
    names: Sequence[str] = (),
    seed: int = 0,
) -> ProbeReport:
    """The three tests on collected answers; models that failed are left out (and said so)."""
    usable = [r for r in references if r.error is None]
    report = ProbeReport(suspect, teacher, list(references), [])
    missing = [m.label for m in (suspect, teacher) if m.error is not None]
    if missing:
        report.error = f"no test could run: {', '.join(missing)} failed"
        return report
    if not usable:
        report.error = "no test could run: every reference model failed"
        return report
    report.tests = [
        identity_test(suspect, teacher, usable, names),
        agreement_test(suspect, teacher, usable, seed=seed),
        style_test(suspect, teacher, usable, seed=seed),
    ]
    return report
