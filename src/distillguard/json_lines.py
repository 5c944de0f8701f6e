"""JSON Lines records that every line splitter reads back as one line each.

JSON allows U+0085, U+2028 and U+2029 unescaped inside strings, and orjson writes them
raw; but readers that split on every Unicode line break (Python's ``str.splitlines``,
many editors and log shippers) would cut such a record in two. Every JSON Lines output of
the project (quarantined rows, v1 exports, the gateway's event log, ``detect --format
jsonl``) goes through :func:`dumps_line`, which escapes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import orjson

_LINE_BREAKS: Final = ((b"\xc2\x85", b"\\u0085"), (b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


def dumps_line(value: Any, *, option: int = 0, default: Callable[[Any], Any] | None = None) -> bytes:
    """``orjson.dumps(value)`` with the Unicode line breaks inside strings escaped.

    UTF-8 is self-synchronising, so these byte sequences only ever occur as those characters,
    which outside strings JSON does not allow: replacing them escapes exactly those characters.
    """
    out = orjson.dumps(value, default=default, option=option)
    for raw, escaped in _LINE_BREAKS:
        if raw in out:
            out = out.replace(raw, escaped)
    return out
