"""Settings load from TOML and fail loudly with the key, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.config import Settings, load_settings
from distillguard.errors import ConfigError


def test_defaults_without_a_file() -> None:
    assert load_settings(None) == Settings()


def test_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "distillguard.toml"
    path.write_text('schema_version = 1\n[ingest]\nbatch_rows = 8192\ntiers = ["free", "gold"]\n')
    settings = load_settings(path)
    assert settings.ingest.batch_rows == 8192
    assert settings.ingest.tiers == ("free", "gold")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[ingest]\nbatch_rows = 8192\n", "`schema_version` is missing"),
        ("schema_version = 2\n", "schema_version = 2"),
        (
            "schema_version = 1\n[ingest]\nbatch_rows = 10\n",
            r"ingest\.batch_rows = 10: .*greater than or equal to 1024",
        ),
        ("schema_version = 1\n[ingest]\nbatch_size = 10\n", r"ingest\.batch_size = 10: Extra inputs"),
        ("schema_version = 1\n[ingest.litellm]\naccount_field = 'email'\n", r"account_field = 'email'"),
        ("schema_version = [1\n", "not valid TOML"),
    ],
)
def test_invalid_file_names_key_and_value(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "distillguard.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml")
