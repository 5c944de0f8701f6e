"""One request's watermark over torch logits: the per-request callable vLLM's adapter wraps.

vLLM calls a per-request processor as ``processor(output_ids, logits)`` with the request's
generated ids so far (a list) and its next-token logits (a 1-D tensor); this marks them with
:class:`~distillguard.watermark.sampling.Watermarker` and returns them on the same device.
"""

from __future__ import annotations

import numpy as np
import torch

from distillguard.watermark.sampling import Watermarker


class RequestWatermark:
    """``(output_ids, logits) -> logits`` for one request."""

    def __init__(self, watermarker: Watermarker) -> None:
        self.watermarker = watermarker

    def __call__(self, output_ids: list[int], logits: torch.Tensor) -> torch.Tensor:
        """The marked logits of this step."""
        row = logits.detach().to(torch.float32).cpu().numpy().reshape(1, -1)
        marked = self.watermarker.process([output_ids], row)[0]
        return torch.from_numpy(np.ascontiguousarray(marked)).to(device=logits.device, dtype=logits.dtype)
