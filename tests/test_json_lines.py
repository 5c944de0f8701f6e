"""JSON Lines records stay one line for every line splitter, and read back unchanged."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from distillguard.json_lines import dumps_line


@given(st.dictionaries(st.text(), st.text() | st.integers(-(2**63), 2**63 - 1) | st.none(), max_size=4))
def test_a_record_is_one_line_and_round_trips(record: dict[str, object]) -> None:
    line = dumps_line(record).decode()
    assert line.splitlines() == [line]
    assert json.loads(line) == record


def test_unicode_line_breaks_are_escaped() -> None:
    line = dumps_line({"raw": "a\u0085b\u2028c\u2029d"})
    assert line == b'{"raw":"a\\u0085b\\u2028c\\u2029d"}'
