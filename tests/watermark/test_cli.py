"""``distillguard watermark keygen|detect``: output shape, detection end to end, and exit 2 on bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from click.testing import CliRunner

from distillguard.cli import main
from distillguard.watermark import WatermarkKey, load_key, scheme_for
from distillguard.watermark.tokenizer import load_tokenizer


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["watermark", *args])
    return result.exit_code, result.stdout, result.stderr


def _green_text(key: WatermarkKey, words: int = 150) -> str:
    """A text whose every token is green under ``key``: random words, each drawn among the green ones."""
    tokenizer = load_tokenizer()
    scheme = scheme_for(key)
    vocabulary = tokenizer.tokenizer.get_vocab()
    pool = np.array(sorted(i for t, i in vocabulary.items() if t.startswith("\u0120") and t[1:].isalpha()))
    rng = np.random.default_rng(0)
    ids: list[int] = []
    for _ in range(words):
        context = ([-1] * scheme.context_width + ids)[-scheme.context_width :]
        candidates = rng.choice(pool, size=64)
        green = scheme.pair_scores(np.repeat([context], 64, axis=0), candidates) == 1.0
        ids.append(int(candidates[green][0]))
    return tokenizer.decode(ids)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "key.json"
    code, out, _ = _run("keygen", "--out", str(path), "--scheme", "kgw")
    assert code == 0
    assert out.startswith("kgw-")
    return path


def test_detect_finds_marked_text_and_passes_plain_text(tmp_path: Path, key_file: Path) -> None:
    key = load_key(key_file)
    texts = tmp_path / "texts.jsonl"
    human = "I walked to the market this morning and bought some apples, which were cheaper than last week."
    texts.write_bytes(
        orjson.dumps({"id": "m", "text": _green_text(key)}) + b"\n" + orjson.dumps({"text": human}) + b"\n"
    )
    code, out, _ = _run("detect", "--key", str(key_file), "--file", str(texts), "--format", "jsonl")
    assert code == 0
    marked, plain = (orjson.loads(line) for line in out.splitlines())
    assert marked["id"] == "m"
    assert marked["line"] == 1
    assert marked["p_value"] < 1e-6
    assert plain["p_value"] > 1e-3
    for record in (marked, plain):
        assert {"p_value", "tokens_scored", "green_tokens", "key_id", "scheme"} <= set(record)
    code, out, _ = _run("detect", "--key", str(key_file), "--file", str(texts), "--pool")
    pooled = orjson.loads(out)
    assert pooled["pooled"] is True
    assert pooled["texts"] == 2
    assert pooled["tokens_scored"] <= marked["tokens_scored"] + plain["tokens_scored"]


def test_account_keys_attribute_a_leak(tmp_path: Path, key_file: Path) -> None:
    master = load_key(key_file)
    texts = tmp_path / "leak.jsonl"
    texts.write_bytes(orjson.dumps({"text": _green_text(master.for_account("acct-7"))}) + b"\n")
    p = {}
    for account in ("acct-7", "acct-8"):
        code, out, _ = _run("detect", "--key", str(key_file), "--file", str(texts), "--account", account)
        assert code == 0
        p[account] = orjson.loads(out)["p_value"]
    assert p["acct-7"] < 1e-6 < p["acct-8"]


def test_vllm_keygen_prints_the_engine_config(tmp_path: Path) -> None:
    code, out, _ = _run("keygen", "--out", str(tmp_path / "v.json"), "--scheme", "vllm-gumbel", "--vllm-key", "42")
    assert code == 0
    assert '--watermark-config \'{"algorithm":"gumbel","key":42,"context_width":4}\'' in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no texts (the file is empty)"),
        (b"\n\n", "no texts"),
        (b'{"text": "ok"}\nnot json\n', "line 2: not JSON"),
        (b'["a list"]\n', "line 1: expected an object"),
        (b'{"body": "x"}\n', "line 1: `text` is missing"),
        (b'{"text": 12}\n', "line 1: `text` is a int, not a string"),
    ],
)
def test_bad_input_exits_2_naming_file_and_line(tmp_path: Path, key_file: Path, content: bytes, message: str) -> None:
    texts = tmp_path / "texts.jsonl"
    texts.write_bytes(content)
    code, _, err = _run("detect", "--key", str(key_file), "--file", str(texts))
    assert code == 2
    assert message in err
    assert "texts.jsonl" in err


def test_bad_key_tokenizer_or_file_exit_2(tmp_path: Path, key_file: Path) -> None:
    texts = tmp_path / "texts.jsonl"
    texts.write_bytes(b'{"text": "hello"}\n')
    code, _, err = _run("detect", "--key", str(key_file), "--file", str(texts), "--tokenizer", "gpt-4o")
    assert code == 2
    assert "unknown tokenizer 'gpt-4o'" in err
    vllm_config = tmp_path / "vllm.json"
    vllm_config.write_text('{"algorithm": "gumbel", "key": 42}')
    code, _, err = _run("detect", "--key", str(vllm_config), "--file", str(texts))
    assert code == 2
    assert "--vllm-key 42" in err
    code, _, err = _run("detect", "--key", str(key_file), "--file", str(tmp_path / "absent.jsonl"))
    assert code == 2
    assert "absent.jsonl: cannot read" in err
    code, _, err = _run("keygen", "--out", str(key_file))
    assert code == 2
    assert "already exists" in err
    vllm_key = tmp_path / "v.json"
    _run("keygen", "--out", str(vllm_key), "--scheme", "vllm-gumbel")
    code, _, err = _run("detect", "--key", str(vllm_key), "--file", str(texts), "--account", "a")
    assert code == 2
    assert "per-account keys need kgw or gumbel" in err
