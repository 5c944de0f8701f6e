"""Tokenizers and chat templates read out of a GGUF file.

transformers converts most GGUF tokenizers itself (Gemma's SentencePiece vocabulary included), but
its conversion of byte-level BPE vocabularies such as SmolLM2's maps every space to token 0. For
those (``tokenizer.ggml.model == "gpt2"``) the tokenizer is built here from the file's own
``tokenizer.ggml.tokens`` and ``tokenizer.ggml.merges``, with the control tokens as special tokens,
so ids match what the model was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distillguard.errors import ModelUnavailableError

_CONTROL = 3  # GGUF token type of control tokens (<|im_start|>, <|endoftext|>, ...)


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


def byte_level_tokenizer(vocabulary: GgufVocabulary) -> Any:
    """A transformers fast tokenizer for a byte-level BPE vocabulary (SmolLM2's, GPT-2's)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers  # noqa: PLC0415
    from transformers import PreTrainedTokenizerFast  # noqa: PLC0415

    ids = {token: index for index, token in enumerate(vocabulary.tokens)}
    merges = [(left, right) for left, _, right in (merge.partition(" ") for merge in vocabulary.merges)]
    core = Tokenizer(models.BPE(vocab=ids, merges=merges, ignore_merges=False))
    core.pre_tokenizer = pre_tokenizers.Sequence(  # llama.cpp's `smollm` split: every digit alone, then GPT-2's
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    core.decoder = decoders.ByteLevel()
    control = [vocabulary.tokens[index] for index, kind in enumerate(vocabulary.token_types) if kind == _CONTROL]
    core.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in control])
    names = vocabulary.tokens
    eos = names[vocabulary.eos_id] if vocabulary.eos_id is not None else None
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=names[vocabulary.bos_id] if vocabulary.bos_id is not None else None,
        eos_token=eos,
        pad_token=eos,
    )
    if vocabulary.chat_template:
        tokenizer.chat_template = vocabulary.chat_template
    return tokenizer


def gguf_tokenizer(path: Path) -> Any:
    """The tokenizer of a GGUF model file, with its chat template where the file has one."""
    vocabulary = read_vocabulary(path)
    if vocabulary.model == "gpt2":
        return byte_level_tokenizer(vocabulary)
    from transformers import AutoTokenizer  # noqa: PLC0415

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"{path}: its {vocabulary.model!r} tokenizer cannot be converted ({exc})") from exc
    if vocabulary.chat_template and not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = vocabulary.chat_template
    return tokenizer
