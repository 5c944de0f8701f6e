"""The files that ship inside the package (the extraction model, the embedding table), checked by their hash.

Each is one file, replaced when a new version is released (``docs/signals.md``, "Shipping a model"); its SHA-256 is
written here, so a file that was swapped, truncated or half-written is refused with :class:`ModelError` before it
scores anything, and git history grows by one file per released version, never per experiment.

Sizes: the model is about 4 MB (a float16 weight per hashed feature and family, compressed), the table about 14 MB
(a float16 256-d vector per word piece of MiniLM's 30,522, compressed): what the scoring needs, nothing more.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Final

from distillguard.errors import ModelError


@dataclass(frozen=True)
class ShippedFile:
    """A file in ``signals/models/`` and the SHA-256 it must have."""

    name: str
    sha256: str

    def path(self) -> Path:
        """Its path inside the installed package, after checking its hash."""
        path = Path(str(files("distillguard.signals") / "models" / self.name))
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise ModelError(f"{path}: the shipped file cannot be read ({exc}); reinstall distillguard") from exc
        if digest != self.sha256:
            raise ModelError(
                f"{path}: SHA-256 {digest} is not the released {self.sha256}; reinstall distillguard, or, when "
                "shipping a new file, write its hash into distillguard/signals/shipped.py"
            )
        return path


EXTRACTION_MODEL: Final = ShippedFile(
    "extraction.npz", "ff56dfefc13d0137772e571927f1db28a30cd648cea6095308680564f00870f0"
)
EMBEDDING_TABLE: Final = ShippedFile(
    "minilm-static.npz", "afd7a8e07b7cfd7552125f9b2a772a1b45718a8909b0162bcbbe7263c37eefcf"
)
