"""Pieces of OpenAI's chat-completions shapes, shared by the converters.

Both LiteLLM spend logs and OpenAI request/response pairs carry OpenAI-shaped
messages, tools and responses; these helpers read them onto v1 fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from distillguard.ingest.coerce import parse_timestamp
from distillguard.ingest.jsonl import MappingError

#: OpenAI roles that v1 spells differently.
ROLE_ALIASES = {"developer": "system", "function": "tool"}


def as_json(field: str, value: Any) -> Any:
    """A value that may arrive as a JSON string (CSV exports, text columns) decoded."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            raise MappingError(field, "invalid_json", f"`{field}` holds text that is not valid JSON") from None
    return value


def content_text(content: Any) -> str | None:
    """Message content as text: a string, or the text parts of a parts list joined by newlines."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        texts: list[str] = []
        for part in content:
            text = part.get("text") if isinstance(part, dict) else None
            if isinstance(text, str):
                texts.append(text)
        return "\n".join(texts)
    return str(content)


def messages_from(field: str, value: Any) -> list[dict[str, str | None]]:
    """OpenAI messages onto v1's ``{"role", "content"}`` list."""
    value = as_json(field, value)
    if not isinstance(value, list) or not value:
        raise MappingError(field, "missing_required", f"`{field}` holds no chat messages")
    out: list[dict[str, str | None]] = []
    for position, message in enumerate(value):
        if not isinstance(message, dict):
            raise MappingError(field, "wrong_type", f"`{field}[{position}]` is not a message object")
        role = message.get("role")
        role = ROLE_ALIASES.get(role, role) if isinstance(role, str) else role
        out.append({"role": role, "content": content_text(message.get("content"))})
    return out


def tool_names(tools: Any) -> list[str] | None:
    """Names of the tools (or legacy functions) declared in a request."""
    if not isinstance(tools, list):
        return None
    names: list[str] = []
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function", tool)
        name = function.get("name") if isinstance(function, dict) else None
        if isinstance(name, str):
            names.append(name)
    return names


def first_message(response: Any) -> dict[str, Any]:
    """The message of a chat-completions response's first choice (empty when absent)."""
    if not isinstance(response, dict):
        return {}
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict):
            return message
    return {}


def reasoning_of(message: dict[str, Any]) -> str | None:
    """Reasoning text a server returned beside the answer, under either usual name."""
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if isinstance(value, str):
            return value
    return None


def timestamp_text(field: str, value: Any, *, naive_is_utc: bool) -> str:
    """An RFC 3339 string from text or Unix seconds; naive text is UTC when allowed."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).isoformat()
    if isinstance(value, str):
        try:
            return parse_timestamp(value).isoformat()
        except ValueError as exc:
            if naive_is_utc:
                try:
                    return parse_timestamp(value + "+00:00").isoformat()
                except ValueError:
                    pass
            raise MappingError(field, "bad_timestamp", f"`{field}` {exc}") from None
    raise MappingError(field, "missing_required", f"`{field}` is missing")


def integer(value: Any) -> Any:
    """CSV cells arrive as text: read integer-looking text as an integer, else leave it."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def number(value: Any) -> Any:
    """Like :func:`integer`, for real numbers."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value
