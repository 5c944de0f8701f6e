"""Upstream responses on their way back: reasoning stripped, watermark applied, the exchange read off.

:class:`ResponseEdit` says what to change; :class:`Outcome` collects what the client was sent
(the first choice's text and reasoning, the token usage, the status) for the event log.
:func:`edit_completion` handles a whole response, :class:`StreamEditor` one server-sent event at a
time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from distillguard.gateway.reasoning import ThinkStripper, pop_reasoning, strip_text
from distillguard.gateway.watermark import TextFilter
from distillguard.ingest.openai_shapes import reasoning_of

DONE: Final = b"[DONE]"


@dataclass(frozen=True)
class ResponseEdit:
    """What to change in a response."""

    strip_reasoning: bool = False
    watermark: TextFilter | None = None

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
        """Take the token counts of a ``usage`` object."""
        if isinstance(usage, dict):
            prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
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


def _choices(obj: dict[str, Any]) -> list[dict[str, Any]]:
    choices = obj.get("choices")
    return [c for c in choices if isinstance(c, dict)] if isinstance(choices, list) else []


def edit_completion(body: dict[str, Any], edit: ResponseEdit, outcome: Outcome) -> bool:
    """Edit a chat completion in place and note it in ``outcome``; ``True`` if anything changed."""
    changed = False
    outcome.usage(body.get("usage"))
    for choice in _choices(body):
        message = choice.get("message")
        if not isinstance(message, dict):
            continue
        first = choice.get("index", 0) == 0
        if edit.strip_reasoning:
            changed = pop_reasoning(message) or changed
        content = message.get("content")
        if isinstance(content, str):
            new = strip_text(content) if edit.strip_reasoning else content
            if edit.watermark is not None:
                new = edit.watermark(new)
            if new != content:
                message["content"], changed = new, True
            if first:
                outcome.text.append(new)
        reasoning = reasoning_of(message)
        if first and reasoning:
            outcome.reasoning.append(reasoning)
        outcome.finished = outcome.finished or choice.get("finish_reason") is not None
    return changed


class StreamEditor:
    """Edits a chat-completions stream one ``data:`` payload at a time."""

    def __init__(self, edit: ResponseEdit, outcome: Outcome) -> None:
        self.edit = edit
        self.outcome = outcome
        self.done = False
        self._strippers: dict[int, ThinkStripper] = {}

    def payload(self, data: bytes) -> bytes:
        """The payload to send for one upstream ``data:`` payload."""
        if data.strip() == DONE:
            self.done = True
            return DONE
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            return data  # not ours to judge: passed on as it came
        if not isinstance(chunk, dict):
            return data
        if "error" in chunk:
            self.outcome.status = 502
            self.outcome.error = str(chunk["error"])
            return data
        self.outcome.usage(chunk.get("usage"))
        changed = False
        for choice in _choices(chunk):
            changed = self._choice(choice) or changed
        return orjson.dumps(chunk) if changed else data

    def _choice(self, choice: dict[str, Any]) -> bool:
        index = choice.get("index", 0)
        index = index if isinstance(index, int) else 0
        delta = choice.get("delta")
        finishing = choice.get("finish_reason") is not None
        self.outcome.finished = self.outcome.finished or finishing
        if not isinstance(delta, dict):
            return False
        changed = False
        reasoning = reasoning_of(delta)
        if self.edit.strip_reasoning:
            changed = pop_reasoning(delta)
        elif reasoning and index == 0:
            self.outcome.reasoning.append(reasoning)
        content = delta.get("content")
        if isinstance(content, str) or (finishing and index in self._strippers):
            text = content if isinstance(content, str) else ""
            new = text
            if self.edit.strip_reasoning:
                stripper = self._strippers.setdefault(index, ThinkStripper())
                new = stripper.feed(text) + (stripper.finish() if finishing else "")
            if self.edit.watermark is not None and new:
                new = self.edit.watermark(new)
            if new != text:
                delta["content"], changed = new, True
            if index == 0:
                self.outcome.text.append(new)
        return changed
