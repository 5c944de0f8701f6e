"""Revoked keys stop working within one poll (``reload_seconds``), whatever the writer does."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import anyio
import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.gateway.decisions import DecisionTable
from distillguard.gateway.keys import KeyRing, key_hash
from tests.gateway.conftest import chat_body, settings_for
from tests.gateway.test_gateway_app import CHAT, running

KEY_ROW = '[[keys]]\nid = "{id}"\naccount_id = "acct-{id}"\ntier = "free"\nkey = "sk-{id}-00000000"\n\n'


def wal_database(path: Path, *ids: str) -> sqlite3.Connection:
    """A keys database in WAL mode, and its writer's connection (left open, as a key service keeps it)."""
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE api_keys (key_sha256 TEXT PRIMARY KEY, key_id TEXT, account_id TEXT, tier TEXT)")
    for key_id in ids:
        writer.execute(
            "INSERT INTO api_keys VALUES (?, ?, ?, 'free')", (key_hash(f"sk-{key_id}-00000000"), key_id, key_id)
        )
    writer.commit()
    return writer


def test_a_key_deleted_by_a_writer_that_keeps_its_wal_connection_open_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite"
    writer = wal_database(path, "alpha", "beta")
    ring = KeyRing(None, path)
    try:
        assert ring.lookup("sk-alpha-00000000") is not None
        mtime = path.stat().st_mtime_ns
        writer.execute("DELETE FROM api_keys WHERE key_id = 'alpha'")
        writer.commit()
        assert path.stat().st_mtime_ns == mtime  # the main file is untouched until a checkpoint
        assert ring.reload()
        assert ring.lookup("sk-alpha-00000000") is None
        assert ring.lookup("sk-beta-00000000") is not None
        assert not ring.reload()  # nothing committed since
    finally:
        ring.close()
        writer.close()


def test_a_keys_database_replaced_by_another_file_is_reopened(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite"
    wal_database(path, "alpha").close()
    ring = KeyRing(None, path)
    try:
        wal_database(tmp_path / "next.sqlite", "beta").close()
        (tmp_path / "next.sqlite").replace(path)
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"next.sqlite{suffix}").unlink(missing_ok=True)
        assert ring.reload()
        assert ring.lookup("sk-alpha-00000000") is None
        assert ring.lookup("sk-beta-00000000") is not None
    finally:
        ring.close()


def test_a_keys_file_replaced_with_the_same_modification_time_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(KEY_ROW.format(id="alpha") + KEY_ROW.format(id="beta"))
    ring = KeyRing(path, None)
    before = path.stat()
    replacement = tmp_path / "keys.toml.new"
    replacement.write_text(KEY_ROW.format(id="beta") + KEY_ROW.format(id="gamma"))  # same size: alpha revoked
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    replacement.replace(path)
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert path.stat().st_size == before.st_size
    assert ring.reload()
    assert ring.lookup("sk-alpha-00000000") is None
    assert ring.lookup("sk-gamma-00000000") is not None
    assert not ring.reload()


def test_a_decisions_file_replaced_with_the_same_modification_time_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "accounts.parquet"

    def write(verdict: str) -> None:
        table = pa.table(
            {"account_id": ["a"], "risk": [0.9], "verdict": [verdict], "campaign_id": [None], "reasons": [["r"]]},
            schema=pa.schema(
                [
                    ("account_id", pa.string()),
                    ("risk", pa.float64()),
                    ("verdict", pa.string()),
                    ("campaign_id", pa.string()),
                    ("reasons", pa.list_(pa.string())),
                ]
            ),
        )
        pq.write_table(table, path)

    write("block")
    table = DecisionTable(path)
    assert table.get("a") is not None
    stamp = path.stat().st_mtime_ns
    write("allow")  # the block lifted
    os.utime(path, ns=(stamp, stamp))
    assert table.reload()
    assert table.get("a") is None


def test_the_gateway_refuses_a_revoked_database_key_within_the_reload_interval(
    tmp_path: Path, upstream_url: str
) -> None:
    path = tmp_path / "keys.sqlite"
    writer = wal_database(path, "alpha")
    settings = settings_for(tmp_path, upstream_url, keys_file=None, keys_database=str(path), reload_seconds=0.2)
    headers = {"authorization": "Bearer sk-alpha-00000000"}

    async def body() -> None:
        async with running(settings) as (_, http):
            assert (await http.post(CHAT, json=chat_body(), headers=headers)).status_code == 200
            writer.execute("DELETE FROM api_keys")
            writer.commit()
            revoked = time.monotonic()
            while (reply := await http.post(CHAT, json=chat_body(), headers=headers)).status_code == 200:
                assert time.monotonic() - revoked < 5, "the revoked key kept working"
                await anyio.sleep(0.05)
            assert reply.status_code == 401

    try:
        anyio.run(body)
    finally:
        writer.close()
