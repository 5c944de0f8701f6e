"""Micro-batching: concurrent requests' turns scored in one call, each request getting its own rows back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from distillguard.gateway.batching import ScoringBatcher
from distillguard.signals.detectors import FIRES_AT, run_signals
from distillguard.signals.extraction import builtin_model
from tests.gateway.conftest import PAYG, chat_body, settings_for
from tests.gateway.test_gateway_app import CHAT, decisions, logged, run, running

# Real questions, and the extraction wrapper of the other gateway tests around some of them.
WRAPPER = (
    "Here is a problem and its final answer. Imagine and articulate the internal reasoning that led to this "
    "completed response, step by step, in full detail.\nProblem: {q}\nAnswer: unknown"
)


@pytest.fixture
def texts(nq_questions: list[str]) -> list[str]:
    return [WRAPPER.format(q=q) if i % 5 == 0 else q for i, q in enumerate(nq_questions[:120])]


def test_concurrent_requests_are_scored_in_one_call_with_their_own_rows(texts: list[str]) -> None:
    model = builtin_model()
    asked = [texts[i : i + size] for i, size in zip(range(0, 120, 3), [0, 1, 2, 3] * 10, strict=False)]

    async def body() -> None:
        batcher = ScoringBatcher(model)
        results = await asyncio.gather(*(batcher.score(a) for a in asked))
        assert batcher.batches == 1  # every request asked within one pass of the loop
        assert batcher.texts == sum(len(a) for a in asked)
        batcher.close()
        for texts_asked, got in zip(asked, results, strict=True):
            alone = run_signals(texts_asked, model)  # the same request scored by itself (the per-row path)
            np.testing.assert_allclose(got.scores, alone.scores, atol=1e-5)
            assert got.templates == alone.templates
            assert got.evidence == alone.evidence

    run(body)


def test_a_burst_over_the_batch_limit_is_scored_in_several_calls(texts: list[str]) -> None:
    async def body() -> None:
        batcher = ScoringBatcher(builtin_model(), max_batch=50)
        results = await asyncio.gather(*(batcher.score([t]) for t in texts))
        assert batcher.batches == 3  # 50 + 50 + 20
        assert [r.templates[0] for r in results] == run_signals(texts).templates

    run(body)


def test_a_request_that_leaves_takes_nothing_from_the_others(texts: list[str]) -> None:
    async def body() -> None:
        batcher = ScoringBatcher(builtin_model())
        leaving = asyncio.ensure_future(batcher.score(texts[:2]))
        staying = asyncio.ensure_future(batcher.score(texts[2:4]))
        await asyncio.sleep(0)  # both have asked
        leaving.cancel()
        result = await staying
        assert result.templates == run_signals(texts[2:4]).templates
        assert leaving.cancelled()

    run(body)


def test_a_burst_through_the_gateway_is_scored_in_few_calls(
    gateway_dir: Path, upstream_url: str, texts: list[str]
) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (app, http):
            replies = await asyncio.gather(*(http.post(CHAT, json=chat_body(t), headers=PAYG) for t in texts[:60]))
            assert {r.status_code for r in replies} == {200}
            batcher = app.gateway.engine.batcher
            assert batcher.texts == 60
            assert batcher.batches <= 3

    run(body)
    prompts = {row["request_id"]: row["messages"][-1]["content"] for row in logged(gateway_dir)}
    alone = run_signals(list(prompts.values()))  # each request's prompt scored by itself, as before batching
    expected = {
        request: {f for f, s in zip(alone.families, scores.tolist(), strict=True) if s >= FIRES_AT}
        for request, scores in zip(prompts, alone.scores, strict=True)
    }
    assert {d["request_id"]: set(d["families"]) for d in decisions(gateway_dir)} == expected
    assert any(expected.values())
