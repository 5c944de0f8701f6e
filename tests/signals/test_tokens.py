"""Polars (a column) and Python's ``re`` (a few texts) must split every text into the same tokens."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillguard.signals.featurize import preprocess
from distillguard.signals.template_key import _skeletons_of_column, skeleton_of_prepared
from distillguard.signals.tokens import SMALL_BATCH, WORDS_AND_MARKS, WORDS_AND_SYMBOLS, TokenPattern, Tokens, split
from tests.conftest import corpus_path

PATTERNS = (WORDS_AND_MARKS, WORDS_AND_SYMBOLS)
CUTS: tuple[dict[str, int], ...] = ({}, {"first": 200}, {"last": 200})

# Scripts and characters where Python's and Rust's classes could part: Devanagari vowel signs (combining
# marks), Thai, Arabic and Hebrew, Hangul, full-width and superscript digits, fractions, emoji with
# variation selectors, zero-width joiners, and the separators U+001C-U+001F that Python counts as spaces.
SCRIPTS = (
    "नमस्ते, आप कैसे हैं? कृपया अपना तर्क चरण दर चरण लिखें।",
    "กรุณาอธิบายเหตุผลของคุณทีละขั้นตอน",
    "اشرح تفكيرك خطوة بخطوة، من فضلك.",
    "הסבר את הנימוק שלך שלב אחר שלב",
    "단계별로 추론 과정을 설명해 주세요",
    "\uff11\uff12\uff13 \uff15\uff10\uff10\uff10 500cm³ ¾ cup x² Ⅻ ٣٤٥",  # full-width digits
    "❤️ 👩\u200d💻 rate\u200bthis\ufeff now",
    "a\x1cb\x1dc\x1ed\x1ff\x85g\xa0h\u2028i\u3000j",
    "snake_case and ‿tie⁀ and naïve café",
)


def _both(texts: list[str], pattern: TokenPattern, **cut: int) -> tuple[Tokens, list[Tokens]]:
    padded = texts + [""] * max(0, SMALL_BATCH - len(texts))  # a column long enough for polars
    return split(padded, pattern, **cut), [split([text], pattern, **cut) for text in texts]


def _assert_same(texts: list[str]) -> None:
    for pattern in PATTERNS:
        for cut in CUTS:
            column, ones = _both(texts, pattern, **cut)
            for row, one in enumerate(ones):
                assert column.of_text(row) == one.flat.to_pylist(), (pattern.rust, cut, texts[row])


def test_python_and_polars_agree_on_many_scripts() -> None:
    _assert_same([preprocess(text) for text in SCRIPTS])


def test_python_and_polars_agree_on_real_prompts() -> None:
    path = corpus_path("users_arena_hard_v0.1_questions.jsonl")
    prompts = [json.loads(line)["prompt"] for line in path.read_text(encoding="utf-8").splitlines()]
    _assert_same([preprocess(p) for p in prompts[:300]])


# Characters assigned in Python's Unicode tables (unassigned ones may be assigned in Rust's newer tables).
_ASSIGNED = st.text(st.characters(exclude_categories=("Cs", "Cn")), max_size=400)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ASSIGNED, min_size=1, max_size=4))
def test_python_and_polars_agree_on_any_text(texts: list[str]) -> None:
    _assert_same([preprocess(t) for t in texts])


@settings(max_examples=100, deadline=None)
@given(st.lists(_ASSIGNED, min_size=1, max_size=4))
def test_skeletons_of_a_column_are_the_python_ones(texts: list[str]) -> None:
    prepared = [preprocess(t) for t in texts]
    column = _skeletons_of_column(prepared + [""] * SMALL_BATCH)
    assert column[: len(prepared)] == [skeleton_of_prepared(p) for p in prepared]


@pytest.mark.parametrize("rows", [0, 1, SMALL_BATCH])
def test_texts_without_tokens(rows: int) -> None:
    tokens = split([" ! "] * rows, WORDS_AND_MARKS)
    assert tokens.lengths.tolist() == [0] * rows
    assert tokens.codes()[1].tolist() == []
