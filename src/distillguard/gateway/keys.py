"""API keys to accounts and tiers: a TOML keys file by default, or a SQLite table.

The keys file::

    [[keys]]
    id = "k-ops-1"                 # written as api_key_id in the event log
    account_id = "acct-00017"
    tier = "free"
    key_sha256 = "9f86d081..."     # hex SHA-256 of the key; or `key = "sk-..."` for a test setup

The database table (``keys_database`` in the gateway config)::

    CREATE TABLE api_keys (key_sha256 TEXT PRIMARY KEY, key_id TEXT NOT NULL,
                           account_id TEXT NOT NULL, tier TEXT NOT NULL)

Only hashes are held in memory. Either source is re-read when its file changes, so keys
can be issued and revoked without a restart.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from distillguard.config import read_toml
from distillguard.errors import ConfigError


@dataclass(frozen=True)
class KeyEntry:
    """Who a key belongs to."""

    key_id: str
    account_id: str
    tier: str


def key_hash(key: str) -> str:
    """The hex SHA-256 a key is stored and looked up by."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class _KeyRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)
    tier: str = Field(min_length=1)
    key: str | None = Field(None, min_length=8)
    key_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _one_key(self) -> _KeyRow:
        if (self.key is None) == (self.key_sha256 is None):
            raise ValueError("give exactly one of `key` and `key_sha256`")
        return self

    def digest(self) -> str:
        return self.key_sha256 if self.key_sha256 is not None else key_hash(self.key or "")


class _KeysFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[_KeyRow] = Field(default_factory=list)


def read_keys_file(path: Path) -> dict[str, KeyEntry]:
    """The keys of a TOML keys file by hash; a clear :class:`ConfigError` naming the entry at fault."""
    data = read_toml(path, "keys file")
    try:
        parsed = _KeysFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from exc
    out: dict[str, KeyEntry] = {}
    for position, row in enumerate(parsed.keys):
        digest = row.digest()
        if digest in out:
            raise ConfigError(f"{path}: keys.{position} ({row.id}) repeats the key of {out[digest].key_id}")
        out[digest] = KeyEntry(row.id, row.account_id, row.tier)
    return out


def read_keys_database(path: Path) -> dict[str, KeyEntry]:
    """The keys of the ``api_keys`` table of a SQLite file, by hash."""
    if not path.exists():
        raise ConfigError(f"{path}: keys database not found")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            rows = con.execute("SELECT key_sha256, key_id, account_id, tier FROM api_keys").fetchall()
    except sqlite3.Error as exc:
        raise ConfigError(f"{path}: cannot read table api_keys ({exc})") from exc
    return {
        str(digest).lower(): KeyEntry(str(key_id), str(account), str(tier)) for digest, key_id, account, tier in rows
    }


class KeyRing:
    """The current keys, re-read when their file's modification time changes."""

    def __init__(self, keys_file: Path | None, keys_database: Path | None) -> None:
        if keys_file is not None and keys_database is not None:
            raise ConfigError("give keys_file or keys_database, not both")
        if keys_file is None and keys_database is None:
            raise ConfigError("the gateway needs keys: set keys_file (TOML) or keys_database (SQLite)")
        self.path: Path = keys_file if keys_file is not None else keys_database  # type: ignore[assignment]
        self._read = read_keys_file if keys_file is not None else read_keys_database
        self._mtime = -1
        self._keys: dict[str, KeyEntry] = {}
        self.reload()

    def __len__(self) -> int:
        return len(self._keys)

    def reload(self) -> bool:
        """Re-read the source if it changed; ``True`` when it did. A broken new file keeps the old keys."""
        mtime = self.path.stat().st_mtime_ns if self.path.exists() else -1
        if mtime == self._mtime:
            return False
        keys = self._read(self.path)  # raises on the first load; the caller logs later failures
        self._keys, self._mtime = keys, mtime
        return True

    def lookup(self, key: str) -> KeyEntry | None:
        """The entry of a presented key, or ``None``."""
        return self._keys.get(key_hash(key))
