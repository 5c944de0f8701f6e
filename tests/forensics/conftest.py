"""Tiny real models for the forensics tests: a byte-level BPE and small llama-architecture nets.

The models are real transformers models (random weights, or trained here for a few seconds), so
the loading, generation, teacher forcing and HTTP paths run for real; they are just small.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from distillguard.forensics.probe_set import PROBES

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
#: Text the tiny tokenizer is trained on: the probe set and some plain English sentences.
SENTENCES = [probe.prompt for probe in PROBES] + [
    "The quick brown fox jumps over the lazy dog.",
    "A model distilled from a teacher repeats the teacher's choices.",
    "Paris is the capital of France, and Berlin is the capital of Germany.",
    "I am a helpful assistant made by a small team of engineers.",
    "Water boils at one hundred degrees at sea level.",
]


def torch_or_skip() -> Any:
    """Torch and transformers, or skip: these tests need the forensics extra."""
    torch = pytest.importorskip("torch", reason="needs torch: pip install -e '.[forensics]'")
    pytest.importorskip("transformers", reason="needs transformers: pip install -e '.[forensics]'")
    torch.set_num_threads(1)
    return torch


def tiny_tokenizer() -> Any:
    """A byte-level tokenizer without merges (one token per byte) and ChatML control tokens.

    Without merges, any text of printable ASCII decodes and re-encodes to the same ids, so text
    written by a tiny random model keeps its token ids through the text round trip.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    from distillguard.forensics.gguf_tokenizer import transformers_module

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    core = Tokenizer(models.BPE(vocab={symbol: index for index, symbol in enumerate(alphabet)}, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.add_special_tokens(
        [AddedToken(name, special=True) for name in ("<|endoftext|>", "<|im_start|>", "<|im_end|>")]
    )
    tokenizer = transformers_module().PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    tokenizer.chat_template = CHATML
    return tokenizer


def ascii_ids(tokenizer: Any) -> list[int]:
    """The ids of the printable ASCII characters."""
    return sorted({tokenizer(chr(code), add_special_tokens=False).input_ids[0] for code in range(32, 127)})


def tiny_model(tokenizer: Any, seed: int, hidden: int = 32) -> Any:
    """A two-layer llama with random weights."""
    torch = torch_or_skip()
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=False,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config)


def save_tiny(directory: Path, seed: int) -> Path:
    """A tiny model directory (a transformers SPEC)."""
    from distillguard.forensics.local_model import save_model

    tokenizer = tiny_tokenizer()
    save_model(tiny_model(tokenizer, seed), tokenizer, directory)
    return directory


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three tiny random models on disk: teacher, suspect, reference."""
    torch_or_skip()
    root = tmp_path_factory.mktemp("tiny-models")
    return {name: save_tiny(root / name, seed) for seed, name in enumerate(("teacher", "suspect", "reference"))}
