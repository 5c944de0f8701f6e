"""Tokenizers and chat templates read out of a GGUF file, as transformers tokenizers.

transformers converts most GGUF tokenizers itself (Gemma's SentencePiece vocabulary included), but
its conversion of byte-level BPE vocabularies such as SmolLM2's maps every space to token 0. For
those (``tokenizer.ggml.model == "gpt2"``) the tokenizer is the one the watermark detector builds
from the file's ``tokenizer.ggml.tokens`` and ``merges``
(:func:`distillguard.watermark.tokenizer.tokenizer_from_gguf`), with the file's chat template.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distillguard.errors import ModelUnavailableError, WatermarkError
from distillguard.watermark.tokenizer import tokenizer_from_gguf


@dataclass(frozen=True)
class GgufVocabulary:
    """What a GGUF file says about its tokenizer."""

    model: str
    tokens: list[str]
    merges: list[str]
    token_types: list[int]
    bos_id: int | None
    eos_id: int | None
    chat_template: str | None


def transformers_module() -> Any:
    """transformers, untyped (its factories return types mypy cannot follow), or a clear error without it."""
    try:
        return importlib.import_module("transformers")
    except ImportError as exc:
        raise ModelUnavailableError("local models need transformers: pip install -e '.[forensics]'") from exc


def _strings(reader: Any, key: str) -> list[str]:
    field = reader.fields.get(key)
    if field is None:
        return []
    return [bytes(field.parts[index]).decode("utf-8", errors="replace") for index in field.data]


def _scalar(reader: Any, key: str) -> int | None:
    field = reader.fields.get(key)
    return None if field is None else int(field.parts[field.data[0]][0])


def read_vocabulary(path: Path) -> GgufVocabulary:
    """The tokenizer fields of a GGUF file."""
    from gguf import GGUFReader  # noqa: PLC0415 (the forensics extra)

    try:
        reader = GGUFReader(str(path))
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(f"{path}: not a readable GGUF file ({exc})") from exc
    model = _strings(reader, "tokenizer.ggml.model")
    template = _strings(reader, "tokenizer.chat_template")
    types = reader.fields.get("tokenizer.ggml.token_type")
    return GgufVocabulary(
        model=model[0] if model else "",
        tokens=_strings(reader, "tokenizer.ggml.tokens"),
        merges=_strings(reader, "tokenizer.ggml.merges"),
        token_types=[] if types is None else [int(types.parts[index][0]) for index in types.data],
        bos_id=_scalar(reader, "tokenizer.ggml.bos_token_id"),
        eos_id=_scalar(reader, "tokenizer.ggml.eos_token_id"),
        chat_template=template[0] if template else None,
    )


def as_transformers(core: Any, vocabulary: GgufVocabulary | None = None) -> Any:
    """A ``tokenizers.Tokenizer`` as a transformers fast tokenizer (with the GGUF's specials and chat template)."""
    names = vocabulary.tokens if vocabulary else []
    eos = names[vocabulary.eos_id] if vocabulary and vocabulary.eos_id is not None else None
    bos = names[vocabulary.bos_id] if vocabulary and vocabulary.bos_id is not None else None
    tokenizer = transformers_module().PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token=bos, eos_token=eos, pad_token=eos
    )
    if vocabulary and vocabulary.chat_template:
        tokenizer.chat_template = vocabulary.chat_template
    return tokenizer


def gguf_tokenizer(path: Path) -> Any:
    """The tokenizer of a GGUF model file, with its chat template where the file has one."""
    vocabulary = read_vocabulary(path)
    if vocabulary.model == "gpt2":
        try:
            return as_transformers(tokenizer_from_gguf(path), vocabulary)
        except WatermarkError as exc:
            raise ModelUnavailableError(str(exc)) from exc
    try:
        tokenizer = transformers_module().AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"{path}: its {vocabulary.model!r} tokenizer cannot be converted ({exc})") from exc
    if vocabulary.chat_template and not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = vocabulary.chat_template
    return tokenizer
