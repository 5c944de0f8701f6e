"""The ``watermark`` action's request edits, through the real gateway and the canned upstream on loopback.

``canned-echo`` answers with the body the gateway sent, so each test reads what reached the engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from distillguard.gateway.watermark import WatermarkSettings, edit_request_body
from distillguard.watermark.marker import instruction
from tests.gateway.conftest import PAYG, chat_body, settings_for
from tests.gateway.test_gateway_app import CHAT, run, running

# What a client might send to switch an engine's watermark off or pick an account key.
OPT_OUTS: dict[str, Any] = {
    "watermarking": False,  # vLLM's per-request opt-out (vllm-project/vllm#58191: honoured even when enforced)
    "watermark": {"enabled": False},  # SGLang's per-request object
    "vllm_xargs": {"distillguard_watermark": False, "distillguard_account": "someone-else", "other": 1},
}


def _sent(gateway_dir: Path, upstream_url: str, policy: dict[str, str], watermark: dict[str, Any]) -> dict[str, Any]:
    settings = settings_for(gateway_dir, upstream_url, policy=policy, watermark=watermark)
    seen: dict[str, Any] = {}

    async def body() -> None:
        async with running(settings) as (_, http):
            reply = await http.post(CHAT, json=chat_body(model="canned-echo", **OPT_OUTS), headers=PAYG)
            assert reply.status_code == 200
            seen.update(orjson.loads(reply.json()["choices"][0]["message"]["content"]))

    run(body)
    return seen


def test_flagged_accounts_get_the_engines_fields_and_cannot_opt_out(gateway_dir: Path, upstream_url: str) -> None:
    sent = _sent(
        gateway_dir, upstream_url, {"allow": "watermark"}, {"engine_fields": ["vllm", "sglang", "distillguard-vllm"]}
    )
    assert sent["watermarking"] is True
    assert sent["watermark"] == {"enabled": True}
    assert sent["vllm_xargs"] == {"other": 1, "distillguard_watermark": True, "distillguard_account": "acct-payg"}


def test_other_accounts_get_the_engines_watermark_off_unless_scope_is_all(gateway_dir: Path, upstream_url: str) -> None:
    fields = {"engine_fields": ["vllm", "sglang"]}
    sent = _sent(gateway_dir, upstream_url, {"allow": "allow"}, fields)
    assert (sent["watermarking"], sent["watermark"]) == (False, {"enabled": False})
    assert sent["vllm_xargs"] == {"other": 1}
    everyone = _sent(gateway_dir, upstream_url, {"allow": "allow"}, {**fields, "scope": "all"})
    assert (everyone["watermarking"], everyone["watermark"]) == (True, {"enabled": True})


def test_clients_fields_are_stripped_even_without_engine_fields(gateway_dir: Path, upstream_url: str) -> None:
    sent = _sent(gateway_dir, upstream_url, {"allow": "allow"}, {})
    assert "watermarking" not in sent
    assert "watermark" not in sent
    assert sent["vllm_xargs"] == {"other": 1}
    kept = _sent(gateway_dir, upstream_url, {"allow": "allow"}, {"strip_client_fields": False})
    assert kept["watermarking"] is False


def test_the_marker_instruction_reaches_flagged_requests_only(gateway_dir: Path, upstream_url: str) -> None:
    sent = _sent(gateway_dir, upstream_url, {"allow": "watermark"}, {"marker": "follow-up-question"})
    assert sent["messages"][0] == {"role": "system", "content": instruction("follow-up-question")}
    assert sent["messages"][1]["role"] == "user"
    plain = _sent(gateway_dir, upstream_url, {"allow": "allow"}, {"marker": "follow-up-question"})
    assert [m["role"] for m in plain["messages"]] == ["user"]


def test_flagged_requests_carry_the_account_header(gateway_dir: Path, upstream_url: str) -> None:
    settings = settings_for(gateway_dir, upstream_url, policy={"allow": "watermark"})

    async def body() -> None:
        async with running(settings) as (_, http):
            reply = await http.post(CHAT, json=chat_body(), headers=PAYG)
            seen = orjson.loads(reply.json()["system_fingerprint"])
            assert seen["x-distillguard-watermark"] == "1"
            assert seen["x-distillguard-account"] == "acct-payg"

    run(body)


@pytest.mark.parametrize(
    ("messages", "expected_first"),
    [
        ([{"role": "system", "content": "Be terse."}], "Be terse.\n\n" + instruction("follow-up-question")),
        ([{"role": "user", "content": "hi"}], instruction("follow-up-question")),
    ],
)
def test_instruction_joins_an_existing_system_message(messages: list[dict[str, str]], expected_first: str) -> None:
    data: dict[str, Any] = {"model": "m", "messages": [dict(m) for m in messages]}
    changes = edit_request_body(data, WatermarkSettings(marker="follow-up-question"), watermark=True, account_id="a")
    assert data["messages"][0]["content"] == expected_first
    assert changes == ["marker follow-up-question"]


def test_litellm_style_engine_target_receives_the_fields() -> None:
    data: dict[str, Any] = {"messages": [], "watermarking": False}
    extra: dict[str, Any] = {"watermark": {"enabled": False}}
    changes = edit_request_body(
        data, WatermarkSettings(engine_fields=("vllm",)), watermark=True, account_id="a", engine_target=extra
    )
    assert "watermarking" not in data
    assert extra == {"watermarking": True}
    assert changes == ["removed watermarking", "removed watermark", "engine watermark on"]
