"""Watermarks at sampling time: keys, schemes, detection, processors and the text-level marker.

The keyed core needs numpy and scipy only (no torch)::

    from distillguard.watermark import generate_key, scheme_for, detect_many
    key = generate_key("kgw")
    scheme = scheme_for(key)
    detections = detect_many(scheme, [token_ids_1, token_ids_2])   # one per text
    pooled = detect_many(scheme, sequences, pool=True)[0]           # one over all

Processors for Hugging Face transformers, llama-cpp-python and vLLM live in
:mod:`distillguard.watermark.processors` (they need the ``forensics`` extra).
"""

from distillguard.watermark.detect import (
    Detection,
    detect_many,
    detect_pairs,
    detect_tokens,
    sequence_pairs,
    texts_pairs,
)
from distillguard.watermark.keys import SCHEMES, WatermarkKey, generate_key, load_key, save_key
from distillguard.watermark.schemes import GreenList, GumbelMax, Scheme, scheme_for
from distillguard.watermark.vllm_gumbel import VllmGumbel

__all__ = [
    "SCHEMES",
    "Detection",
    "GreenList",
    "GumbelMax",
    "Scheme",
    "VllmGumbel",
    "WatermarkKey",
    "detect_many",
    "detect_pairs",
    "detect_tokens",
    "generate_key",
    "load_key",
    "save_key",
    "scheme_for",
    "sequence_pairs",
    "texts_pairs",
]
