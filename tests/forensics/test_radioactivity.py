"""Radioactivity: the experiment in small (a tiny teacher, students trained here), the null, the copy filter."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from distillguard.forensics.radioactivity import closed_mode, open_mode, prediction_pairs
from distillguard.watermark.keys import WatermarkKey, generate_key
from distillguard.watermark.schemes import GreenList, scheme_for
from tests.forensics.conftest import SENTENCES, ascii_ids, tiny_model, tiny_tokenizer, torch_or_skip


def test_prediction_pairs_put_each_prediction_after_its_prefix() -> None:
    sequences = [np.array([5, 6, 7]), np.array([9])]
    predictions = [np.array([60, 70, 80]), np.array([90])]
    contexts, tokens = prediction_pairs(sequences, predictions, 2)
    # prediction after [5] has context (-1, 5); after [5, 6]: (5, 6); after [5, 6, 7]: (6, 7)
    assert contexts.tolist() == [[-1, 5], [5, 6], [6, 7], [-1, 9]]
    assert tokens.tolist() == [60, 70, 80, 90]


class _Copier:
    """A model that predicts the fed text itself (as a strong model often does): the filter's target."""

    label = "copier"

    def chat(self, prompts: Any, *, max_new_tokens: int, temperature: float, seed: int) -> list[str]:
        return ["" for _ in prompts]

    def predict_next(self, sequences: Any, tokenizer: Any) -> list[Any]:
        return [np.append(np.asarray(seq[1:]), -1) for seq in sequences]


@pytest.fixture(scope="module")
def experiment() -> dict[str, Any]:
    """A tiny teacher writes watermarked and plain answers; one student learns each (the test-sized e2e)."""
    torch = torch_or_skip()
    from transformers import LogitsProcessorList

    from benchmarks.forensics_e2e import GreenListBoost, train_student
    from distillguard.forensics.local_model import LocalModel

    tokenizer = tiny_tokenizer()
    teacher = LocalModel("teacher", tiny_model(tokenizer, seed=3, hidden=32), tokenizer, batch_size=32)
    # a fixed secret: the run is the same every time (a fresh key per test would make its p-values vary)
    scheme = GreenList(WatermarkKey("kgw", bytes(range(32)), context_width=1, gamma=0.25, delta=4.0))
    prompts = [SENTENCES[i % len(SENTENCES)] for i in range(96)]

    allowed = torch.full((len(tokenizer),), float("-inf"))
    allowed[ascii_ids(tokenizer)] = 0.0  # printable ASCII only: the text round trip keeps every id

    def ascii_only(_: Any, scores: Any) -> Any:
        return scores + allowed

    def marking(width: int) -> Any:
        return LogitsProcessorList([ascii_only, GreenListBoost(scheme, width)])

    def plain_text(width: int) -> Any:
        return LogitsProcessorList([ascii_only])

    marked = teacher.chat(prompts, max_new_tokens=40, temperature=1.0, seed=1, processors=marking)
    plain = teacher.chat(prompts, max_new_tokens=40, temperature=1.0, seed=2, processors=plain_text)
    fresh = teacher.chat(prompts[:32], max_new_tokens=40, temperature=1.0, seed=3, processors=marking)
    options: dict[str, Any] = {"hidden": 64, "layers": 1, "epochs": 120, "batch_size": 32, "learning_rate": 1e-2}
    student = train_student(tokenizer, list(zip(prompts, marked, strict=True)), **options)
    control = train_student(tokenizer, list(zip(prompts, plain, strict=True)), **options)
    return {
        "scheme": scheme,
        "tokenizer": tokenizer,
        "student": LocalModel("student", student, tokenizer),
        "control": LocalModel("control", control, tokenizer),
        "teacher": teacher,
        "fresh": fresh,
        "prompts": prompts[:32],
    }


def test_a_student_of_watermarked_text_is_radioactive_and_its_control_is_not(experiment: dict[str, Any]) -> None:
    scheme, tokenizer, fresh = experiment["scheme"], experiment["tokenizer"], experiment["fresh"]
    student = open_mode(scheme, experiment["student"], fresh, tokenizer)
    control = open_mode(scheme, experiment["control"], fresh, tokenizer)
    assert student.detection.p_value < 1e-4, student.record()
    assert control.detection.p_value > 1e-3, control.record()
    assert student.detection.tokens_scored > 20
    assert student.record()["mode"] == "open"
    closed = closed_mode(scheme, experiment["student"], experiment["prompts"], tokenizer, max_new_tokens=30)
    closed_control = closed_mode(scheme, experiment["control"], experiment["prompts"], tokenizer, max_new_tokens=30)
    assert closed.detection.p_value < 1e-3, closed.record()
    assert closed_control.detection.p_value > 1e-3, closed_control.record()


def test_open_mode_p_values_are_uniform_under_keys_the_model_never_saw(experiment: dict[str, Any]) -> None:
    # The control student, the teacher (which never generated under these keys) and 150 fresh keys:
    # the p-values must not pile up near 0.
    p_values = []
    for index in range(150):
        scheme = scheme_for(generate_key("kgw", context_width=1, gamma=0.25, delta=4.0))
        model = experiment["control"] if index % 2 else experiment["teacher"]
        p_values.append(open_mode(scheme, model, experiment["fresh"], experiment["tokenizer"]).detection.p_value)
    # discrete binomial p-values are conservative: P(p <= a) <= a
    assert np.mean(np.array(p_values) <= 0.05) <= 0.12
    assert stats.kstest(p_values, "uniform", alternative="greater").pvalue > 0.001


def test_copying_the_fed_text_is_never_counted(experiment: dict[str, Any]) -> None:
    scheme, tokenizer, fresh = experiment["scheme"], experiment["tokenizer"], experiment["fresh"]
    result = open_mode(scheme, _Copier(), fresh, tokenizer)
    assert result.excluded_copies > 100
    assert result.detection.tokens_scored == 0
    assert result.detection.p_value == 1.0
