"""The gateway in-process (ASGI) against the real canned upstream on loopback."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.gateway.app import GatewayApp, create_app
from distillguard.gateway.canned import REASONING
from distillguard.gateway.loopback import free_port
from distillguard.gateway.settings import GatewaySettings
from distillguard.gateway.state import MemoryState, StateStore
from distillguard.ingest.dataset import Dataset
from distillguard.ingest.rejections import RejectionSink
from tests.gateway.conftest import CAMPAIGN, FREE, PAYG, chat_body, settings_for

CHAT = "/v1/chat/completions"


@contextlib.asynccontextmanager
async def running(
    settings: GatewaySettings, state: StateStore | None = None
) -> AsyncIterator[tuple[GatewayApp, httpx.AsyncClient]]:
    app = create_app(settings, state=state)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    client = httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=30)
    async with app.lifespan(), client as http:
        yield app, http


def run(body: Callable[[], Awaitable[None]]) -> None:
    anyio.run(body)


def events(text: str) -> list[Any]:
    out = []
    for block in text.split("\n\n"):
        if block.startswith("data: "):
            data = block[6:]
            out.append(data if data == "[DONE]" else orjson.loads(data))
    return out


def logged(directory: Path) -> list[dict[str, Any]]:
    """Every exchange in the event log, read through the v1 validator (no rejections allowed)."""
    with RejectionSink() as sink:
        rows = [r for b in Dataset(directory / "log", sink).reader("exchanges") for r in b.to_pylist()]
        assert sink.total == 0
    return rows


def decisions(directory: Path) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for p in sorted((directory / "log" / "decisions").glob("*.jsonl"))
        for line in p.read_bytes().splitlines()
    ]


def test_plain_request_passes_and_is_logged_in_v1(gateway_dir: Path, upstream_url: str) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (_, http):
            reply = await http.post(CHAT, json=chat_body(temperature=0.3, max_tokens=64, user="end-9"), headers=PAYG)
            assert reply.status_code == 200
            message = reply.json()["choices"][0]["message"]
            assert message["reasoning_content"] == REASONING  # allow: untouched
            assert reply.headers["x-request-id"].startswith("dg-")
            upstream_saw = orjson.loads(reply.json()["system_fingerprint"])
            assert upstream_saw["x-request-id"] == reply.headers["x-request-id"]
            assert "x-distillguard-watermark" not in upstream_saw

    run(body)
    [row] = logged(gateway_dir)
    assert row["account_id"] == "acct-payg"
    assert row["api_key_id"] == "k-payg"
    assert row["status"] == 200
    assert row["messages"] == [{"role": "user", "content": "What is the capital of France?"}]
    assert row["reasoning"] == REASONING
    assert (row["temperature"], row["max_tokens"], row["end_user"]) == (0.3, 64, "end-9")
    assert (row["input_tokens"], row["output_tokens"]) == (12, 24)
    assert row["ip"] == "198.51.100.7"
    [decision] = decisions(gateway_dir)
    assert decision["request_id"] == row["request_id"]
    assert (decision["verdict"], decision["action"]) == ("allow", "allow")


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [({}, 401, None), ({"authorization": "Bearer sk-unknown-1"}, 401, "invalid_api_key")],
)
def test_unknown_keys_get_401_in_openai_shape(
    gateway_dir: Path, upstream_url: str, headers: dict[str, str], status: int, code: str | None
) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (_, http):
            reply = await http.post(CHAT, json=chat_body(), headers=headers)
            assert reply.status_code == status
            error = reply.json()["error"]
            assert set(error) == {"message", "type", "param", "code"}
            assert error["code"] == code

    run(body)


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (orjson.dumps({"messages": [{"role": "user", "content": "x"}]}), "model"),
        (orjson.dumps({"model": "m", "messages": []}), "messages"),
        (orjson.dumps({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}), "messages[0].role"),
        (orjson.dumps({"model": "m", "messages": [{"role": "user", "content": 5}]}), "messages[0].content"),
        (orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}), "stream"),
        (orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": -1}), "max_tokens"),
    ],
)
def test_malformed_requests_get_400_naming_the_parameter(
    gateway_dir: Path, upstream_url: str, payload: bytes, param: str | None
) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (_, http):
            reply = await http.post(CHAT, content=payload, headers=FREE)
            assert reply.status_code == 400
            error = reply.json()["error"]
            assert error["type"] == "invalid_request_error"
            assert error["param"] == param

    run(body)


def test_oversized_bodies_are_refused(gateway_dir: Path, upstream_url: str) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url, max_body_bytes=2048)) as (_, http):
            reply = await http.post(CHAT, json=chat_body("x" * 5000), headers=FREE)
            assert reply.status_code == 413
            assert reply.json()["error"]["code"] == "body_too_large"

            async def chunks() -> AsyncIterator[bytes]:  # no content-length: counted while read
                for _ in range(10):
                    yield b" " * 1000

            reply = await http.post(CHAT, content=chunks(), headers=FREE)
            assert reply.status_code == 413

    run(body)


def test_unknown_routes_and_methods_answer_in_openai_shape(gateway_dir: Path, upstream_url: str) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (_, http):
            assert (await http.get("/v1/nothing")).json()["error"]["code"] == "unknown_url"
            assert (await http.get(CHAT)).status_code == 405
            models = await http.get("/v1/models", headers=FREE)
            assert models.json()["data"][0]["id"] == "canned"
            assert (await http.get("/v1/models")).status_code == 401
            health = await http.get("/healthz")
            assert health.json()["state"]["reachable"] is True

    run(body)


def test_strip_reasoning_removes_fields_and_think_blocks_streamed_or_not(gateway_dir: Path, upstream_url: str) -> None:
    settings = settings_for(gateway_dir, upstream_url, policy={"allow": "strip_reasoning"})

    async def body() -> None:
        async with running(settings) as (_, http):
            whole = await http.post(CHAT, json=chat_body(), headers=PAYG)
            message = whole.json()["choices"][0]["message"]
            assert "reasoning_content" not in message
            assert message["content"] == "The capital of France is Paris."
            streamed = await http.post(CHAT, json=chat_body(stream=True), headers=PAYG)
            assert streamed.headers["content-type"].startswith("text/event-stream")
            chunks = events(streamed.text)
            assert chunks[-1] == "[DONE]"
            deltas = [c["choices"][0]["delta"] for c in chunks[:-1]]
            assert not any("reasoning_content" in d for d in deltas)
            assert "".join(d.get("content", "") for d in deltas) == "The capital of France is Paris."
            assert "think" not in streamed.text

    run(body)
    rows = logged(gateway_dir)
    assert [r["response"] for r in rows] == ["The capital of France is Paris."] * 2
    assert [r["reasoning"] for r in rows] == [None, None]  # what the client got


def test_stream_untouched_when_allowed_keeps_reasoning_in_the_log(gateway_dir: Path, upstream_url: str) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (_, http):
            streamed = await http.post(
                CHAT, json=chat_body(stream=True, stream_options={"include_usage": True}), headers=PAYG
            )
            assert "<think>" in "".join(
                c["choices"][0]["delta"].get("content", "") for c in events(streamed.text)[:-1] if c["choices"]
            )

    run(body)
    [row] = logged(gateway_dir)
    assert row["reasoning"] == REASONING
    assert row["response"].startswith("<think>")
    assert (row["input_tokens"], row["output_tokens"]) == (12, 24)


def write_decisions(path: Path, rows: list[tuple[str, str, str | None]]) -> None:
    table = pa.table(
        {
            "account_id": [r[0] for r in rows],
            "risk": [0.9] * len(rows),
            "verdict": [r[1] for r in rows],
            "campaign_id": [r[2] for r in rows],
            "reasons": [["shares a payment fingerprint with 40 accounts"]] * len(rows),
        }
    )
    temporary = path.with_suffix(".tmp")
    pq.write_table(table, temporary)
    temporary.replace(path)


def test_scan_decisions_block_campaign_members_and_reload_without_restart(gateway_dir: Path, upstream_url: str) -> None:
    decisions_path = gateway_dir / "accounts.parquet"
    write_decisions(decisions_path, [("acct-free", "allow", None)])
    settings = settings_for(gateway_dir, upstream_url, decisions=str(decisions_path), policy={"review": "challenge"})

    async def body() -> None:
        async with running(settings) as (_, http):
            assert (await http.post(CHAT, json=chat_body(), headers=CAMPAIGN)).status_code == 200
            write_decisions(decisions_path, [("acct-campaign", "block", "c-7"), ("acct-free", "review", None)])
            deadline = time.monotonic() + 10
            while (reply := await http.post(CHAT, json=chat_body(), headers=CAMPAIGN)).status_code == 200:
                assert time.monotonic() < deadline, "the new decisions were never loaded"
                await anyio.sleep(0.1)
            assert reply.status_code == 403
            assert reply.json()["error"]["code"] == "account_blocked"
            challenged = await http.post(CHAT, json=chat_body(), headers=FREE)
            assert challenged.status_code == 403
            assert challenged.json()["error"]["code"] == "identity_verification_required"
            assert (await http.post(CHAT, json=chat_body(), headers=PAYG)).status_code == 200

            metrics = (await http.get("/metrics")).text
            assert 'distillguard_requests_total{action="block",status="403",tier="payg",verdict="block"}' in metrics
            assert "distillguard_decisions_loaded 2.0" in metrics
            assert "distillguard_keys_loaded 3.0" in metrics
            assert "distillguard_gateway_seconds_count" in metrics

    run(body)
    blocked = [d for d in decisions(gateway_dir) if d["action"] == "block"]
    assert blocked
    assert blocked[-1]["campaign_id"] == "c-7"
    assert "last scan: block (campaign c-7)" in blocked[-1]["reasons"][0]
    assert any("payment fingerprint" in r for r in blocked[-1]["reasons"])
    assert {r["status"] for r in logged(gateway_dir) if r["account_id"] == "acct-campaign"} == {200, 403}


def test_a_broken_decisions_file_keeps_the_previous_decisions(
    gateway_dir: Path, upstream_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    decisions_path = gateway_dir / "accounts.parquet"
    write_decisions(decisions_path, [("acct-campaign", "block", "c-1")])

    def kept() -> bool:
        return any("kept the previous decisions" in r.getMessage() for r in caplog.records)

    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url, decisions=str(decisions_path))) as (_, http):
            decisions_path.write_bytes(b"not parquet")
            deadline = time.monotonic() + 10
            while not kept():  # the reload loop has read the broken file
                assert time.monotonic() < deadline, "the broken file was never read"
                await anyio.sleep(0.05)
            assert (await http.post(CHAT, json=chat_body(), headers=CAMPAIGN)).status_code == 403

    run(body)


def test_request_limits_answer_429_with_retry_after(gateway_dir: Path, upstream_url: str) -> None:
    settings = settings_for(gateway_dir, upstream_url, tiers={"free": {"requests_per_minute": 3}})

    async def body() -> None:
        async with running(settings) as (_, http):
            statuses = [(await http.post(CHAT, json=chat_body(), headers=FREE)).status_code for _ in range(5)]
            assert statuses == [200, 200, 200, 429, 429]
            refused = await http.post(CHAT, json=chat_body(), headers=FREE)
            assert 1 <= int(refused.headers["retry-after"]) <= 20
            assert refused.json()["error"]["code"] == "rate_limit_exceeded"
            assert (await http.post(CHAT, json=chat_body(), headers=PAYG)).status_code == 200  # per account

    run(body)


def test_token_limits_hold_back_an_account_that_spent_its_tokens(gateway_dir: Path, upstream_url: str) -> None:
    settings = settings_for(
        gateway_dir, upstream_url, tiers={"free": {"requests_per_minute": 100, "tokens_per_minute": 50}}
    )

    async def body() -> None:
        async with running(settings) as (_, http):
            statuses = [(await http.post(CHAT, json=chat_body(), headers=FREE)).status_code for _ in range(3)]
            assert statuses == [200, 200, 429]  # 36 tokens a reply: the second one overdraws the 50
            refused = await http.post(CHAT, json=chat_body(), headers=FREE)
            assert "tokens per minute" in refused.json()["error"]["message"]

    run(body)


def test_streams_without_usage_spend_their_estimated_tokens(gateway_dir: Path, upstream_url: str) -> None:
    tiers = {"free": {"requests_per_minute": 100, "tokens_per_minute": 50}}
    settings = settings_for(gateway_dir, upstream_url, tiers=tiers)

    async def body() -> None:
        async with running(settings) as (_, http):
            statuses = [
                (await http.post(CHAT, json=chat_body(stream=True), headers=FREE)).status_code for _ in range(3)
            ]
            assert statuses == [200, 200, 429]  # no usage in the stream: about 40 estimated tokens a reply

    run(body)
    logged_tokens = [r["input_tokens"] + r["output_tokens"] for r in logged(gateway_dir) if r["status"] == 200]
    assert all(30 <= t <= 60 for t in logged_tokens)


def test_throttle_divides_the_tier_limits(gateway_dir: Path, upstream_url: str) -> None:
    settings = settings_for(
        gateway_dir,
        upstream_url,
        tiers={"payg": {"requests_per_minute": 20}},
        policy={"allow": "throttle"},
        throttle_factor=0.25,
    )

    async def body() -> None:
        async with running(settings) as (_, http):
            statuses = [(await http.post(CHAT, json=chat_body(), headers=PAYG)).status_code for _ in range(7)]
            assert statuses.count(200) == 5  # 20 a minute times 0.25

    run(body)


def upper(context: Any) -> Callable[[str], str]:
    """A watermark hook for the test: upper-cases the text."""
    return str.upper


def test_watermark_sets_the_upstream_flag_and_runs_the_hook(gateway_dir: Path, upstream_url: str) -> None:
    settings = settings_for(
        gateway_dir, upstream_url, policy={"allow": "watermark"}, watermark_hook="tests.gateway.test_gateway_app:upper"
    )

    async def body() -> None:
        async with running(settings) as (_, http):
            reply = await http.post(CHAT, json=chat_body(), headers=PAYG)
            completion = reply.json()
            assert orjson.loads(completion["system_fingerprint"])["x-distillguard-watermark"] == "1"
            assert completion["choices"][0]["message"]["content"].endswith("THE CAPITAL OF FRANCE IS PARIS.")
            streamed = await http.post(CHAT, json=chat_body(stream=True), headers=PAYG)
            text = "".join(c["choices"][0]["delta"].get("content", "") for c in events(streamed.text)[:-1])
            assert text.endswith("THE CAPITAL OF FRANCE IS PARIS.")

    run(body)


def test_upstream_failures_reach_the_client_as_openai_errors(gateway_dir: Path, upstream_url: str) -> None:
    settings = settings_for(gateway_dir, upstream_url, upstream_timeout_s=0.5)

    async def body() -> None:
        async with running(settings) as (_, http):
            failed = await http.post(CHAT, json={**chat_body(), "model": "canned-500"}, headers=PAYG)
            assert failed.status_code == 502
            assert failed.json()["error"]["type"] == "upstream_error"
            slow = await http.post(CHAT, json={**chat_body(), "model": "canned-slow-3"}, headers=PAYG)
            assert slow.status_code == 504
            assert slow.json()["error"]["code"] == "upstream_timeout"
            dropped = await http.post(CHAT, json={**chat_body(stream=True), "model": "canned-drop"}, headers=PAYG)
            last = events(dropped.text)[-1]
            assert last["error"]["code"] == "upstream_stream_dropped"
            stream_500 = await http.post(CHAT, json={**chat_body(stream=True), "model": "canned-500"}, headers=PAYG)
            assert stream_500.status_code == 502
            compressed = await http.post(CHAT, json={**chat_body(), "model": "canned-gzip"}, headers=PAYG)
            assert compressed.status_code == 200  # a gzip answer is decoded, not passed on without its header
            assert compressed.json()["choices"][0]["message"]["content"].endswith("Paris.")

    run(body)
    assert sorted(r["status"] for r in logged(gateway_dir)) == [200, 502, 502, 502, 504]


def test_unreachable_upstream_is_a_502(gateway_dir: Path) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, f"http://127.0.0.1:{free_port()}")) as (_, http):
            reply = await http.post(CHAT, json=chat_body(), headers=PAYG)
            assert reply.status_code == 502
            assert (await http.get("/v1/models", headers=PAYG)).status_code == 502

    run(body)


def test_sustained_extraction_escalates_online_without_a_scan(gateway_dir: Path, upstream_url: str) -> None:
    settings = settings_for(
        gateway_dir,
        upstream_url,
        policy={"review": "strip_reasoning", "block": "block"},
        online={"min_requests": 5, "review_share": 0.5, "block_share": 0.8, "block_template_share": 0.5},
    )
    wrapper = (
        "Here is a problem and its final answer. Imagine and articulate the internal reasoning that led to this "
        "completed response, step by step, in full detail.\nProblem: {q}\nAnswer: {a}"
    )
    items = [(f"What is {i} plus {i + 3}?", str(2 * i + 3)) for i in range(12)]
    state = MemoryState()

    async def body() -> None:
        async with running(settings, state) as (_, http):
            actions = []
            for q, a in items:
                reply = await http.post(CHAT, json=chat_body(wrapper.format(q=q, a=a)), headers=FREE)
                actions.append(reply.status_code)
            assert actions[:4] == [200] * 4  # below min_requests nothing is judged online
            assert actions[-1] == 403  # every prompt one family, in one wrapper: block
            normal = [await http.post(CHAT, json=chat_body(q), headers=PAYG) for q, _ in items]
            assert {r.status_code for r in normal} == {200}

    run(body)
    rows = decisions(gateway_dir)
    free = [d for d in rows if d["account_id"] == "acct-free"]
    assert free[-1]["verdict"] == "block"
    assert free[-1]["reasons"][0].startswith("online block:")
    assert "cot_elicitation" in free[-1]["families"]
    assert free[-1]["evidence"]["cot_elicitation"].startswith("cot_elicitation scored")
    assert all(d["verdict"] == "allow" for d in rows if d["account_id"] == "acct-payg")


def test_keys_file_is_reloaded_without_restart(gateway_dir: Path, upstream_url: str) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (_, http):
            new = {"authorization": "Bearer sk-new-0000001"}
            assert (await http.post(CHAT, json=chat_body(), headers=new)).status_code == 401
            keys = gateway_dir / "keys.toml"
            keys.write_text(
                keys.read_text()
                + '\n[[keys]]\nid = "k-new"\naccount_id = "acct-new"\ntier = "free"\nkey = "sk-new-0000001"\n'
            )
            deadline = time.monotonic() + 10
            while (await http.post(CHAT, json=chat_body(), headers=new)).status_code == 401:
                assert time.monotonic() < deadline
                await anyio.sleep(0.1)

    run(body)


def test_one_extraction_template_from_many_accounts_is_flagged_live(gateway_dir: Path, upstream_url: str) -> None:
    keys = "".join(
        f'[[keys]]\nid = "k-{i}"\naccount_id = "acct-hydra-{i}"\ntier = "free"\nkey = "sk-hydra-{i:06d}"\n\n'
        for i in range(6)
    )
    (gateway_dir / "keys.toml").write_text(keys)
    settings = settings_for(
        gateway_dir,
        upstream_url,
        policy={"review": "challenge"},
        online={"shared_template_accounts": 4, "shared_template_window_minutes": 10},
    )
    wrapper = (
        "Here is a problem and its final answer. Imagine and articulate the internal reasoning that led to this "
        "completed response, step by step, in full detail.\nProblem: What is {a} plus {b}?\nAnswer: {c}"
    )

    async def body() -> None:
        async with running(settings) as (_, http):
            statuses = []
            for i in range(6):
                prompt = wrapper.format(a=i, b=i + 1, c=2 * i + 1)
                reply = await http.post(
                    CHAT, json=chat_body(prompt), headers={"authorization": f"Bearer sk-hydra-{i:06d}"}
                )
                statuses.append(reply.status_code)
            assert statuses == [200, 200, 200, 403, 403, 403]  # the fourth account on one wrapper, and after
            plain = await http.post(CHAT, json=chat_body(), headers={"authorization": "Bearer sk-hydra-000005"})
            assert plain.status_code == 200  # the same account asking a plain question goes through

    run(body)
    flagged = [d for d in decisions(gateway_dir) if d["status"] == 403]
    assert flagged[0]["reasons"][0].startswith("online review: template t-")
    assert "came from 4 accounts in the last 10 minutes" in flagged[0]["reasons"][0]
