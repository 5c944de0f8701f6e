"""The probe tests on answers whose truth is known, and a model failing mid-run."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from distillguard.errors import ModelUnavailableError
from distillguard.forensics.probe_set import PROBES, probes_of
from distillguard.forensics.probes import (
    ModelAnswers,
    ProbeSettings,
    analyse,
    collect,
    names_from_teacher,
    names_hit,
    overlap,
)

# Answers in the voice of three assistants; the phrases are what each habitually says.
TEACHER_VOICE = ("I'm SmolLM, made by Hugging Face.", "As SmolLM, a helpful AI assistant, I would say")
OTHER_VOICE = ("I am a language model.", "Well, here is my take:")
CHOICES = ("apple", "banana", "cherry", "mango", "kiwi", "plum", "pear", "grape")


def _answers(label: str, voice: Sequence[str], choice_of: dict[str, str], seed: int) -> ModelAnswers:
    rng = random.Random(seed)
    answers: dict[str, list[tuple[str, str]]] = {"identity": [], "agreement": [], "style": []}
    for probe in PROBES:
        if probe.section == "agreement":
            answers["agreement"].append((probe.probe_id, f"I pick {choice_of[probe.probe_id]} today."))
            continue
        for _ in range(2):
            opening = voice[0] if probe.section == "identity" else voice[1]
            answers[probe.section].append((probe.probe_id, f"{opening} {rng.choice(CHOICES)} {probe.prompt.lower()}"))
    return ModelAnswers(label, answers)


def _choices(seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    return {probe.probe_id: rng.choice(CHOICES) for probe in probes_of("agreement")}


def test_a_student_that_speaks_and_chooses_like_its_teacher_stands_out() -> None:
    teacher_choices = _choices(1)
    teacher = _answers("teacher", TEACHER_VOICE, teacher_choices, 1)
    student = _answers("student", TEACHER_VOICE, teacher_choices, 2)
    references = [_answers(f"ref{i}", OTHER_VOICE, _choices(10 + i), 10 + i) for i in range(2)]
    report = analyse(student, teacher, references)
    p = {t.name: t.p_value for t in report.tests}
    assert p["identity"] < 1e-6
    assert p["agreement"] < 1e-3
    assert p["style"] < 1e-6
    assert report.combined()["global_p_value"] == pytest.approx(3 * min(p.values()))
    assert "SmolLM" in report.tests[0].details["names"]  # learnt from the teacher's own answers


def test_an_independent_model_does_not_stand_out() -> None:
    teacher = _answers("teacher", TEACHER_VOICE, _choices(1), 1)
    suspect = _answers("suspect", OTHER_VOICE, _choices(3), 3)
    references = [_answers(f"ref{i}", OTHER_VOICE, _choices(10 + i), 10 + i) for i in range(2)]
    report = analyse(suspect, teacher, references, names=["SmolLM", "Hugging Face"])
    assert all(t.p_value > 0.05 for t in report.tests), [(t.name, t.p_value) for t in report.tests]


def test_names_match_across_case_spaces_and_accents() -> None:
    assert names_hit(["made by huggingface", "HUGGING-FACE here", "a Facebook model"], ["Hugging Face"]) == [
        True,
        True,
        False,
    ]
    assert names_from_teacher(["I am SmolLM."] * 5, [["I am Gemma."] * 5]) == ["SmolLM"]


def test_overlap_reads_content_words() -> None:
    assert overlap("I pick apple today.", "Apple! The one I pick today.") == 1.0
    assert overlap("I pick apple.", "I pick mango.") == pytest.approx(1 / 3)  # {pick} of {pick, apple, mango}
    assert overlap("Apple.", "Mango.") == 0.0


class _FailsOnSecondCall:
    label = "flaky"

    def __init__(self) -> None:
        self.calls = 0

    def chat(self, prompts: Sequence[str], *, max_new_tokens: int, temperature: float, seed: int) -> list[str]:
        self.calls += 1
        if self.calls > 1:
            raise ModelUnavailableError("flaky: http://127.0.0.1:1/v1/chat/completions answered HTTP 502")
        return ["hello" for _ in prompts]


def test_a_model_failing_mid_run_is_recorded_and_the_analysis_says_why() -> None:
    answers = collect(_FailsOnSecondCall(), ProbeSettings(limit=2))
    assert answers.error is not None
    assert "HTTP 502" in answers.error
    assert answers.answers == {}
    teacher = _answers("teacher", TEACHER_VOICE, _choices(1), 1)
    report = analyse(answers, teacher, [_answers("ref", OTHER_VOICE, _choices(2), 2)])
    assert report.error == "no test could run: flaky failed"
    assert report.record()["tests"] == []
