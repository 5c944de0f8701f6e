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

Only hashes are held in memory. Either source is polled (``reload_seconds``) and re-read when its
content changes (a hash of the file's bytes; the table's ``PRAGMA data_version``), so keys can be
issued and revoked without a restart, within one poll, whatever the writer does.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from distillguard.config import parse_toml
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


def parse_keys_file(path: Path, content: bytes) -> dict[str, KeyEntry]:
    """The keys of a TOML keys file's ``content`` by hash; a clear :class:`ConfigError` naming the entry at fault."""
    data = parse_toml(path, content, "keys file")
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


def _keys_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: keys file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read keys file ({exc})") from exc


def read_keys_file(path: Path) -> dict[str, KeyEntry]:
    """The keys of a TOML keys file by hash."""
    return parse_keys_file(path, _keys_file_bytes(path))


class _KeysFileSource:
    """A TOML keys file, re-read when its content changes.

    Compared by a hash of its bytes: replaced with the same modification time, or rewritten within
    one tick of the file system's clock, it is still seen.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digest = b""

    def changed(self) -> dict[str, KeyEntry] | None:
        content = _keys_file_bytes(self.path)
        digest = hashlib.sha256(content).digest()
        if digest == self._digest:
            return None
        keys = parse_keys_file(self.path, content)
        self._digest = digest
        return keys

    def close(self) -> None:
        """Nothing to release."""


def _select_keys(con: sqlite3.Connection, path: Path) -> dict[str, KeyEntry]:
    try:
        rows = con.execute("SELECT key_sha256, key_id, account_id, tier FROM api_keys").fetchall()
    except sqlite3.Error as exc:
        raise ConfigError(f"{path}: cannot read table api_keys ({exc})") from exc
    return {
        str(digest).lower(): KeyEntry(str(key_id), str(account), str(tier)) for digest, key_id, account, tier in rows
    }


def _open_read_only(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise ConfigError(f"{path}: keys database not found")
    try:
        # check_same_thread=False: the reload loop polls from worker threads, one poll at a time
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise ConfigError(f"{path}: cannot open keys database ({exc})") from exc


def read_keys_database(path: Path) -> dict[str, KeyEntry]:
    """The keys of the ``api_keys`` table of a SQLite file, by hash."""
    con = _open_read_only(path)
    try:
        return _select_keys(con, path)
    finally:
        con.close()


class _KeysDatabaseSource:
    """The ``api_keys`` table, re-read when another connection commits to it.

    One read-only connection stays open and asks ``PRAGMA data_version``, which changes whenever
    any other connection commits, in WAL mode too (where the main file's modification time stays put
    while a writer keeps its connection open). A database file replaced by another (a new inode) is
    reopened.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._con: sqlite3.Connection | None = None
        self._file: tuple[int, int] = (-1, -1)
        self._version = -1

    def changed(self) -> dict[str, KeyEntry] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise ConfigError(f"{self.path}: keys database not found") from None
        if self._con is None or (stat.st_dev, stat.st_ino) != self._file:
            self.close()
            self._con, self._file, self._version = _open_read_only(self.path), (stat.st_dev, stat.st_ino), -1
        try:
            version = int(self._con.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise ConfigError(f"{self.path}: cannot read keys database ({exc})") from exc
        if version == self._version:
            return None
        keys = _select_keys(self._con, self.path)
        self._version = version
        return keys

    def close(self) -> None:
        """Close the connection."""
        if self._con is not None:
            self._con.close()
            self._con = None


class KeyRing:
    """The current keys, polled for changes every ``reload_seconds`` by the gateway's reload loop.

    A revoked key stops working at the first poll after the change is committed (the file's content,
    or the table's ``data_version``), whatever the writer does with its files or connections.
    """

    def __init__(self, keys_file: Path | None, keys_database: Path | None) -> None:
        if keys_file is not None and keys_database is not None:
            raise ConfigError("give keys_file or keys_database, not both")
        if keys_file is not None:
            self.path = keys_file
            self._source: _KeysFileSource | _KeysDatabaseSource = _KeysFileSource(keys_file)
        elif keys_database is not None:
            self.path = keys_database
            self._source = _KeysDatabaseSource(keys_database)
        else:
            raise ConfigError("the gateway needs keys: set keys_file (TOML) or keys_database (SQLite)")
        self._keys: dict[str, KeyEntry] = {}
        self.reload()

    def __len__(self) -> int:
        return len(self._keys)

    def reload(self) -> bool:
        """Re-read the source if it changed; ``True`` when it did. A broken new file keeps the old keys."""
        keys = self._source.changed()  # raises on the first load; the caller logs later failures
        if keys is None:
            return False
        self._keys = keys
        return True

    def lookup(self, key: str) -> KeyEntry | None:
        """The entry of a presented key, or ``None``."""
        return self._keys.get(key_hash(key))

    def close(self) -> None:
        """Release the source (the database connection)."""
        self._source.close()
