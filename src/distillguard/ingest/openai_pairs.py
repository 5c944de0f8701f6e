"""OpenAI-style request/response pairs onto exchange-log v1.

One JSON object a line: ``{"request": <chat-completions request body>, "response":
<chat-completions response body>}``, optionally beside v1 fields that the pair cannot
carry (``request_id``, ``timestamp``, ``account_id``, ``api_key_id``, ``org_id``,
``ip``, ``user_agent``, ``surface``, ``status``). A response wrapped as in OpenAI's
Batch API output (``{"status_code", "body"}``) is unwrapped. The mapping:

=================  ===========================================================================
v1 field           source
=================  ===========================================================================
``request_id``     ``request_id``, else ``custom_id``, else ``response.id``
``timestamp``      ``timestamp`` (RFC 3339), else ``response.created`` (Unix seconds)
``account_id``     ``account_id``, else the ``--account`` given to the converter
``model``          ``request.model``, else ``response.model``
``messages``       ``request.messages`` (text parts joined; ``developer`` -> ``system``,
                   ``function`` -> ``tool``)
``response``       ``response.choices[0].message.content``
``reasoning``      ``response.choices[0].message.reasoning_content`` or ``.reasoning``
``tools``          ``request.tools[].function.name`` (or ``request.functions[].name``)
``end_user``       ``request.user``, else ``request.safety_identifier``
``input_tokens``   ``response.usage.prompt_tokens``
``output_tokens``  ``response.usage.completion_tokens``
``temperature``    ``request.temperature``
``max_tokens``     ``request.max_tokens``, else ``request.max_completion_tokens``
``status``         ``status``, else the Batch API's ``status_code``, else 200 when the
                   response has choices
=================  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from distillguard.ingest.candidates import Candidate
from distillguard.ingest.jsonl import MappingError, candidates_from_records, jsonl_records
from distillguard.ingest.openai_shapes import (
    content_text,
    first_message,
    messages_from,
    reasoning_of,
    timestamp_text,
    tool_names,
)
from distillguard.ingest.rejections import RejectionSink

_PASSED_THROUGH = ("api_key_id", "org_id", "ip", "user_agent", "surface")


def map_pair(line: dict[str, Any], default_account: str | None) -> dict[str, Any]:
    """One request/response pair as a v1 exchange (JSON shapes); raises :class:`MappingError`."""
    request = line.get("request")
    if not isinstance(request, dict):
        raise MappingError("request", "missing_required", "`request` (the chat-completions request body) is missing")
    response = line.get("response")
    status = line.get("status")
    if isinstance(response, dict) and isinstance(response.get("body"), dict):
        status = status if status is not None else response.get("status_code")
        response = response["body"]
    if not isinstance(response, dict):
        raise MappingError("response", "missing_required", "`response` (the chat-completions response body) is missing")
    message = first_message(response)
    if status is None and message:
        status = 200
    account = line.get("account_id", default_account)
    if account is None:
        raise MappingError("account_id", "missing_required", "no `account_id` on the line and no --account given")
    found_usage = response.get("usage")
    usage: dict[str, Any] = found_usage if isinstance(found_usage, dict) else {}
    stamp = line.get("timestamp", response.get("created"))
    tools = request.get("tools", request.get("functions"))
    return {
        "request_id": line.get("request_id", line.get("custom_id", response.get("id"))),
        "timestamp": timestamp_text("timestamp", stamp, naive_is_utc=False),
        "account_id": account,
        "model": request.get("model", response.get("model")),
        "messages": messages_from("request.messages", request.get("messages")),
        "response": content_text(message.get("content")) or "",
        "reasoning": reasoning_of(message),
        "tools": tool_names(tools),
        "end_user": request.get("user", request.get("safety_identifier")),
        "input_tokens": usage.get("prompt_tokens"),
        "output_tokens": usage.get("completion_tokens"),
        "temperature": request.get("temperature"),
        "max_tokens": request.get("max_tokens", request.get("max_completion_tokens")),
        "status": status,
        **{key: line.get(key) for key in _PASSED_THROUGH},
    }


def read_openai_pairs(
    path: Path, sink: RejectionSink, batch_rows: int, default_account: str | None
) -> Iterator[Candidate]:
    """Candidate v1 exchange batches from a JSON Lines file of request/response pairs."""
    return candidates_from_records(
        jsonl_records(path),
        str(path),
        "exchanges",
        sink,
        batch_rows=batch_rows,
        mapper=lambda line: map_pair(line, default_account),
    )
