"""LiteLLM proxy spend logs (the ``SpendLogs`` table) onto exchange-log v1.

Read from a JSON Lines or CSV export (plain, ``.gz`` or ``.zst``). LiteLLM stores the
prompt and the response only when ``store_prompts_in_spend_logs`` is on; a row without
messages is rejected with that reason. The field mapping (also in ``docs/ingest.md``):

==========================  ================================================================
v1 field                    spend-log source
==========================  ================================================================
``request_id``              ``request_id``
``timestamp``               ``startTime`` (a time without offset is UTC, as LiteLLM stores it)
``account_id``              the configured ``account_field`` (``user`` by default), else
                            ``team_id``, else ``api_key``
``model``                   ``model``, else ``model_group``
``messages``                ``messages`` (OpenAI messages; text parts joined)
``response``                ``response.choices[0].message.content`` (a plain string as is)
``reasoning``               ``response.choices[0].message.reasoning_content``
``tools``                   ``proxy_server_request.tools[].function.name``
``api_key_id``              ``api_key`` (LiteLLM's hashed key)
``org_id``                  ``metadata.user_api_key_org_id``
``end_user``                ``end_user``
``input_tokens``            ``prompt_tokens``
``output_tokens``           ``completion_tokens``
``temperature``             ``proxy_server_request.temperature``
``max_tokens``              ``proxy_server_request.max_tokens`` / ``max_completion_tokens``
``status``                  ``status`` ``success`` -> 200; a failure's
                            ``metadata.error_information.error_code`` when numeric
``ip``                      ``requester_ip_address``
``user_agent``              ``metadata.user_agent``, else ``metadata.headers.user-agent``
==========================  ================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from distillguard.config import LiteLLMSettings
from distillguard.ingest.candidates import Candidate
from distillguard.ingest.jsonl import MappingError, candidates_from_records, csv_records, jsonl_records
from distillguard.ingest.openai_shapes import (
    as_json,
    content_text,
    first_message,
    integer,
    messages_from,
    number,
    reasoning_of,
    timestamp_text,
    tool_names,
)
from distillguard.ingest.rejections import RejectionSink


def _dict(field: str, value: Any) -> dict[str, Any]:
    decoded = as_json(field, value) if value is not None else {}
    return decoded if isinstance(decoded, dict) else {}


def _status(row: dict[str, Any], metadata: dict[str, Any]) -> int | None:
    status = row.get("status")
    if status == "success":
        return 200
    info = metadata.get("error_information")
    code = integer(info.get("error_code")) if isinstance(info, dict) else None
    return code if isinstance(code, int) else None


def _account(row: dict[str, Any], settings: LiteLLMSettings) -> str:
    for key in (settings.account_field, "team_id", "api_key"):
        value = row.get(key)
        if isinstance(value, str) and value:
            return value
    raise MappingError(
        "account_id",
        "missing_required",
        f"no account: `{settings.account_field}`, `team_id` and `api_key` are all empty",
    )


def map_spend_log(row: dict[str, Any], settings: LiteLLMSettings) -> dict[str, Any]:
    """One spend-log row as a v1 exchange (JSON shapes); raises :class:`MappingError`."""
    metadata = _dict("metadata", row.get("metadata"))
    request = _dict("proxy_server_request", row.get("proxy_server_request"))
    raw_response = row.get("response")
    response = (
        as_json("response", raw_response)
        if isinstance(raw_response, str) and raw_response[:1] in "{["
        else raw_response
    )
    message = first_message(response)
    if isinstance(response, str):
        text: str | None = response
    else:
        text = content_text(message.get("content")) or ""
    headers = metadata.get("headers")
    user_agent = metadata.get("user_agent") or (headers.get("user-agent") if isinstance(headers, dict) else None)
    if "messages" not in row and "messages" not in request:
        raise MappingError(
            "messages", "missing_required", "no messages stored (turn on store_prompts_in_spend_logs in LiteLLM)"
        )
    return {
        "request_id": row.get("request_id"),
        "timestamp": timestamp_text("startTime", row.get("startTime"), naive_is_utc=True),
        "account_id": _account(row, settings),
        "model": row.get("model") or row.get("model_group"),
        "messages": messages_from("messages", row.get("messages", request.get("messages"))),
        "response": text,
        "reasoning": reasoning_of(message),
        "tools": tool_names(request.get("tools")),
        "api_key_id": row.get("api_key"),
        "org_id": metadata.get("user_api_key_org_id"),
        "end_user": row.get("end_user"),
        "input_tokens": integer(row.get("prompt_tokens")),
        "output_tokens": integer(row.get("completion_tokens")),
        "temperature": number(request.get("temperature")),
        "max_tokens": integer(request.get("max_tokens", request.get("max_completion_tokens"))),
        "status": _status(row, metadata),
        "ip": row.get("requester_ip_address"),
        "user_agent": user_agent,
    }


def read_spend_logs(path: Path, sink: RejectionSink, batch_rows: int, settings: LiteLLMSettings) -> Iterator[Candidate]:
    """Candidate v1 exchange batches from a spend-log export (``.csv`` or ``.jsonl``, maybe compressed)."""
    name = path.name.lower()
    records = csv_records(path) if ".csv" in name else jsonl_records(path)
    return candidates_from_records(
        records, str(path), "exchanges", sink, batch_rows=batch_rows, mapper=lambda row: map_spend_log(row, settings)
    )
