"""Per-exchange signals: extraction-intent scores, template keys, evidence."""

from distillguard.signals.detectors import (
    BUILTIN_DETECTORS,
    FamilyDetector,
    SignalBatch,
    builtin_detectors,
    run_signals,
)
from distillguard.signals.finding import Finding

__all__ = ["BUILTIN_DETECTORS", "FamilyDetector", "Finding", "SignalBatch", "builtin_detectors", "run_signals"]
