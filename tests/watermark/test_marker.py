"""The text-level marker: which answers show it, and the exact test against a base rate."""

from __future__ import annotations

import pytest
from scipy import stats

from distillguard.errors import WatermarkError
from distillguard.watermark.marker import instruction, marker_p_value, shows_marker


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Rain forms when droplets grow heavy. Would you like to know how snow forms?", True),
        ("Here is the plan.\n\nShall I draft the email for you? **", True),  # trailing emphasis
        ('He asked "why?"', True),
        ("¿Quieres que te explique más?", True),
        ("もっと詳しく説明しましょうか？", True),  # noqa: RUF001 - a full-width question mark
        ("هل تريد أن أشرح أكثر؟", True),
        ("Why is the sky blue? Because air scatters blue light most.", False),  # a question, then an answer
        ("The answer is 42.", False),
        ("", False),
    ],
)
def test_shows_marker(text: str, shown: bool) -> None:
    assert bool(shows_marker([text])[0]) is shown


def test_marker_p_value_is_the_exact_binomial_tail() -> None:
    texts = ["Want more?"] * 7 + ["Done."] * 13
    shown, total, p_value = marker_p_value(texts, 0.04)
    assert (shown, total) == (7, 20)
    assert p_value == pytest.approx(float(stats.binom.sf(6, 20, 0.04)))
    with pytest.raises(WatermarkError, match="base rate"):
        marker_p_value(texts, 0.0)


def test_unknown_marker_is_refused() -> None:
    assert "follow-up question" in instruction("follow-up-question")
    with pytest.raises(WatermarkError, match="unknown marker"):
        instruction("emoji")
