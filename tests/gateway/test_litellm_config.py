"""The LiteLLM config section, without LiteLLM installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from distillguard.gateway.litellm_config import GUARDRAIL_CLASS, guardrail_section


def test_the_section_names_the_guardrail_class_and_the_gateway_config() -> None:
    lines = guardrail_section(Path("/etc/distillguard/gateway.toml")).splitlines()
    assert lines == [
        "guardrails:",
        "  - guardrail_name: distillguard",
        "    litellm_params:",
        "      guardrail: distillguard.gateway.litellm_guardrail.DistillguardGuardrail",
        "      mode: [pre_call, post_call]",
        "      default_on: true",
        "      distillguard_config: /etc/distillguard/gateway.toml",
    ]


def test_the_class_it_names_exists_where_it_says() -> None:
    module, _, name = GUARDRAIL_CLASS.rpartition(".")
    spec = importlib.util.find_spec("distillguard")
    assert spec is not None
    assert spec.origin is not None
    path = Path(spec.origin).parent.joinpath(*module.split(".")[1:]).with_suffix(".py")
    assert f"class {name}(" in path.read_text(encoding="utf-8")


def test_the_operators_guide_shows_the_same_section() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "gateway.md").read_text(encoding="utf-8")
    block = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    shown = [line.split("  #", 1)[0].rstrip() for line in block.splitlines()]
    assert shown == guardrail_section("/etc/distillguard/gateway.toml").splitlines()
