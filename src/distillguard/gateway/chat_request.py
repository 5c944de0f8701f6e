"""Reading a chat-completions request body: validated, and mapped onto v1's fields.

A body that is not what OpenAI's API accepts gets a :class:`BadRequestError` naming the
parameter at fault, which the gateway returns as a 400 in OpenAI's error shape. Fields the
gateway does not need are left alone: the body goes upstream byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson

from distillguard.errors import BadRequestError
from distillguard.ingest.openai_shapes import ROLE_ALIASES, content_text, tool_names

ROLES: Final = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


@dataclass(frozen=True)
class ChatRequest:
    """What the gateway reads from a chat-completions body."""

    model: str
    messages: list[dict[str, str | None]]
    stream: bool
    tools: list[str] | None
    temperature: float | None
    max_tokens: int | None
    end_user: str | None


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequestError(f"'{name}' must be a number, not {type(value).__name__}", name, "invalid_type")
    return float(value)


def _integer(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequestError(f"'{name}' must be a non-negative integer", name, "invalid_type")
    return value


def parse_chat_request(body: bytes) -> ChatRequest:
    """The request in ``body``; raises :class:`BadRequestError` when it is not a valid one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"The request body is not valid JSON ({exc.msg})", None, "invalid_json") from None
    if not isinstance(data, dict):
        raise BadRequestError("The request body must be a JSON object", None, "invalid_json")
    return chat_request_of(data)


def chat_request_of(data: dict[str, Any]) -> ChatRequest:
    """The request in a decoded body (as another proxy hands it over); :class:`BadRequestError` if invalid."""
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequestError("you must provide a model parameter", "model", "missing_required_parameter")
    raw = data.get("messages")
    if not isinstance(raw, list) or not raw:
        raise BadRequestError("'messages' must be a non-empty array", "messages", "missing_required_parameter")
    messages: list[dict[str, str | None]] = []
    for position, message in enumerate(raw):
        if not isinstance(message, dict):
            raise BadRequestError(f"messages[{position}] must be an object", f"messages[{position}]", "invalid_type")
        role = message.get("role")
        if role not in ROLES:
            raise BadRequestError(
                f"messages[{position}].role must be one of {', '.join(sorted(ROLES))}, not {role!r}",
                f"messages[{position}].role",
                "invalid_value",
            )
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise BadRequestError(
                f"messages[{position}].content must be a string or an array of parts",
                f"messages[{position}].content",
                "invalid_type",
            )
        messages.append({"role": ROLE_ALIASES.get(role, role), "content": content_text(content)})
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequestError("'stream' must be a boolean", "stream", "invalid_type")
    end_user = data.get("safety_identifier", data.get("user"))
    max_tokens = _integer(data, "max_completion_tokens")
    return ChatRequest(
        model=model,
        messages=messages,
        stream=stream,
        tools=tool_names(data.get("tools")),
        temperature=_number(data, "temperature"),
        max_tokens=max_tokens if max_tokens is not None else _integer(data, "max_tokens"),
        end_user=end_user if isinstance(end_user, str) else None,
    )
