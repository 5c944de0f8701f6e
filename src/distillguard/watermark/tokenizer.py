"""The tokenizer detection re-reads text with: the teacher's own, shipped, or one the user names.

Detection needs the token ids the model sampled, so it needs the model's tokenizer (not the
model). ``smollm2`` (the default) is SmolLM2-135M-Instruct's byte-level BPE, built from its
GGUF file's ``tokenizer.ggml.tokens`` and ``tokenizer.ggml.merges`` with llama.cpp's ``smollm``
pre-tokenizer (every digit alone, then GPT-2's split) and shipped in the package
(``tokenizers/smollm2.json.gz``, 0.6 MB), so scoring needs neither the model nor torch.
Otherwise name a ``tokenizer.json`` (Hugging Face ``tokenizers`` format), a directory holding
one, or a ``.gguf`` file (read with the ``gguf`` package of the ``forensics`` extra). Models
cannot be fetched from a hub by name here, so any other name is an error.

The shipped file is rebuilt with::

    from distillguard.watermark.tokenizer import tokenizer_from_gguf
    tokenizer_from_gguf(Path("SmolLM2-135M-Instruct.Q4_1.gguf")).save("smollm2.json")  # then gzip -9
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from distillguard.errors import WatermarkError

DEFAULT_TOKENIZER: Final = "smollm2"
_SHIPPED: Final = {
    "smollm2": "smollm2.json.gz",
    "smollm2-135m-instruct": "smollm2.json.gz",
    "huggingfacetb/smollm2-135m-instruct": "smollm2.json.gz",
}
#: llama.cpp's pre-tokenizers that split like SmolLM2's (digits alone, then GPT-2's expression).
_DIGIT_SPLITTING_PRE: Final = frozenset({"smollm", "starcoder", "refact", "command-r", "codeshell", "exaone"})
_GPT2_PRE: Final = frozenset({"gpt2", "default", "mpt", "olmo", "jais"})
_CONTROL_TOKEN: Final = 3


@dataclass(frozen=True)
class TextTokenizer:
    """A tokenizer with a name, turning texts into token id arrays and back."""

    name: str
    tokenizer: Tokenizer

    @property
    def vocab_size(self) -> int:
        """Tokens in the vocabulary, special ones included."""
        return int(self.tokenizer.get_vocab_size(with_added_tokens=True))

    def encode(self, texts: Sequence[str]) -> list[npt.NDArray[np.int64]]:
        """The token ids of each text (no special tokens added)."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [np.asarray(encoding.ids, dtype=np.int64) for encoding in encodings]

    def decode(self, token_ids: Sequence[int]) -> str:
        """The text of ``token_ids``, special tokens dropped."""
        return str(self.tokenizer.decode(list(token_ids), skip_special_tokens=True))


def load_tokenizer(name_or_path: str | None = None) -> TextTokenizer:
    """The tokenizer ``name_or_path`` names (the shipped SmolLM2 one by default)."""
    name = name_or_path or DEFAULT_TOKENIZER
    shipped = _SHIPPED.get(name.lower())
    if shipped is not None:
        data = resources.files("distillguard.watermark").joinpath("tokenizers", shipped).read_bytes()
        return TextTokenizer(DEFAULT_TOKENIZER, Tokenizer.from_str(gzip.decompress(data).decode("utf-8")))
    path = Path(name)
    if path.is_dir():
        path = path / "tokenizer.json"
    if not path.exists():
        raise WatermarkError(
            f"unknown tokenizer {name!r}: give {DEFAULT_TOKENIZER!r}, a tokenizer.json, a directory holding one, "
            "or a .gguf model file (tokenizers are never downloaded)"
        )
    if path.suffix == ".gguf":
        return TextTokenizer(str(path), tokenizer_from_gguf(path))
    try:
        text = gzip.decompress(path.read_bytes()).decode("utf-8") if path.suffix == ".gz" else path.read_text("utf-8")
        return TextTokenizer(str(path), Tokenizer.from_str(text))
    except (OSError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise WatermarkError(f"{path}: cannot read the tokenizer ({exc})") from exc
    except Exception as exc:  # tokenizers raises its own untyped exception on a malformed file
        raise WatermarkError(f"{path}: not a tokenizers tokenizer.json ({exc})") from exc


def _gguf_field(reader: Any, name: str, path: Path) -> Any:
    field = reader.fields.get(name)
    if field is None:
        raise WatermarkError(f"{path}: the GGUF file has no {name}")
    return field.contents()


def tokenizer_from_gguf(path: Path) -> Tokenizer:
    """A byte-level BPE tokenizer from a GGUF file's vocabulary and merges (``gpt2`` models)."""
    try:
        import gguf  # noqa: PLC0415 - the forensics extra's reader, only for GGUF input
    except ImportError:
        raise WatermarkError(f"{path}: reading a GGUF tokenizer needs the forensics extra (the gguf package)") from None
    try:
        reader = gguf.GGUFReader(str(path))
    except (OSError, ValueError) as exc:
        raise WatermarkError(f"{path}: not a readable GGUF file ({exc})") from exc
    model = _gguf_field(reader, "tokenizer.ggml.model", path)
    if model != "gpt2":
        raise WatermarkError(f"{path}: tokenizer model {model!r}; only byte-level BPE (gpt2) is built from GGUF")
    tokens: list[str] = _gguf_field(reader, "tokenizer.ggml.tokens", path)
    merges: list[str] = _gguf_field(reader, "tokenizer.ggml.merges", path)
    types = reader.fields.get("tokenizer.ggml.token_type")
    token_types: list[int] = types.contents() if types is not None else [1] * len(tokens)
    pre = reader.fields.get("tokenizer.ggml.pre")
    pre_name = pre.contents() if pre is not None else "gpt2"
    bpe = models.BPE(
        vocab={token: index for index, token in enumerate(tokens)},
        merges=[(left, right) for left, _, right in (merge.partition(" ") for merge in merges)],
        fuse_unk=False,
    )
    tokenizer = Tokenizer(bpe)
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if pre_name in _DIGIT_SPLITTING_PRE:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
    elif pre_name in _GPT2_PRE:
        tokenizer.pre_tokenizer = byte_level
    else:
        raise WatermarkError(f"{path}: pre-tokenizer {pre_name!r} is not one this builder knows (smollm, gpt2, ...)")
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(
        [token for token, kind in zip(tokens, token_types, strict=True) if kind == _CONTROL_TOKEN]
    )
    return tokenizer
