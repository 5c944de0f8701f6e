"""The fast skeleton reads only a long text's ends and must equal the whole-text reading."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from distillguard.signals.template_key import _WORD, EDGE_WORDS, _masked, skeleton_of_prepared


def whole_text_skeleton(prepared: str) -> str:
    words = _masked(_WORD.findall(prepared))
    if len(words) <= 2 * EDGE_WORDS:
        return " ".join(words)
    return " ".join(words[:EDGE_WORDS]) + " … " + " ".join(words[-EDGE_WORDS:])


_PIECES = st.sampled_from(["word", "12", "#", " ", "  ", "\n", "longwordwithoutspaces" * 7, "a", "?", "[x]", "é"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=0, max_size=600))
def test_skeleton_reads_the_ends_like_the_whole_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert skeleton_of_prepared(text) == whole_text_skeleton(text)


def test_a_long_wrapper_keys_on_its_ends() -> None:
    middle = " ".join(f"item{i}" for i in range(2_000))
    text = f"here is a question and a completed response {middle} now explain it step by step 42"
    assert skeleton_of_prepared(text) == "here is a question and a … explain it step by step <n>"
