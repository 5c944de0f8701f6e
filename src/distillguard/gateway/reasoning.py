"""Removing reasoning from responses: the ``reasoning_content`` / ``reasoning`` fields and ``<think>`` blocks.

Servers return reasoning either as a separate field of the message (``reasoning_content`` in
vLLM and DeepSeek's API, ``reasoning`` in others) or inline, between ``<think>`` and
``</think>`` in the content. In a stream, a tag may be split across chunks (``<thi`` then
``nk>``); :class:`ThinkStripper` holds back the few characters that could start a tag until
the next chunk says what they are, so nothing inside a block leaks and nothing outside is lost.
"""

from __future__ import annotations

from typing import Any, Final

REASONING_FIELDS: Final = ("reasoning_content", "reasoning")
OPEN: Final = "<think>"
CLOSE: Final = "</think>"


def _partial_tag_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper beginning of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


class ThinkStripper:
    """Streams text through, dropping every ``<think>...</think>`` block (an unclosed one to the end)."""

    def __init__(self) -> None:
        self._inside = False
        self._held = ""
        self._after_block = False  # newlines right after a block belong to it

    def feed(self, text: str) -> str:
        """The visible part of ``text``, given everything fed before."""
        buffer = self._held + text
        self._held = ""
        out: list[str] = []
        while buffer:
            tag = CLOSE if self._inside else OPEN
            at = buffer.find(tag)
            if at >= 0:
                if not self._inside:
                    out.append(self._visible(buffer[:at]))
                buffer = buffer[at + len(tag) :]
                self._inside = not self._inside
                self._after_block = not self._inside
                continue
            keep = _partial_tag_suffix(buffer, tag)
            if not self._inside:
                out.append(self._visible(buffer[: len(buffer) - keep]))
            self._held = buffer[len(buffer) - keep :]
            break
        return "".join(out)

    def _visible(self, text: str) -> str:
        if self._after_block and text:
            text = text.lstrip("\n")
            self._after_block = not text
        return text

    def finish(self) -> str:
        """What is still held at the end of the stream (a lone ``<thi`` is text, not a tag)."""
        held, self._held = self._held, ""
        return "" if self._inside else self._visible(held)


def strip_text(text: str) -> str:
    """``text`` without its ``<think>`` blocks."""
    stripper = ThinkStripper()
    return stripper.feed(text) + stripper.finish()


def pop_reasoning(message: dict[str, Any]) -> bool:
    """Remove the reasoning fields of a message or a stream delta in place; ``True`` if any held text."""
    found = False
    for name in REASONING_FIELDS:
        value = message.pop(name, None)
        found = found or bool(value)
    return found
