"""The stable split of shared text sources between training and evaluation."""

from __future__ import annotations

import hashlib


def in_eval_split(text: str, share: float = 0.3) -> bool:
    """Whether ``text`` falls in the evaluation part of a shared source (stable hash)."""
    digest = hashlib.blake2b(text.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 2**32 < share
