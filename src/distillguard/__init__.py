"""distillguard: detect and stop distillation attacks on an LLM API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("distillguard")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
