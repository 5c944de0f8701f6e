"""One ordinary account writing in other languages is served as any other: never reviewed, never stripped.

Real prompts people wrote in Japanese, French, Spanish, Korean, Thai, Hindi, Chinese, Russian and Arabic (the held-out
part of ``users_multilingual.jsonl``, which no fit or calibration of the extraction model has seen) go through a real
``distillguard serve`` with the example config, from one pay-as-you-go account: every request must be allowed and its
reasoning passed on untouched, and the online evidence must never build up to review.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from distillguard.gateway.canned import REASONING
from distillguard.gateway.loopback import free_port, stop
from tests.gateway.conftest import PAYG, chat_body, client, serve
from training.multilingual import held_out

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "corpora" / "users_multilingual.jsonl"
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "examples" / "gateway" / "gateway.toml"
PROMPTS_PER_LANGUAGE = 18


def _held_out_prompts() -> list[str]:
    from distillguard.simulate.corpus import UserPrompt  # noqa: PLC0415

    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    prompts = [UserPrompt(r["prompt"], r["lang"], r["source"]) for r in rows]
    by_language: dict[str, list[str]] = {}
    for prompt in prompts:
        if held_out(prompt):
            by_language.setdefault(prompt.language, []).append(prompt.text)
    return [text for texts in by_language.values() for text in texts[:PROMPTS_PER_LANGUAGE]]


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason="needs ../shared/data/corpora/users_multilingual.jsonl")
def test_an_account_writing_in_other_languages_is_never_reviewed(gateway_dir: Path, upstream_url: str) -> None:
    prompts = _held_out_prompts()
    assert len(prompts) >= 300
    config = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    config = config.replace('directory = "../../gateway-log"', 'directory = "log"')
    # The example's budget is 600 requests a minute; these arrive faster than a person would send them, and the
    # budget is not what is tested: the policy, the online evidence and the shared-template sign are the example's.
    config = config.replace("[tiers.payg]\nrequests_per_minute = 600", "[tiers.payg]\nrequests_per_minute = 100000")
    assert "requests_per_minute = 100000" in config
    port = free_port()
    process = serve(gateway_dir, config, upstream_url, port)
    try:
        with client(port) as http:
            for prompt in prompts:
                reply = http.post("/v1/chat/completions", json=chat_body(prompt), headers=PAYG)
                assert reply.status_code == 200, reply.text
                assert reply.json()["choices"][0]["message"].get("reasoning_content") == REASONING, prompt
    finally:
        stop(process)
    decisions = [
        orjson.loads(line)
        for path in sorted((gateway_dir / "log" / "decisions").glob("*.jsonl"))
        for line in path.read_bytes().splitlines()
    ]
    assert len(decisions) == len(prompts)
    assert {(d["verdict"], d["action"]) for d in decisions} == {("allow", "allow")}
    # Some prompts fire a family (M-IFEval's instruction-following constraints most: docs/signals.md); they must
    # stay a few, so that nothing builds up (the sixteenth model fired on most of these).
    firing = [d for d in decisions if d["families"]]
    assert len(firing) <= len(prompts) // 10, [(d["families"], d["template"]) for d in firing]
