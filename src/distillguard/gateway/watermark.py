"""The hook a watermarking module plugs into, for requests whose action is ``watermark``.

Such a request always goes upstream with the ``watermark_header`` set (``1``), so a model server
that can watermark at sampling time does it there. A text-level watermark can also be applied
at the gateway: name a function in the config (``watermark_hook = "package.module:function"``).
It is called once per response with a :class:`WatermarkContext` and returns a function that
takes each piece of visible text, in order (the whole text for a non-streamed response, each
delta for a stream), and returns the text to send instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

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
