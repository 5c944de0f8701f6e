"""The watermark as a Hugging Face transformers ``LogitsProcessor``.

One processor per ``generate`` call (it remembers where the prompt ends)::

    from transformers import LogitsProcessorList
    processor = WatermarkLogitsProcessor(scheme_for(load_key(path)), temperature=0.7, top_p=0.9)
    model.generate(input_ids, logits_processor=LogitsProcessorList([processor]),
                   do_sample=True, temperature=0.7, top_p=0.9)

transformers runs custom processors before its temperature and top-p warpers, so a green list's
``delta`` is added to the model's raw logits. A Gumbel-max processor draws the token itself (with
the temperature and top-p it was given) and hands back a one-hot row, which any later warper
or sampler keeps.
"""

from __future__ import annotations

import numpy as np
import torch
from transformers import LogitsProcessor

from distillguard.watermark.sampling import Watermarker
from distillguard.watermark.schemes import Scheme


class WatermarkLogitsProcessor(LogitsProcessor):  # type: ignore[misc]  # transformers is read untyped
    """Marks each row's next-token scores with ``scheme`` (the rows' prompts are never the context)."""

    def __init__(self, scheme: Scheme, *, temperature: float = 1.0, top_p: float = 1.0, top_k: int = 0) -> None:
        self.watermarker = Watermarker(scheme, temperature=temperature, top_p=top_p, top_k=top_k)
        self.prompt_length: int | None = None

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.FloatTensor:
        """The marked scores for this step."""
        if self.prompt_length is None:
            self.prompt_length = int(input_ids.shape[1])
        generated = input_ids[:, self.prompt_length :].tolist()
        marked = self.watermarker.process(generated, scores.detach().to(torch.float32).cpu().numpy())
        return torch.from_numpy(np.ascontiguousarray(marked)).to(device=scores.device, dtype=scores.dtype)
