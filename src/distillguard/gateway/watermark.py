"""What the ``watermark`` action does to a request on its way upstream.

Such a request always goes upstream with the ``watermark_header`` set (``1``) and the account id
in ``[watermark] account_header``, so a model server that can watermark at sampling time does it
there, with that account's key (``examples/watermark/model_server.py``). Engines with their own
watermark get their request field set (``[watermark] engine_fields``: vLLM's ``watermarking``,
SGLang's ``watermark.enabled``, or ``vllm_xargs`` for distillguard's vLLM plug-in), and any
attempt by a client to set those fields is stripped first. Where nobody can touch the sampler,
``[watermark] marker`` adds an instruction that induces a text-level marker
(:mod:`distillguard.watermark.marker`). A text-level watermark can also be applied
at the gateway: name a function in the config (``watermark_hook = "package.module:function"``).
It is called once per response with a :class:`WatermarkContext` and returns a function that
takes each piece of visible text, in order (the whole text for a non-streamed response, each
delta for a stream), and returns the text to send instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from distillguard.errors import ConfigError


@dataclass(frozen=True)
class WatermarkContext:
    """The response being watermarked."""

    request_id: str
    account_id: str
    model: str


TextFilter = Callable[[str], str]
WatermarkHook = Callable[[WatermarkContext], TextFilter]


def load_hook(spec: str | None) -> WatermarkHook | None:
    """The function a ``module:function`` spec names, or ``None`` without a spec."""
    if spec is None:
        return None
    module_name, _, name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"watermark_hook = {spec!r}: cannot import {module_name} ({exc})") from exc
    hook = getattr(module, name, None)
    if not callable(hook):
        raise ConfigError(f"watermark_hook = {spec!r}: {module_name} has no function {name}")
    return hook  # type: ignore[no-any-return]


EngineField = Literal["vllm", "sglang", "distillguard-vllm"]
Marker = Literal["none", "follow-up-question"]
#: The fields by which a client could steer an engine's watermark: vLLM's ``watermarking``
#: (``false`` opts out, even where the server enforces it: vLLM issue 58191) and SGLang's
#: ``watermark`` object (``{"enabled": false}``).
CLIENT_FIELDS: Final = ("watermarking", "watermark")
XARGS: Final = "vllm_xargs"
XARGS_PREFIX: Final = "distillguard_"


class WatermarkSettings(BaseModel):
    """``[watermark]``: how the ``watermark`` action reaches the model server, beyond the header."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine_fields: tuple[EngineField, ...] = Field(
        (),
        description="Request fields set for flagged accounts: vllm (watermarking), sglang (watermark.enabled), "
        "distillguard-vllm (vllm_xargs for distillguard's vLLM plug-in).",
    )
    scope: Literal["flagged", "all"] = Field(
        "flagged", description="flagged: other requests get the engine's watermark switched off; all: every request."
    )
    strip_client_fields: bool = Field(True, description="Remove clients' watermarking/watermark/vllm_xargs fields.")
    marker: Marker = Field("none", description="A text-level marker induced by an instruction (hosted models).")
    account_header: str | None = Field("X-Distillguard-Account", description="Sent upstream with the account id.")

    @property
    def edits_bodies(self) -> bool:
        """Whether any request body may need rewriting."""
        return bool(self.engine_fields) or self.strip_client_fields or self.marker != "none"


def might_carry_client_fields(body: bytes) -> bool:
    """Whether the raw body could hold a field the gateway strips (a cheap test before decoding it)."""
    return b'"watermark' in body or b'"vllm_xargs' in body


def _strip(data: dict[str, Any]) -> list[str]:
    removed: list[str] = [field for field in CLIENT_FIELDS if field in data]
    for field in removed:
        del data[field]
    xargs = data.get(XARGS)
    if isinstance(xargs, dict):
        ours = [name for name in xargs if str(name).startswith(XARGS_PREFIX)]
        for name in ours:
            del xargs[name]
        removed += [f"{XARGS}.{name}" for name in ours]
        if not xargs:
            del data[XARGS]
    return removed


def _set_engine_fields(data: dict[str, Any], settings: WatermarkSettings, on: bool, account_id: str) -> None:
    for engine in settings.engine_fields:
        if engine == "vllm":
            data["watermarking"] = on
        elif engine == "sglang":
            data["watermark"] = {"enabled": on}
        elif on:  # distillguard's vLLM plug-in: enabled per request, with the account's derived key
            xargs = data.get(XARGS)
            data[XARGS] = {
                **(xargs if isinstance(xargs, dict) else {}),
                f"{XARGS_PREFIX}watermark": True,
                f"{XARGS_PREFIX}account": account_id,
            }


def edit_request_body(
    data: dict[str, Any],
    settings: WatermarkSettings,
    *,
    watermark: bool,
    account_id: str,
    engine_target: dict[str, Any] | None = None,
) -> list[str]:
    """Apply the watermark policy to a decoded chat-completions body in place; what changed, for the record.

    Clients' watermark fields go first (so nobody can opt out or pick an account key); then a
    flagged request gets the engines' fields switched on and, if configured, the marker's
    instruction; with ``scope = "flagged"`` any other request gets them switched off. The engine
    fields go into ``engine_target`` where given (LiteLLM's ``extra_body``), else into ``data``.
    """
    target = data if engine_target is None else engine_target
    removed = _strip(data) if settings.strip_client_fields else []
    if settings.strip_client_fields and engine_target is not None:
        removed += _strip(engine_target)
    changes = [f"removed {name}" for name in removed]
    _set_engine_fields(target, settings, watermark or settings.scope == "all", account_id)
    if settings.engine_fields:
        changes.append(f"engine watermark {'on' if watermark or settings.scope == 'all' else 'off'}")
    if watermark and settings.marker != "none":
        inject_instruction(data, settings.marker)
        changes.append(f"marker {settings.marker}")
    return changes


def inject_instruction(data: dict[str, Any], marker: Marker) -> None:
    """Add the marker's instruction to the request's system message (a new one first if it has none)."""
    from distillguard.watermark.marker import instruction  # noqa: PLC0415 - only where a marker is configured

    text = instruction(marker)
    messages = data.get("messages")
    if not isinstance(messages, list):
        return
    first = messages[0] if messages else None
    system = isinstance(first, dict) and first.get("role") in {"system", "developer"}
    if system and isinstance(first, dict) and isinstance(first.get("content"), str):
        messages[0] = {**first, "content": f"{first['content']}\n\n{text}"}
    else:
        messages.insert(0, {"role": "system", "content": text})
