"""A finding: evidence, not a bare number."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """What one detector says of one exchange.

    ``score`` is in [0, 1]; 0.5 is the detector's calibrated operating point (see
    ``docs/signals.md``). ``evidence`` is a sentence an analyst can read; it is empty
    when the detector does not fire.
    """

    detector: str
    version: str
    score: float
    evidence: str
