"""Model SPECs: every form parses to the right kind and label; bad ones fail with the SPEC named."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.errors import ForensicsError, ModelUnavailableError
from distillguard.forensics.spec import local_path, parse_spec


@pytest.mark.parametrize(
    ("text", "kind", "label", "location", "model"),
    [
        ("models/student", "transformers", "student", "models/student", None),
        ("s1=models/student", "transformers", "s1", "models/student", None),
        ("/m/SmolLM2.Q4.gguf", "gguf", "SmolLM2.Q4", "/m/SmolLM2.Q4.gguf", None),
        ("smollm2", "gguf", "smollm2", "smollm2", "smollm2"),
        ("gemma=gemma3-270m", "gguf", "gemma", "gemma3-270m", "gemma3-270m"),
        ("http://127.0.0.1:8000/v1#qwen", "endpoint", "qwen", "http://127.0.0.1:8000/v1", "qwen"),
        ("http://127.0.0.1:8000/v1/", "endpoint", "127.0.0.1:8000", "http://127.0.0.1:8000/v1", None),
        # an '=' inside a URL is part of the URL, not a label
        ("https://api.example/v1?a=b#m", "endpoint", "m", "https://api.example/v1?a=b", "m"),
    ],
)
def test_specs_parse(text: str, kind: str, label: str, location: str, model: str | None) -> None:
    spec = parse_spec(text)
    assert (spec.kind, spec.label, spec.location, spec.model_name) == (kind, label, location, model)


@pytest.mark.parametrize("text", ["", "  ", "=models/x", "label=", "http://"])
def test_bad_specs_say_what_is_wrong(text: str) -> None:
    with pytest.raises(ForensicsError, match="SPEC"):
        parse_spec(text)


def test_a_missing_model_is_unavailable_with_its_label(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match=r"^ghost: .*no config\.json"):
        local_path(parse_spec(f"ghost={tmp_path}"))
    with pytest.raises(ModelUnavailableError, match=r"^g: GGUF file .* does not exist"):
        local_path(parse_spec(f"g={tmp_path / 'none.gguf'}"))
    with pytest.raises(ForensicsError, match="is an endpoint"):
        local_path(parse_spec("http://127.0.0.1:1/v1"))
