"""Where the files that ship inside the package (model, embedding table) are."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped_file(stem: str) -> Path:
    """The path of ``signals/models/{stem}.npz`` inside the installed package."""
    return Path(str(files("distillguard.signals") / "models" / f"{stem}.npz"))
