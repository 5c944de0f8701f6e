"""A language is never evidence on its own: the benign twin of every multilingual positive does not fire.

The extraction families were trained on asks in fourteen languages (``training/languages.py``, ``cot_asks``). For each
family, each language with asks for it, each of its layouts (with the language's own labels, "Frage", "Réponse", ...)
and each plain request of that language ("translate this", "can you help me with this?"), the same layout is filled
with items of the evaluation split (MATH, WizardLM, HumanEval, Arena-Hard: never a training item) and scored: no family
may fire. Only the ask makes a prompt an extraction attempt; the words that make a language must count for nothing.
The positives themselves, in the same layouts, must still fire (else the test would pass on a model that fires never).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from distillguard.signals.detectors import FIRES_AT
from distillguard.signals.extraction import FAMILIES, builtin_model
from distillguard.simulate.corpus import Pools, load_pools
from training.build import LANGUAGE_ITEM_CHARS, eval_slots
from training.languages import every_twin, language_wrapper

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "data" / "corpora"
ITEMS_PER_TWIN = 3

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPORA.is_dir(), reason="needs the shared corpora beside the project"),
]


@pytest.fixture(scope="module")
def pools() -> Pools:
    return load_pools(CORPORA)


def _filled(wrapper: str, draw: dict[str, str]) -> str:
    slots = draw | {k: draw[k][:LANGUAGE_ITEM_CHARS] for k in ("q", "a", "b")}
    return wrapper.format_map(slots)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_benign_twin_of_every_multilingual_positive_does_not_fire(pools: Pools, family: str) -> None:
    draw = eval_slots(pools, random.Random(f"twins-test-{family}"), family)
    twins = [
        (language, _filled(wrapper, draw())) for language, wrapper in every_twin(family) for _ in range(ITEMS_PER_TWIN)
    ]
    scores = builtin_model().score([text for _, text in twins])
    fired = [
        (language, text[:120]) for (language, text), row in zip(twins, scores, strict=True) if row.max() >= FIRES_AT
    ]
    assert not fired, f"{len(fired)} of {len(twins)} benign twins fire: {fired[:5]}"


@pytest.mark.parametrize("family", FAMILIES)
def test_the_multilingual_positives_themselves_fire(pools: Pools, family: str) -> None:
    rng = random.Random(f"positives-test-{family}")
    draw = eval_slots(pools, rng, family)
    texts = [_filled(language_wrapper(family, rng), draw()) for _ in range(200)]
    fires = builtin_model().score(texts)[:, FAMILIES.index(family)] >= FIRES_AT
    assert np.mean(fires) >= 0.9
