"""Settings: one TOML file with ``schema_version``, validated when loaded.

Defaults apply only when no file is given. A file with an unknown key, a value out of
range or the wrong ``schema_version`` fails loudly with the key, the value and what is
allowed; a broken file never falls back to the defaults. Example::

    schema_version = 1

    [ingest]
    batch_rows = 65536
    tiers = ["free", "payg", "education", "research", "startup", "enterprise"]

    [ingest.litellm]
    account_field = "user"
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from distillguard.errors import ConfigError
from distillguard.schema import TIERS

SCHEMA_VERSION = 1
DEFAULT_BATCH_ROWS = 65_536


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
    litellm: LiteLLMSettings = LiteLLMSettings()


class Settings(_Strict):
    """The whole configuration."""

    schema_version: Literal[1] = 1
    ingest: IngestSettings = IngestSettings()


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid configuration"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        value = item.get("input")
        lines.append(f"  {key} = {value!r}: {item['msg']}")
    return "\n".join(lines)


def load_settings(path: Path | None) -> Settings:
    """Read ``path`` (or return the defaults when it is ``None``)."""
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    if "schema_version" not in data:
        raise ConfigError(f"{path}: `schema_version` is missing; this release reads schema_version = {SCHEMA_VERSION}")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, str(path))) from exc
