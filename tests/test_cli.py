"""The command line: validate and convert, with their exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from distillguard.cli import EXIT_ERROR, EXIT_REJECTED, main
from tests.conftest import exchange, write_jsonl


def test_validate_clean_dataset(tmp_path: Path, real_exchanges: list[dict[str, Any]]) -> None:
    write_jsonl(tmp_path / "exchanges.jsonl", real_exchanges)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "exchanges" in result.output
    assert "50" in result.output


def test_validate_reports_reasons_and_exits_1(tmp_path: Path, real_exchanges: list[dict[str, Any]]) -> None:
    rows = [*real_exchanges, exchange(500, "q", "a", timestamp="yesterday")]
    write_jsonl(tmp_path / "exchanges.jsonl", rows)
    rejected = tmp_path / "rejected.jsonl"
    result = CliRunner().invoke(main, ["validate", str(tmp_path), "--rejected", str(rejected)])
    assert result.exit_code == EXIT_REJECTED
    assert "bad_timestamp" in result.output
    (record,) = [json.loads(line) for line in rejected.read_text().splitlines()]
    assert (record["row"], record["field"]) == (51, "timestamp")


def test_validate_broken_input_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "exchanges.parquet").write_bytes(b"PAR1 but not really")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == EXIT_ERROR
    assert "exchanges.parquet: not a readable Parquet file" in result.output
    assert "Traceback" not in result.output


def test_validate_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("schema_version = 1\nunknown = 3\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path), "--config", str(config)])
    assert result.exit_code == EXIT_ERROR
    assert "unknown = 3" in result.output


def test_convert_v1_then_validate(tmp_path: Path, real_exchanges: list[dict[str, Any]]) -> None:
    write_jsonl(tmp_path / "in" / "exchanges.jsonl", real_exchanges)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", str(tmp_path / "in"), "--from", "v1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "exchanges.parquet").exists()
    assert CliRunner().invoke(main, ["validate", str(out)]).exit_code == 0


def test_convert_openai_pairs(tmp_path: Path) -> None:
    line = {
        "request": {"model": "m", "messages": [{"role": "user", "content": "Hi"}]},
        "response": {"id": "c1", "created": 1772000000, "choices": [{"message": {"content": "Hello"}}]},
    }
    source = tmp_path / "pairs.jsonl"
    source.write_text(json.dumps(line) + "\n")
    out = tmp_path / "out"
    args = ["convert", str(source), "--from", "openai", "--account", "acct-1", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "1 rows read, 1 written" in result.output
