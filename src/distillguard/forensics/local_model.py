"""Local models through torch + transformers: a model directory or a GGUF file (dequantised).

Needs the ``forensics`` extra. Generation is batched with left padding and seeded per call, so a
run is reproducible; on a CPU shared with other work one thread is often faster than several
(``DISTILLGUARD_TORCH_THREADS`` overrides torch's default).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from distillguard.errors import ModelUnavailableError
from distillguard.forensics.gguf_tokenizer import gguf_tokenizer, transformers_module
from distillguard.forensics.models import PLAIN_FORMAT, Ints
from distillguard.forensics.spec import ModelSpec, local_path

#: End-of-turn markers of the chat formats in use, stopped on as well as the model's own eos.
_TURN_ENDS = ("<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<|eot_id|>", "</s>")


def _torch() -> Any:
    try:
        import torch  # noqa: PLC0415
    except ImportError as exc:
        raise ModelUnavailableError("local models need torch: pip install -e '.[forensics]'") from exc
    threads = os.environ.get("DISTILLGUARD_TORCH_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    return torch


class LocalModel:
    """A causal language model held in this process."""

    def __init__(self, label: str, model: Any, tokenizer: Any, *, device: str = "cpu", batch_size: int = 16) -> None:
        self.label = label
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.device = device
        self.batch_size = batch_size
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"
        vocab = tokenizer.get_vocab()
        ends = {vocab[name] for name in _TURN_ENDS if name in vocab}
        if tokenizer.eos_token_id is not None:
            ends.add(int(tokenizer.eos_token_id))
        self.stop_ids = sorted(ends)
        # Models without a chat template (base models such as Gemma 3) need the BOS their tokenizer adds
        # (without it Gemma writes the same word over and over); chat templates bring their own markers.
        bos = tokenizer.bos_token_id
        plain = not getattr(tokenizer, "chat_template", None)
        self.bos: int | None = int(bos) if plain and bos is not None and tokenizer("a").input_ids[:1] == [bos] else None

    @classmethod
    def load(cls, spec: ModelSpec, *, device: str = "cpu") -> LocalModel:
        """Load a transformers directory or a GGUF file."""
        torch = _torch()
        transformers = transformers_module()
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        auto_model, auto_tokenizer = transformers.AutoModelForCausalLM, transformers.AutoTokenizer
        path = local_path(spec)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if spec.kind == "gguf":
                    tokenizer = gguf_tokenizer(path)
                    model = auto_model.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
                else:
                    tokenizer = auto_tokenizer.from_pretrained(str(path))
                    model = auto_model.from_pretrained(str(path), dtype=torch.float32)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelUnavailableError(f"{spec.label}: {path} could not be loaded ({exc})") from exc
        return cls(spec.label, model.to(device), tokenizer, device=device)

    def format(self, prompt: str) -> str:
        """The prompt as the model's chat format (its template, or a plain question/answer frame)."""
        if getattr(self.tokenizer, "chat_template", None):
            text: str = self.tokenizer.apply_chat_template(
                [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
            )
            return text
        return PLAIN_FORMAT.format(prompt=prompt)

    def chat(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int,
        temperature: float,
        seed: int,
        top_k: int = 0,
        processors: Callable[[int], Any] | None = None,
    ) -> list[str]:
        """One answer per prompt, in batches; ``processors`` marks them (see ``generate_ids``)."""
        generated = self.generate_ids(
            prompts,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            seed=seed,
            top_k=top_k,
            processors=processors,
        )
        return [self.tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in generated]

    def generate_ids(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int,
        temperature: float,
        seed: int,
        top_k: int = 0,
        processors: Callable[[int], Any] | None = None,
    ) -> list[Ints]:
        """The generated token ids of each answer, up to (not including) its end-of-turn token.

        ``processors``, given a batch's prompt width, returns the transformers logits processors
        for that batch (a watermark's, whose context is the tokens generated after that width).
        """
        torch = _torch()
        answers: list[Ints] = []
        for start in range(0, len(prompts), self.batch_size):
            batch = [self.format(prompt) for prompt in prompts[start : start + self.batch_size]]
            encoded = self.tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=self.bos is not None)
            torch.manual_seed(seed + start)
            options: dict[str, Any] = {"do_sample": temperature > 0}
            if temperature > 0:
                options.update(temperature=temperature, top_k=top_k, top_p=1.0)
            with torch.inference_mode():
                out = self.model.generate(
                    input_ids=encoded.input_ids.to(self.device),
                    attention_mask=encoded.attention_mask.to(self.device),
                    max_new_tokens=max_new_tokens,
                    eos_token_id=self.stop_ids,
                    pad_token_id=self.tokenizer.pad_token_id,
                    logits_processor=processors(encoded.input_ids.shape[1]) if processors else None,
                    **options,
                )
            width = encoded.input_ids.shape[1]
            for row in out[:, width:].cpu().numpy():
                stops = np.flatnonzero(np.isin(row, self.stop_ids))
                answers.append(row[: stops[0]] if stops.size else row)
        return answers

    def same_vocabulary(self, tokenizer: Any) -> bool:
        """Whether ``tokenizer`` numbers tokens as this model does (so its ids can be fed directly)."""
        mine = self.tokenizer.get_vocab()
        theirs = tokenizer.get_vocab()
        if len(mine) != len(theirs):
            return False
        sample = list(theirs.items())[:: max(1, len(theirs) // 997)]
        return all(mine.get(token) == index for token, index in sample)

    def predict_next(self, sequences: Sequence[Ints], tokenizer: Any) -> list[Ints]:
        """The argmax next token after each prefix (teacher forcing), in ``tokenizer``'s ids.

        Sequences in this model's own vocabulary are fed as they are; otherwise each sequence is
        decoded, re-encoded with this model's tokenizer, and each prediction is mapped back to the
        first ``tokenizer`` id of its text at the matching position (character offsets).
        """
        if self.same_vocabulary(tokenizer):
            return self._argmax([np.asarray(seq, dtype=np.int64) for seq in sequences])
        return [self._predict_foreign(np.asarray(seq, dtype=np.int64), tokenizer) for seq in sequences]

    def _argmax(self, sequences: Sequence[Ints]) -> list[Ints]:
        torch = _torch()
        results: list[Ints] = []
        for start in range(0, len(sequences), self.batch_size):
            batch = sequences[start : start + self.batch_size]
            width = max((len(seq) for seq in batch), default=0)
            ids = np.zeros((len(batch), max(width, 1)), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, seq in enumerate(batch):  # right padding: predictions stay at their positions
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            with torch.inference_mode():
                logits = self.model(
                    input_ids=torch.from_numpy(ids).to(self.device),
                    attention_mask=torch.from_numpy(mask).to(self.device),
                ).logits
            best = logits.argmax(dim=-1).cpu().numpy().astype(np.int64)
            results.extend(best[row, : len(seq)] for row, seq in enumerate(batch))
        return results

    def _predict_foreign(self, sequence: Ints, tokenizer: Any) -> Ints:
        text = tokenizer.decode(sequence.tolist())
        theirs = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        mine = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = np.asarray(mine.input_ids, dtype=np.int64)
        if self.bos is not None:  # fed after the BOS the model expects; predictions keep the text's positions
            predictions = self._argmax([np.concatenate([[self.bos], ids])])[0][1:]
        else:
            predictions = self._argmax([ids])[0]
        ends = {end: index for index, (_, end) in enumerate(mine.offset_mapping)}
        out = np.full(len(theirs.input_ids), -1, dtype=np.int64)
        for index, (_, end) in enumerate(theirs.offset_mapping):
            position = ends.get(end)
            if position is None:
                continue
            piece = self.tokenizer.decode([int(predictions[position])])
            mapped = tokenizer(piece, add_special_tokens=False).input_ids
            if mapped:
                out[index] = mapped[0]
        return out


def save_model(model: Any, tokenizer: Any, out: Path) -> None:
    """Write a model and its tokenizer as a transformers directory (a SPEC of its own)."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
