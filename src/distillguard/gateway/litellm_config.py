"""The LiteLLM proxy ``config.yaml`` section that installs the distillguard guardrail.

Kept apart from :mod:`distillguard.gateway.litellm_guardrail`, which imports LiteLLM, so that
what only writes a proxy config (the guardrail's tests, the gateway benchmark, a deployment
script) does not need LiteLLM installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

GUARDRAIL_CLASS: Final = "distillguard.gateway.litellm_guardrail.DistillguardGuardrail"


def guardrail_section(distillguard_config: Path | str) -> str:
    """The ``guardrails:`` section of a LiteLLM proxy config, on for every call.

    ``distillguard_config`` is the gateway TOML the guardrail reads (the ``DISTILLGUARD_CONFIG``
    variable is the alternative).
    """
    return (
        "guardrails:\n"
        "  - guardrail_name: distillguard\n"
        "    litellm_params:\n"
        f"      guardrail: {GUARDRAIL_CLASS}\n"
        "      mode: [pre_call, post_call]\n"
        "      default_on: true\n"
        f"      distillguard_config: {distillguard_config}\n"
    )
