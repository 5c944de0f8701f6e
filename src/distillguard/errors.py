"""Every error distillguard raises on purpose.

The tree::

    DistillguardError            base: catch this to handle any of ours
    +-- ConfigError              a config file is missing, unreadable or invalid
    +-- DatasetError             a dataset cannot be read at all
    |   +-- FormatError          a file is not what its name says (truncated gzip, not Parquet)
    |   +-- SchemaError          a table's columns are missing or of the wrong type
    +-- ConvertError             an input of another format cannot be mapped onto v1
    +-- ModelError               a model file is missing, corrupt, of another version, or not the one released
    |   +-- EmbeddingError       the static embedding table (or its tokenizer) does not load
    +-- WatermarkError           a watermark key, tokenizer or text input that cannot be used
    +-- ForensicsError           a suspect model, probe set or report input that cannot be used
    |   +-- ModelUnavailableError     one model cannot be loaded or answered badly (down, slow, garbage)
    +-- BadRequestError          a request the gateway refuses with a 400 (its message, parameter and code)
    +-- StateUnavailableError    the gateway's state store cannot be reached (it fails open or closed, as configured)

Bad *rows* are not errors: they are quarantined as rejections with their reason
(see :mod:`distillguard.ingest.rejections`) and the run goes on. Errors are for
whole files and settings, and every message names the file (and field) at fault.
"""

from __future__ import annotations


class DistillguardError(Exception):
    """Base class of every error raised on purpose by distillguard."""


class ConfigError(DistillguardError):
    """A config file is missing, unreadable or holds an invalid key or value."""


class DatasetError(DistillguardError):
    """A dataset (file or directory) cannot be read at all."""


class FormatError(DatasetError):
    """A file's content does not match its name: truncated gzip, not Parquet, ..."""


class SchemaError(DatasetError):
    """A table lacks a required column or holds one of the wrong type."""


class ConvertError(DistillguardError):
    """An input in another format (LiteLLM, OpenAI pairs) cannot be mapped onto v1."""


class ModelError(DistillguardError):
    """A model file cannot be used: missing, corrupt, of another feature version, or not the released file."""


class EmbeddingError(ModelError):
    """The static embedding table or its tokenizer does not load."""


class WatermarkError(DistillguardError):
    """A watermark key file, tokenizer or input that cannot be used (missing, malformed, of another scheme)."""


class ForensicsError(DistillguardError):
    """A model SPEC, probe set or forensics input that cannot be used."""


class ModelUnavailableError(ForensicsError):
    """One model could not be loaded or queried: a server down, too slow, or answering garbage."""


class BadRequestError(DistillguardError):
    """A request the gateway refuses with a 400, with OpenAI's ``message``, ``param`` and ``code``."""

    def __init__(self, message: str, param: str | None = None, code: str = "invalid_request") -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code


class StateUnavailableError(DistillguardError):
    """The state store cannot be reached; the gateway applies its fail-open or fail-closed policy."""
