"""Key files: generation, round trip, permissions, derived keys, and clear errors on bad files."""

from __future__ import annotations

import stat
from pathlib import Path

import orjson
import pytest

from distillguard.errors import WatermarkError
from distillguard.watermark.keys import generate_key, key_to_json, load_key, save_key


@pytest.mark.parametrize("scheme", ["kgw", "gumbel", "vllm-gumbel"])
def test_round_trip_keeps_secret_id_and_parameters(tmp_path: Path, scheme: str) -> None:
    key = generate_key(scheme)  # type: ignore[arg-type]
    path = tmp_path / "key.json"
    save_key(key, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_key(path)
    assert loaded.secret == key.secret
    assert loaded.key_id == key.key_id
    assert loaded.key_id.startswith(f"{scheme}-")
    assert (loaded.context_width, loaded.gamma, loaded.delta) == (key.context_width, key.gamma, key.delta)


def test_new_keys_differ_and_files_are_never_overwritten(tmp_path: Path) -> None:
    assert generate_key("kgw").secret != generate_key("kgw").secret
    path = tmp_path / "key.json"
    save_key(generate_key("kgw"), path)
    with pytest.raises(WatermarkError, match="already exists"):
        save_key(generate_key("kgw"), path)


def test_account_keys_are_deterministic_distinct_and_named() -> None:
    master = generate_key("gumbel")
    alice = master.for_account("acct-alice")
    assert alice.secret == master.for_account("acct-alice").secret
    assert alice.secret != master.for_account("acct-bob").secret
    assert alice.account == "acct-alice"
    assert alice.parent_key_id == master.key_id
    assert alice.key_id != master.key_id
    with pytest.raises(WatermarkError, match="already the key of account"):
        alice.for_account("x")
    with pytest.raises(WatermarkError, match="per-account keys need"):
        generate_key("vllm-gumbel").for_account("x")


def test_vllm_key_import_and_config() -> None:
    key = generate_key("vllm-gumbel", vllm_key=42)
    assert key.vllm_key == 42
    assert key.vllm_config() == {"algorithm": "gumbel", "key": 42, "context_width": 4}
    with pytest.raises(WatermarkError, match=r"\[0, 2\*\*64\)"):
        generate_key("vllm-gumbel", vllm_key=2**64)
    with pytest.raises(WatermarkError, match="only be imported"):
        generate_key("kgw", vllm_key=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"context_width": 0}, "outside 1..16"),
        ({"gamma": 1.0}, "gamma in"),
        ({"delta": -1.0}, "delta in"),
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(WatermarkError, match=message):
        generate_key("kgw", **kwargs)  # type: ignore[arg-type]


def _write(path: Path, record: object) -> Path:
    path.write_bytes(orjson.dumps(record))
    return path


def test_bad_files_name_the_file_and_the_fault(tmp_path: Path) -> None:
    good = orjson.loads(key_to_json(generate_key("kgw")))
    with pytest.raises(WatermarkError, match="key file not found"):
        load_key(tmp_path / "missing.json")
    (tmp_path / "text.json").write_text("not json")
    with pytest.raises(WatermarkError, match=r"text\.json: not a watermark key file \(not JSON"):
        load_key(tmp_path / "text.json")
    with pytest.raises(WatermarkError, match="not a watermark key file"):
        load_key(_write(tmp_path / "other.json", {"keys": [1, 2]}))
    with pytest.raises(WatermarkError, match="version 9"):
        load_key(_write(tmp_path / "v9.json", {**good, "version": 9}))
    with pytest.raises(WatermarkError, match="gamma"):
        load_key(_write(tmp_path / "gamma.json", {**good, "gamma": 2}))
    with pytest.raises(WatermarkError, match="does not match its secret"):
        load_key(_write(tmp_path / "edited.json", {**good, "secret": "00" * 32}))
    with pytest.raises(WatermarkError, match="32-byte secret"):
        load_key(_write(tmp_path / "short.json", {**good, "secret": "00" * 8}))
    with pytest.raises(WatermarkError, match="extra"):
        load_key(_write(tmp_path / "extra.json", {**good, "comment": "x"}))


def test_a_key_of_another_scheme_is_refused_where_one_scheme_is_needed(tmp_path: Path) -> None:
    path = tmp_path / "gumbel.json"
    save_key(generate_key("gumbel"), path)
    with pytest.raises(WatermarkError, match="a gumbel key, but a kgw key is needed"):
        load_key(path, scheme="kgw")
