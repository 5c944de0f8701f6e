"""Settings: one TOML file with ``schema_version``, validated when loaded.

Defaults apply only when no file is given. A file with an unknown key, a value out of
range or the wrong ``schema_version`` fails loudly with the key, the value and what is
allowed; a broken file never falls back to the defaults. Example::

    schema_version = 1

    [ingest]
    batch_rows = 65536
    tiers = ["free", "payg", "education", "research", "startup", "enterprise"]
    timestamp_spread_days = 1096   # exchanges further from the first rows' middle time are implausible

    [ingest.litellm]
    account_field = "user"

    [scan]
    target_fpr = 0.001
    workers = 0          # processes for the text classifiers; 0 = one per CPU
    memory_limit = "4GB" # DuckDB's in-memory budget before it spills to disk
    redact = true        # report.html shows templates, not prompts

    [scan.releases]      # model release times, for the model-pivot indicator
    "atlas-3" = 2026-01-23T00:00:00Z
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from distillguard.errors import ConfigError
from distillguard.schema import TIERS

SCHEMA_VERSION = 1
DEFAULT_BATCH_ROWS = 65_536
#: How far an exchange may lie from the middle of the dataset's first rows (``ingest.timestamp_spread_days``).
SPREAD_DAYS = 1096


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LiteLLMSettings(_Strict):
    """How LiteLLM spend logs map onto v1 accounts."""

    account_field: Literal["user", "team_id", "api_key", "end_user"] = Field(
        "user",
        description="The spend-log column that names the billing account; empty values fall back "
        "to team_id, then api_key.",
    )


class IngestSettings(_Strict):
    """Reading and validating datasets."""

    batch_rows: int = Field(DEFAULT_BATCH_ROWS, ge=1_024, le=4_194_304, description="Rows per Arrow batch.")
    tiers: tuple[str, ...] = Field(TIERS, min_length=1, description="Account tiers accepted.")
    timestamp_spread_days: int = Field(
        SPREAD_DAYS,
        ge=1,
        le=36_500,
        description="Exchanges further than this from the middle of the first rows read are implausible.",
    )
    litellm: LiteLLMSettings = LiteLLMSettings()


class ScanSettings(_Strict):
    """The batch scan."""

    target_fpr: float = Field(
        0.001, gt=0, lt=0.5, description="Share of reference accounts allowed over the block line."
    )
    workers: int = Field(0, ge=0, le=256, description="Processes for the text classifiers; 0 means one per CPU.")
    memory_limit: str = Field("4GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB)$", description="DuckDB memory budget.")
    redact: bool = Field(True, description="Show prompt templates, not prompts, in report.html.")
    releases: dict[str, AwareDatetime] = Field(
        default_factory=dict,
        description="Model release times, for the model-pivot indicator; without them a model's first "
        "appearance in the log stands for its release.",
    )


class Settings(_Strict):
    """The whole configuration."""

    schema_version: Literal[1] = 1
    ingest: IngestSettings = IngestSettings()
    scan: ScanSettings = ScanSettings()


def describe_validation_error(error: ValidationError, heading: str) -> str:
    """A pydantic error as a message for people: ``heading``, then one line per key at fault."""
    lines = [heading]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        value = item.get("input")
        lines.append(f"  {key} = {value!r}: {item['msg']}")
    return "\n".join(lines)


def read_toml(path: Path, kind: str) -> dict[str, Any]:
    """A TOML file's table; a :class:`ConfigError` naming the file (as a ``kind``) when it cannot be read."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: {kind} not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {kind} ({exc})") from exc
    return parse_toml(path, content, kind)


def parse_toml(path: Path, content: bytes, kind: str) -> dict[str, Any]:
    """The table of ``content``, the bytes of the TOML file ``path`` (named in a :class:`ConfigError`)."""
    try:
        return tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read {kind} ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def load_settings(path: Path | None) -> Settings:
    """Read ``path`` (or return the defaults when it is ``None``)."""
    if path is None:
        return Settings()
    data = read_toml(path, "config file")
    if "schema_version" not in data:
        raise ConfigError(f"{path}: `schema_version` is missing; this release reads schema_version = {SCHEMA_VERSION}")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, f"{path}: invalid configuration")) from exc
