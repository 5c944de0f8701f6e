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
    """No twin fires where the same layout, item and request in English does not: the language adds nothing.

    Function schemas fire tool_trajectory in any language (agent developers send them: its known false positive),
    and some items fire asked bare; those twins are measured against their English counterpart, which fires too.
    """
    draw = eval_slots(pools, random.Random(f"twins-test-{family}"), family)
    draws = [(twin, draw()) for twin in every_twin(family) for _ in range(ITEMS_PER_TWIN)]
    model = builtin_model()
    twins = model.score([_filled(twin.wrapper, slots) for twin, slots in draws]).max(axis=1) >= FIRES_AT
    english = model.score([_filled(twin.english, slots) for twin, slots in draws]).max(axis=1) >= FIRES_AT
    fired = [
        (twin.language, _filled(twin.wrapper, slots)[:120])
        for (twin, slots), fires, fires_in_english in zip(draws, twins, english, strict=True)
        if fires and not fires_in_english
    ]
    assert not fired, f"{len(fired)} of {len(draws)} benign twins fire where their English one does not: {fired[:5]}"
    if family != "tool_trajectory":  # whose layouts carry function schemas, which fire it in English too
        assert english.mean() < 0.5, "the English counterparts fire: the test would show nothing"


@pytest.mark.parametrize("family", FAMILIES)
def test_the_multilingual_positives_themselves_fire(pools: Pools, family: str) -> None:
    rng = random.Random(f"positives-test-{family}")
    draw = eval_slots(pools, rng, family)
    texts = [_filled(language_wrapper(family, rng), draw()) for _ in range(200)]
    fires = builtin_model().score(texts)[:, FAMILIES.index(family)] >= FIRES_AT
    assert np.mean(fires) >= 0.9
