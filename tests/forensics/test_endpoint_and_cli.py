"""Endpoints over real loopback servers (one that works, ones that fail), and the CLI end to end.

The server is tests/forensics/model_server.py over a tiny real model in a child process; a port
nothing listens on stands for a server that is down.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from distillguard.cli import main
from distillguard.errors import ModelUnavailableError
from distillguard.forensics.endpoint import EndpointModel
from distillguard.forensics.local_model import LocalModel
from distillguard.forensics.spec import parse_spec
from distillguard.gateway.loopback import free_port, stop, wait_for_port
from distillguard.watermark.keys import generate_key, save_key
from tests.forensics.conftest import torch_or_skip

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tiny_dirs: dict[str, Path]) -> Iterator[str]:
    """The base URL of a model server over the tiny suspect."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.forensics.model_server",
            "--model",
            str(tiny_dirs["suspect"]),
            "--port",
            str(port),
        ],
        cwd=ROOT,
    )
    try:
        wait_for_port(port, process, timeout_s=120)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(process)


def test_an_endpoint_answers_chat_and_gives_the_models_own_predictions(server: str, tiny_dirs: dict[str, Path]) -> None:
    with EndpointModel.connect(parse_spec(server)) as endpoint:
        assert endpoint.model_name == "tiny"  # learnt from /v1/models
        answers = endpoint.chat(["Who made you?", "Name a fruit."], max_new_tokens=8, temperature=1.0, seed=0)
        local = LocalModel.load(parse_spec(str(tiny_dirs["suspect"])))
        sequence = np.asarray(local.tokenizer("The quick brown fox jumps.").input_ids, dtype=np.int64)
        remote = endpoint.predict_next([sequence], local.tokenizer)[0]
    assert len(answers) == 2
    assert all(isinstance(a, str) for a in answers)
    own = local.predict_next([sequence], local.tokenizer)[0]
    # tokens travel as text: a lone byte that is not UTF-8 cannot come back as itself
    whole = np.array(["\ufffd" not in local.tokenizer.decode([int(t)]) for t in own])
    assert whole.sum() >= len(own) // 3
    assert remote[whole].tolist() == own[whole].tolist()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("broken", "answered HTTP 500"),
        ("garbage", "not JSON"),
        ("shapeless", r"without choices\[0\]\.message\.content"),
        ("slow", "did not answer within 2.0s"),
    ],
)
def test_a_failing_server_is_a_clear_error_naming_the_model(server: str, name: str, message: str) -> None:
    with (
        EndpointModel.connect(parse_spec(f"bad={server}#{name}"), timeout_s=2.0) as endpoint,
        pytest.raises(ModelUnavailableError, match=f"^bad: .*{message}"),
    ):
        endpoint.chat(["hello"], max_new_tokens=4, temperature=0.0, seed=0)


def test_an_endpoint_without_prompt_logprobs_says_to_use_closed_mode(server: str) -> None:
    with (
        EndpointModel.connect(parse_spec(f"{server}#nologprobs")) as endpoint,
        pytest.raises(ModelUnavailableError, match="--mode closed"),
    ):
        endpoint.predict_next([np.array([5, 6, 7])], None)


def test_a_server_that_is_down_is_a_clear_error() -> None:
    with pytest.raises(ModelUnavailableError, match=r"^down: cannot reach http://127\.0\.0\.1:\d+/v1/models"):
        EndpointModel.connect(parse_spec(f"down=http://127.0.0.1:{free_port()}/v1"), timeout_s=2.0)


def test_probe_cli_writes_its_report_while_a_reference_is_down(
    server: str, tiny_dirs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(
        main,
        [
            "forensics", "probe",
            "--suspect", f"suspect={server}",
            "--teacher", f"teacher={tiny_dirs['teacher']}",
            "--reference", f"reference={tiny_dirs['reference']}",
            "--reference", f"down=http://127.0.0.1:{free_port()}/v1",
            "--reference", f"broken={server}#broken",
            "--name", "SmolLM", "--limit", "6", "--samples", "2", "--max-new-tokens", "8",
            "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads((out / "forensics.json").read_text())
    assert [t["name"] for t in record["tests"]] == ["identity", "agreement", "style"]
    assert all(0.0 <= t["p_value"] <= 1.0 and t["null"] for t in record["tests"])
    errors = {m["label"]: m["error"] for m in record["models"]}
    assert errors["suspect"] is None
    assert errors["reference"] is None
    assert "cannot reach" in errors["down"]
    assert "HTTP 500" in errors["broken"]
    assert record["combined"]["method"].startswith("Holm")
    html = (out / "forensics.html").read_text()
    assert "HTTP 500" in html
    assert "identity" in html


def test_probe_cli_fails_when_the_suspect_is_down(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "forensics", "probe", "--suspect", f"http://127.0.0.1:{free_port()}/v1",
            "--teacher", str(tiny_dirs["teacher"]), "--reference", str(tiny_dirs["reference"]),
            "--limit", "2", "--out", str(tmp_path / "r"),
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "no test could run" in result.output
    assert json.loads((tmp_path / "r" / "forensics.json").read_text())["error"]


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "k.json"
    save_key(generate_key("kgw", context_width=1), path)
    return path


def test_radioactivity_cli_tests_each_suspect_and_reports_the_ones_it_cannot(
    server: str, tiny_dirs: dict[str, Path], key_file: Path, tmp_path: Path
) -> None:
    texts = tmp_path / "marked.jsonl"
    texts.write_text("".join(json.dumps({"text": f"The quick brown fox number {i} jumps."}) + "\n" for i in range(5)))
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("Who made you?\nName a fruit.\n")
    result = CliRunner().invoke(
        main,
        [
            "forensics", "radioactivity", "--key", str(key_file),
            "--suspect", f"local={tiny_dirs['suspect']}", "--suspect", f"remote={server}",
            "--suspect", f"down=http://127.0.0.1:{free_port()}/v1",
            "--texts", str(texts), "--prompts", str(prompts),
            "--tokenizer", str(tiny_dirs["suspect"]), "--max-new-tokens", "8", "--timeout", "5",
        ],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    by = {(line["suspect"], line.get("mode")): line for line in lines}
    for suspect in ("local", "remote"):
        for mode in ("open", "closed"):
            line = by[(suspect, mode)]
            assert 0.0 <= line["p_value"] <= 1.0
            assert line["tokens_scored"] > 0
    assert by[("local", "open")]["predictions"] == by[("remote", "open")]["predictions"]
    assert "cannot reach" in by[("down", None)]["error"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--mode", "open"], "open mode needs --texts"),
        (["--mode", "closed"], "closed mode needs --prompts"),
        (["--mode", "closed", "--prompts", "EMPTY"], "holds no prompts"),
        (["--mode", "open", "--texts", "BADJSON"], "line 2: not JSON"),
        (["--mode", "open", "--texts", "NOTEXT"], "line 1: `text` is missing"),
        (["--mode", "closed", "--prompts", "P", "--tokenizer", "/no/such/tokenizer"], "tokenizer '/no/such/tokenizer'"),
    ],
)
def test_radioactivity_cli_bad_input_exits_2_with_the_reason(
    key_file: Path, tmp_path: Path, arguments: list[str], message: str
) -> None:
    if "--tokenizer" in arguments:
        pytest.importorskip("transformers", reason="reading a tokenizer needs the forensics extra")
    files = {
        "EMPTY": ("e.txt", "\n\n"),
        "BADJSON": ("b.jsonl", '{"text": "fine"}\n{oops\n'),
        "NOTEXT": ("n.jsonl", '{"prompt": "x"}\n'),
        "P": ("p.txt", "hello\n"),
    }
    resolved = []
    for argument in arguments:
        if argument in files:
            name, content = files[argument]
            (tmp_path / name).write_text(content)
        resolved.append(str(tmp_path / files[argument][0]) if argument in files else argument)
    result = CliRunner().invoke(
        main, ["forensics", "radioactivity", "--key", str(key_file), "--suspect", "x=models/none", *resolved]
    )
    assert result.exit_code == 2
    assert message in result.output


def test_radioactivity_cli_rejects_a_key_file_that_is_not_one(tmp_path: Path) -> None:
    bad = tmp_path / "k.json"
    bad.write_text("{}")
    result = CliRunner().invoke(
        main, ["forensics", "radioactivity", "--key", str(bad), "--suspect", "x", "--mode", "open", "--texts", str(bad)]
    )
    assert result.exit_code == 2
    assert "k.json" in result.output


def test_tests_here_need_torch() -> None:
    torch_or_skip()
