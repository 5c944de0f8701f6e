"""Upstream responses on their way back: reasoning stripped, watermark applied, the exchange read off.

:class:`ResponseEdit` says what to change; :class:`Outcome` collects what the client was sent
(the first choice's text and reasoning, the token usage, the status) for the event log.
:func:`edit_completion` handles a whole response, :class:`StreamEditor` a stream one chunk at a
time. Both work on decoded JSON (the gateway) and on LiteLLM's response objects (the guardrail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from distillguard.gateway.reasoning import (
    ContentStripper,
    get_field,
    reasoning_text,
    set_field,
    strip_message,
    withhold_logprobs,
)
from distillguard.gateway.watermark import TextFilter

DONE: Final = b"[DONE]"


@dataclass(frozen=True)
class ResponseEdit:
    """What to change in a response."""

    strip_reasoning: bool = False
    watermark: TextFilter | None = None
    strip_unopened: bool = True  # text before a closing think tag that nothing opened is reasoning too

    @property
    def changes(self) -> bool:
        """Whether the response needs editing at all."""
        return self.strip_reasoning or self.watermark is not None


@dataclass
class Outcome:
    """What the client got, for the event log."""

    status: int = 200
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None
    finished: bool = False
    error: str | None = None

    def usage(self, usage: Any) -> None:
        """Take the token counts of a ``usage`` object (decoded JSON, or LiteLLM's)."""
        if usage is not None:
            prompt, completion = get_field(usage, "prompt_tokens"), get_field(usage, "completion_tokens")
            self.input_tokens = prompt if isinstance(prompt, int) else self.input_tokens
            self.output_tokens = completion if isinstance(completion, int) else self.output_tokens

    @property
    def response(self) -> str:
        """The visible text of the first choice."""
        return "".join(self.text)

    @property
    def reasoning_text(self) -> str | None:
        """The reasoning of the first choice, as the client got it."""
        return "".join(self.reasoning) if self.reasoning else None


def _choices(obj: Any) -> list[Any]:
    choices = get_field(obj, "choices")
    if not isinstance(choices, list):
        return []
    return [c for c in choices if isinstance(c, dict) or not isinstance(c, str | int | float | list)]


def _index(choice: Any) -> int:
    index = get_field(choice, "index")
    return index if isinstance(index, int) else 0


def _watermarked(content: Any, watermark: TextFilter) -> tuple[Any, bool]:
    """``content`` (a string or a list of parts) with its text passed through the watermark."""
    if isinstance(content, str):
        new = watermark(content) if content else content
        return new, new != content
    changed = False
    if isinstance(content, list):
        for part in content:
            text = get_field(part, "text")
            if get_field(part, "type") == "text" and isinstance(text, str) and text:
                new = watermark(text)
                if new != text:
                    set_field(part, "text", new)
                    changed = True
    return content, changed


def visible_text(content: Any) -> str:
    """The text of a message's content: the string, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            t for p in content if get_field(p, "type") == "text" and isinstance(t := get_field(p, "text"), str)
        )
    return ""


def _edit_message(
    message: Any, edit: ResponseEdit, stripper: ContentStripper | None, *, finishing: bool
) -> tuple[bool, str | None]:
    """Edit one message or delta in place; whether it changed, and the reasoning the client still gets."""
    reasoning = None if edit.strip_reasoning else reasoning_text(message)
    changed = stripper is not None and strip_message(message, stripper, finishing=finishing)
    if edit.watermark is not None:
        content, marked = _watermarked(get_field(message, "content"), edit.watermark)
        if marked:
            set_field(message, "content", content)
            changed = True
    return changed, reasoning


def edit_completion(body: Any, edit: ResponseEdit, outcome: Outcome) -> bool:
    """Edit a chat completion in place and note it in ``outcome``; ``True`` if anything changed."""
    changed = False
    outcome.usage(get_field(body, "usage"))
    for choice in _choices(body):
        message = get_field(choice, "message")
        if message is None or isinstance(message, str | list):
            continue
        first = _index(choice) == 0
        stripper = ContentStripper(strip_unopened=edit.strip_unopened) if edit.strip_reasoning else None
        edited, reasoning = _edit_message(message, edit, stripper, finishing=True)
        if edit.strip_reasoning:
            edited = withhold_logprobs(choice) or edited
        changed = changed or edited
        if first:
            outcome.text.append(visible_text(get_field(message, "content")))
            if reasoning:
                outcome.reasoning.append(reasoning)
        outcome.finished = outcome.finished or get_field(choice, "finish_reason") is not None
    return changed


class StreamEditor:
    """Edits a chat-completions stream one chunk (one ``data:`` payload) at a time."""

    def __init__(self, edit: ResponseEdit, outcome: Outcome) -> None:
        self.edit = edit
        self.outcome = outcome
        self.done = False
        self._strippers: dict[int, ContentStripper] = {}

    def payload(self, data: bytes) -> bytes | None:
        """The payload to send for one upstream ``data:`` payload; ``None``: send nothing for it."""
        if data.strip() == DONE:
            self.done = True
            return DONE
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self._opaque(data)
        if not isinstance(chunk, dict):
            return self._opaque(data)
        if "error" in chunk:
            self.outcome.status = 502
            self.outcome.error = str(chunk["error"])[:300]
            return data
        changed = self.chunk(chunk)
        # one line again: a payload spread over several data lines reaches line-by-line clients whole
        return orjson.dumps(chunk) if changed or b"\n" in data else data

    def _opaque(self, data: bytes) -> bytes | None:
        """A payload that is not a JSON object: passed on as it came, unless reasoning must be withheld."""
        return None if self.edit.strip_reasoning else data

    def chunk(self, chunk: Any) -> bool:
        """Edit one decoded chunk (a dict, or LiteLLM's object) in place; ``True`` if anything changed."""
        self.outcome.usage(get_field(chunk, "usage"))
        changed = False
        for choice in _choices(chunk):
            changed = self._choice(choice) or changed
        return changed

    def flush(self) -> dict[str, Any] | None:
        """A last chunk with the text still held back (a stream that ended without its ``finish_reason``)."""
        choices = []
        for index, stripper in sorted(self._strippers.items()):
            tail = stripper.text.finish()
            if tail:
                choices.append({"index": index, "delta": {"content": tail}, "finish_reason": None})
                if index == 0:
                    self.outcome.text.append(tail)
        return {"object": "chat.completion.chunk", "choices": choices} if choices else None

    def _choice(self, choice: Any) -> bool:
        index = _index(choice)
        delta = get_field(choice, "delta")
        finishing = get_field(choice, "finish_reason") is not None
        self.outcome.finished = self.outcome.finished or finishing
        if delta is None or isinstance(delta, str | list):
            return False
        stripper = None
        if self.edit.strip_reasoning:
            stripper = self._strippers.setdefault(index, ContentStripper(strip_unopened=self.edit.strip_unopened))
        changed, reasoning = _edit_message(delta, self.edit, stripper, finishing=finishing)
        if self.edit.strip_reasoning:
            changed = withhold_logprobs(choice) or changed
        if index == 0:
            self.outcome.text.append(visible_text(get_field(delta, "content")))
            if reasoning:
                self.outcome.reasoning.append(reasoning)
        return changed
