"""The watermark as a vLLM logits-processor plug-in, switched on per request.

Written against vLLM's documented per-request adapter interface,
``vllm.v1.sample.logits_processor.AdapterLogitsProcessor`` (``is_argmax_invariant``,
``new_req_logits_processor(params)``, ``validate_params``); in vLLM releases whose default
model runner is V2, start the server with ``VLLM_USE_V2_MODEL_RUNNER=0``. vLLM needs a CUDA
build and cannot be installed on the machines this project is tested on, so this module is
not exercised here; the per-request callable it returns
(:class:`~distillguard.watermark.processors.request.RequestWatermark`) and the shared core are::

    export DISTILLGUARD_WATERMARK_KEY=/run/secrets/watermark.json
    vllm serve MODEL --logits-processors distillguard.watermark.processors.vllm:DistillguardWatermark

A request is marked when its body carries ``"vllm_xargs": {"distillguard_watermark": true}``
(optionally ``"distillguard_account": ID`` for that account's derived key), which the gateway's
``watermark`` action sets (``[watermark] engine_fields = ["distillguard-vllm"]``) and strips from
clients' bodies.
For vLLM's own Gumbel-max watermark (``--watermark-config``) no plug-in is needed: the gateway
sets its ``watermarking`` field instead, and ``distillguard watermark detect`` verifies it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vllm.v1.sample.logits_processor import AdapterLogitsProcessor

from distillguard.watermark.keys import load_key
from distillguard.watermark.processors.request import RequestWatermark
from distillguard.watermark.sampling import Watermarker
from distillguard.watermark.schemes import scheme_for

KEY_VARIABLE = "DISTILLGUARD_WATERMARK_KEY"
ENABLE_ARG = "distillguard_watermark"
ACCOUNT_ARG = "distillguard_account"


class DistillguardWatermark(AdapterLogitsProcessor):  # type: ignore[misc]  # vLLM is not installed here
    """Marks the requests whose ``extra_args`` ask for it, with the key named by ``DISTILLGUARD_WATERMARK_KEY``."""

    def __init__(self, vllm_config: Any, device: Any, is_pin_memory: bool) -> None:
        super().__init__(vllm_config, device, is_pin_memory)
        path = os.environ.get(KEY_VARIABLE)
        if not path:
            raise ValueError(f"set {KEY_VARIABLE} to the watermark key file before starting the server")
        self.key = load_key(Path(path))

    @classmethod
    def validate_params(cls, params: Any) -> None:
        """Refuse malformed watermark arguments when the request arrives."""
        extra = params.extra_args or {}
        if ENABLE_ARG in extra and not isinstance(extra[ENABLE_ARG], bool):
            raise ValueError(f"{ENABLE_ARG} must be true or false")
        if ACCOUNT_ARG in extra and not isinstance(extra[ACCOUNT_ARG], str):
            raise ValueError(f"{ACCOUNT_ARG} must be a string")

    def is_argmax_invariant(self) -> bool:
        """A watermark changes which token wins."""
        return False

    def new_req_logits_processor(self, params: Any) -> RequestWatermark | None:
        """The request's processor, or ``None`` when it is not to be marked."""
        extra = params.extra_args or {}
        if extra.get(ENABLE_ARG) is not True:
            return None
        key = self.key
        account = extra.get(ACCOUNT_ARG)
        if account:
            key = key.for_account(account)
        temperature = float(params.temperature or 0.0)
        if key.scheme == "gumbel" and temperature <= 0:
            return None  # greedy decoding cannot carry a distortion-free watermark (vLLM's own falls back too)
        top_k = params.top_k if params.top_k and params.top_k > 0 else 0
        watermarker = Watermarker(scheme_for(key), temperature=temperature, top_p=params.top_p or 1.0, top_k=top_k)
        return RequestWatermark(watermarker)
