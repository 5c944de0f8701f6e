"""The watermark as a llama-cpp-python ``logits_processor``.

One processor per completion (it remembers where the prompt ends)::

    from llama_cpp import LogitsProcessorList
    processor = LlamaCppWatermark(scheme_for(load_key(path)), temperature=0.7, top_p=0.9)
    llama(prompt, logits_processor=LogitsProcessorList([processor]), temperature=0.7, top_p=0.9)

llama-cpp-python calls it with the whole sequence so far (prompt included) and the next-token
scores as numpy arrays, before its own samplers; a Gumbel-max processor returns a one-hot row,
which those samplers keep. Needs numpy only: llama-cpp-python itself is not imported.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from distillguard.watermark.sampling import Watermarker
from distillguard.watermark.schemes import Scheme


class LlamaCppWatermark:
    """A ``(input_ids, scores) -> scores`` callable marking one completion with ``scheme``."""

    def __init__(self, scheme: Scheme, *, temperature: float = 1.0, top_p: float = 1.0, top_k: int = 0) -> None:
        self.watermarker = Watermarker(scheme, temperature=temperature, top_p=top_p, top_k=top_k)
        self.prompt_length: int | None = None

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        """The marked scores for this step (``scores`` is one row over the vocabulary)."""
        if self.prompt_length is None:
            self.prompt_length = len(input_ids)
        generated = [int(token) for token in input_ids[self.prompt_length :]]
        marked: npt.NDArray[np.single] = self.watermarker.process([generated], scores.reshape(1, -1))[0]
        return marked
