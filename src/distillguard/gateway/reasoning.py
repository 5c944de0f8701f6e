"""Removing reasoning from responses, whatever shape the server gave it.

The shapes the servers people run return (each in a whole message and in a stream's delta):

- a field beside the answer: ``reasoning_content`` (DeepSeek, vLLM, LiteLLM), ``reasoning``
  (OpenAI-style layers, OpenRouter, Ollama, newer vLLM), ``reasoning_details`` (OpenRouter: a list of
  text, summary and encrypted parts), ``thinking`` (Ollama), ``thinking_blocks`` (LiteLLM's copy of
  Anthropic's blocks), also inside LiteLLM's ``provider_specific_fields``;
- content given as a list of parts, with Anthropic-style ``thinking`` / ``redacted_thinking`` (or
  ``reasoning``) parts beside the ``text`` ones, as OpenAI-compatible layers over Claude pass them on;
- inline tags in the text: ``<think>...</think>`` in any case, with spaces or attributes
  (``<THINK>``, ``<think >``, ``<think type="x">``), ``<thinking>`` and ``<reasoning>`` blocks; and
  text before a closing tag that no opening tag began (DeepSeek-R1 and Qwen3 chat templates open the
  block in the prompt, so a server without a reasoning parser sends only ``...</think>``);
- per-token ``logprobs``, which carry the reasoning's tokens too (and are themselves the richest
  distillation signal): withheld.

In a stream a tag may be split across chunks (``<thi`` then ``nk>``): :class:`ThinkStripper` holds
back what could still begin a tag until the next chunk says what it is, so nothing inside a block
leaks and nothing outside is lost; while no tag has been seen it holds the text back whole (the
closing tag may yet come), unless ``strip_unopened`` is off. Both the gateway (dicts from JSON) and
the LiteLLM guardrail (LiteLLM's objects) edit through :func:`strip_message`.
"""

from __future__ import annotations

import re
from typing import Any, Final

REASONING_FIELDS: Final = (
    "reasoning_content",
    "reasoning",
    "reasoning_details",
    "reasoning_text",
    "thinking",
    "thinking_blocks",
)
#: Types of content parts that hold reasoning (Anthropic's blocks, and what layers over it call them).
REASONING_PARTS: Final = frozenset({"thinking", "redacted_thinking", "reasoning", "reasoning_text", "summary_text"})
TAG_NAMES: Final = ("think", "thinking", "reasoning")
_NAMES: Final = "|".join(TAG_NAMES)
_OPEN: Final = re.compile(rf"<({_NAMES})(?:[\s/][^<>]*)?>", re.IGNORECASE)
_CLOSE: Final = re.compile(rf"</\s*({_NAMES})\s*>", re.IGNORECASE)
_ANY: Final = re.compile(rf"<({_NAMES})(?:[\s/][^<>]*)?>|</\s*({_NAMES})\s*>", re.IGNORECASE)
_LETTERS: Final = re.compile(r"[A-Za-z]*")


def _could_begin_tag(text: str, *, closing_only: bool) -> bool:
    """Whether ``text`` (from a ``<``, holding no ``>``) may still become an opening or closing tag."""
    body = text[1:]
    closing = body.startswith("/")
    if closing:
        body = body[1:].lstrip()
    elif closing_only and body:
        return False
    name = _LETTERS.match(body).group(0).lower()  # type: ignore[union-attr]  # matches the empty string at worst
    rest = body[len(name) :]
    if not rest:
        return any(n.startswith(name) for n in TAG_NAMES)
    if name not in TAG_NAMES:
        return False
    return not rest.strip() if closing else rest[0].isspace() or rest[0] == "/"


def _held_suffix(text: str, *, closing_only: bool) -> int:
    """Where the end of ``text`` that could still begin a tag starts (``len(text)`` when none does)."""
    at = text.rfind("<")
    if at < 0 or ">" in text[at:]:
        return len(text)
    return at if _could_begin_tag(text[at:], closing_only=closing_only) else len(text)


class ThinkStripper:
    """Streams text through, dropping every reasoning block (an unclosed one to the end).

    ``strip_unopened``: text before a closing tag that no opening tag began is reasoning too; until
    the first tag (or the end) nothing is let through.
    """

    def __init__(self, *, strip_unopened: bool = True) -> None:
        self._undecided = strip_unopened
        self._inside: str | None = None  # the name of the block we are in
        self._held = ""  # the end of what was fed that could still begin a tag
        self._before_any_tag: list[str] = []  # undecided: text no tag has come after yet
        self._after_block = False  # newlines right after a block belong to it

    def feed(self, text: str) -> str:
        """The visible part of ``text``, given everything fed before."""
        buffer = self._held + text
        self._held = ""
        out: list[str] = []
        while buffer:
            if self._inside is not None:
                buffer = self._skip_block(buffer)
                continue
            found = (_ANY if self._undecided else _OPEN).search(buffer)
            if found is None:
                keep = _held_suffix(buffer, closing_only=False)
                if self._undecided:  # a closing tag may still come: hold everything
                    self._before_any_tag.append(buffer[:keep])
                else:
                    out.append(self._visible(buffer[:keep]))
                self._held = buffer[keep:]
                break
            before = buffer[: found.start()]
            if self._undecided:
                before, self._before_any_tag = "".join(self._before_any_tag) + before, []
            if found.group(0)[1] == "/":  # a closing tag before any opening one: what came before was reasoning
                self._after_block = True
            else:
                out.append(self._visible(before))
                if not found.group(0).endswith("/>"):  # <think/> is an empty block
                    self._inside = found.group(1).lower()
            self._undecided = False
            buffer = buffer[found.end() :]
        return "".join(out)

    def _skip_block(self, buffer: str) -> str:
        """``buffer`` after the end of the current block, or ``""`` (holding a possible closing tag)."""
        for found in _CLOSE.finditer(buffer):
            if found.group(1).lower() == self._inside:
                self._inside, self._after_block = None, True
                return buffer[found.end() :]
        self._held = buffer[_held_suffix(buffer, closing_only=True) :]
        return ""

    def _visible(self, text: str) -> str:
        if self._after_block and text:
            text = text.lstrip("\r\n")
            self._after_block = not text
        return text

    def finish(self) -> str:
        """What is still held at the end of the stream (a lone ``<thi``, or text no tag followed)."""
        held = "".join(self._before_any_tag) + self._held
        self._held, self._before_any_tag, self._undecided = "", [], False
        return "" if self._inside is not None else self._visible(held)


def strip_text(text: str, *, strip_unopened: bool = True) -> str:
    """``text`` without its reasoning blocks."""
    stripper = ThinkStripper(strip_unopened=strip_unopened)
    return stripper.feed(text) + stripper.finish()


# -- messages and deltas, as dicts (decoded JSON) or objects (LiteLLM's) ---------------------------


def get_field(obj: Any, name: str) -> Any:
    """``obj[name]`` of a dict, ``obj.name`` of an object; ``None`` when absent."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _drop(obj: Any, name: str) -> bool:
    """Remove field ``name`` of ``obj``; ``True`` if it held anything."""
    if isinstance(obj, dict):
        return obj.pop(name, None) not in (None, "", [], {})
    value = getattr(obj, name, None)
    if value is None:
        return False
    try:
        delattr(obj, name)
    except (AttributeError, TypeError, ValueError):
        setattr(obj, name, None)
    if getattr(obj, name, None) is not None:  # a class attribute showing through: hide it
        setattr(obj, name, None)
    return value not in ("", [], {})


def set_field(obj: Any, name: str, value: Any) -> None:
    """Set field ``name`` of a dict or an object."""
    if isinstance(obj, dict):
        obj[name] = value
    else:
        setattr(obj, name, value)


def drop_reasoning_fields(message: Any) -> bool:
    """Remove the reasoning fields of a message or delta (and of its ``provider_specific_fields``)."""
    found = False
    for name in REASONING_FIELDS:
        found = _drop(message, name) or found
    extra = get_field(message, "provider_specific_fields")
    if isinstance(extra, dict):
        for name in REASONING_FIELDS:
            found = _drop(extra, name) or found
    return found


def _part_type(part: Any) -> str:
    kind = get_field(part, "type")
    return kind if isinstance(kind, str) else ""


def reasoning_text(message: Any) -> str | None:
    """The reasoning a message or delta carries, in whichever shape (for the event log), else ``None``."""
    for name in ("reasoning_content", "reasoning", "thinking", "reasoning_text"):
        value = get_field(message, name)
        if isinstance(value, str) and value:
            return value
    texts: list[str] = []
    for name, key in (("reasoning_details", "text"), ("reasoning_details", "summary"), ("thinking_blocks", "thinking")):
        value = get_field(message, name)
        if isinstance(value, list):
            texts += [t for part in value if isinstance(t := get_field(part, key), str)]
    content = get_field(message, "content")
    if isinstance(content, list):
        for part in content:
            if _part_type(part) in REASONING_PARTS:
                texts += [t for key in ("thinking", "text") if isinstance(t := get_field(part, key), str)]
    return "".join(texts) or None


class ContentStripper:
    """The reasoning of one choice's content, removed across a whole message or a stream's deltas."""

    def __init__(self, *, strip_unopened: bool = True) -> None:
        self.text = ThinkStripper(strip_unopened=strip_unopened)

    def content(self, content: Any, *, finishing: bool) -> tuple[Any, bool]:
        """The content to send in place of ``content`` (a string or a list of parts); whether it changed."""
        if isinstance(content, list):
            kept: list[Any] = []
            changed = False
            for part in content:
                kind = _part_type(part)
                if kind in REASONING_PARTS:
                    changed = True
                    continue
                text = get_field(part, "text")
                if kind == "text" and isinstance(text, str):
                    new = self.text.feed(text)
                    if new != text:
                        set_field(part, "text", new)
                        changed = True
                kept.append(part)
            if finishing:
                tail = self.text.finish()
                if tail:
                    kept.append({"type": "text", "text": tail})
                    changed = True
            return (kept if kept else ""), changed  # nothing left: the plain empty text every client reads
        text = content if isinstance(content, str) else ""
        new = self.text.feed(text) + (self.text.finish() if finishing else "")
        return (new if isinstance(content, str) or new else content), new != text


def strip_message(message: Any, stripper: ContentStripper, *, finishing: bool) -> bool:
    """Remove every kind of reasoning from one message or delta in place; ``True`` if anything changed."""
    changed = drop_reasoning_fields(message)
    content = get_field(message, "content")
    if isinstance(content, str | list) or finishing:
        new, edited = stripper.content(content, finishing=finishing)
        if edited:
            set_field(message, "content", new)
            changed = True
    return changed


def withhold_logprobs(choice: Any) -> bool:
    """Remove a choice's per-token log probabilities (they carry the reasoning's tokens)."""
    if get_field(choice, "logprobs") is None:
        return False
    set_field(choice, "logprobs", None)
    return True
