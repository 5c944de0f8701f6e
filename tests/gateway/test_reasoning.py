"""strip_reasoning against every shape of reasoning servers send, whole and streamed, however the stream is cut.

The shapes come from the servers' own documentation: OpenAI-style ``reasoning`` and OpenRouter's
``reasoning_details``, DeepSeek and vLLM ``reasoning_content``, Ollama ``thinking``, LiteLLM
``thinking_blocks``, Anthropic's thinking blocks as OpenAI-compatible layers pass them on, DeepSeek-R1
and Qwen3 templates that open ``<think>`` in the prompt (only ``</think>`` comes back), and tag
variants.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import anyio
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillguard.gateway.canned import SHAPES_ANSWER
from distillguard.gateway.reasoning import ThinkStripper, strip_text
from distillguard.gateway.relay import Outcome, ResponseEdit, StreamEditor, edit_completion
from distillguard.gateway.sse import EventReader, encode_event
from tests.gateway.conftest import PAYG, chat_body, settings_for
from tests.gateway.test_gateway_app import CHAT, events, logged, running

STRIP = ResponseEdit(strip_reasoning=True)


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("<think>a</think>\n\nAnswer", "Answer"),
        ("<THINK>a</THINK>Answer", "Answer"),
        ("<Think>a</tHiNk>Answer", "Answer"),
        ("<think >a</think >Answer", "Answer"),
        ("<think\n>a</ think>Answer", "Answer"),
        ('<think type="plan" id=3>a</think>Answer', "Answer"),
        ("<thinking>a</thinking>Answer", "Answer"),
        ("<reasoning>a</reasoning>Answer", "Answer"),
        ("<thinking>a</think>still inside</thinking>Answer", "Answer"),  # only its own closing tag ends a block
        ("plan opened by the template</think>\n\nAnswer", "Answer"),  # DeepSeek-R1 / Qwen3 templates
        ("Before <think>unclosed to the end", "Before "),
        ("A <think/> B", "A  B"),  # an empty, self-closed block
        ("no tags <thin", "no tags <thin"),
        ("<thinker> and <thinkpad> are words", "<thinker> and <thinkpad> are words"),
        ("x < y and y > z; <b>bold</b>", "x < y and y > z; <b>bold</b>"),
    ],
)
def test_tag_variants(text: str, visible: str) -> None:
    assert strip_text(text) == visible
    stripper = ThinkStripper()
    assert "".join(stripper.feed(c) for c in text) + stripper.finish() == visible  # one character at a time


def test_an_unopened_closing_tag_is_text_when_the_setting_is_off() -> None:
    assert strip_text("a</think>b", strip_unopened=False) == "a</think>b"
    stripper = ThinkStripper(strip_unopened=False)
    assert stripper.feed("streams flow ") == "streams flow "  # nothing held back while no tag is near


def shapes_completion() -> dict[str, Any]:
    content = (
        "SECRET template</think>\n\nParis <THINK>SECRET</THINK>is <think >SECRET</think >the "
        '<thinking>SECRET</thinking>capital<think type="x">SECRET</think>.'
    )
    message = {
        "role": "assistant",
        "content": content,
        "reasoning": "SECRET",
        "reasoning_content": "SECRET",
        "reasoning_details": [{"type": "reasoning.text", "text": "SECRET"}, {"type": "reasoning.encrypted"}],
        "thinking": "SECRET",
        "thinking_blocks": [{"type": "thinking", "thinking": "SECRET", "signature": "SECRET"}],
        "provider_specific_fields": {"reasoning_content": "SECRET", "citations": ["kept"]},
    }
    return {
        "choices": [
            {"index": 0, "message": message, "logprobs": {"content": [{"token": "SECRET"}]}, "finish_reason": "stop"}
        ]
    }


def test_a_whole_completion_loses_every_shape_of_reasoning() -> None:
    body = shapes_completion()
    outcome = Outcome()
    assert edit_completion(body, STRIP, outcome)
    assert b"SECRET" not in orjson.dumps(body)
    message = body["choices"][0]["message"]
    assert message["content"] == "Paris is the capital."
    assert message["provider_specific_fields"] == {"citations": ["kept"]}
    assert (outcome.response, outcome.reasoning_text) == ("Paris is the capital.", None)


def test_anthropic_thinking_parts_through_an_openai_compatible_layer() -> None:
    content = [
        {"type": "thinking", "thinking": "SECRET", "signature": "SECRET"},
        {"type": "redacted_thinking", "data": "SECRET"},
        {"type": "text", "text": "<think>SECRET</think>The answer is 4."},
    ]
    body: dict[str, Any] = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]
    }
    outcome = Outcome()
    edit_completion(body, STRIP, outcome)
    assert b"SECRET" not in orjson.dumps(body)
    assert body["choices"][0]["message"]["content"] == [{"type": "text", "text": "The answer is 4."}]
    assert outcome.response == "The answer is 4."


def test_reasoning_is_logged_in_any_shape_when_it_is_not_stripped() -> None:
    body = {"choices": [{"index": 0, "message": {"content": "A", "reasoning_details": [{"text": "plan"}]}}]}
    outcome = Outcome()
    edit_completion(body, ResponseEdit(), outcome)
    assert outcome.reasoning_text == "plan"


# -- streams --------------------------------------------------------------------------------------

#: Reasoning text: made of one character no visible text uses, so a leak of any of its bytes shows.
MARK = "\u00a7"
reasoning = st.text(alphabet=st.sampled_from([MARK, " ", "\n"]), min_size=1, max_size=12).map(lambda t: MARK + t)
visible = st.text(alphabet=st.sampled_from(list("ab <>/\nthinkTHINK")), max_size=12)
tag = st.sampled_from(["think", "THINK", "thinking", "Think", "reasoning"])
opener = st.sampled_from(["<{}>", "<{} >", '<{} type="plan">', "<{}\n>"])
closer = st.sampled_from(["</{}>", "</{} >", "</ {}>"])


@st.composite
def contents(draw: st.DrawFn) -> tuple[str, str]:
    """Content with reasoning blocks in every tag form, and the visible text it must come to."""
    parts: list[str] = []
    if draw(st.booleans()):  # the template opened the block: only its end comes back
        parts.append(draw(reasoning) + "</think>")
    for _ in range(draw(st.integers(0, 3))):
        name = draw(tag)
        parts.append(draw(visible).replace("<", "(") + draw(opener).format(name) + draw(reasoning))
        parts.append(draw(closer).format(name.lower() if draw(st.booleans()) else name))
    parts.append(draw(visible).replace("<", "("))
    if draw(st.booleans()):
        parts.append("<think>" + draw(reasoning))  # unclosed to the end
    text = "".join(parts)
    return text, strip_text(text)


FIELD_SHAPES = (
    {"reasoning_content": MARK},
    {"reasoning": MARK},
    {"reasoning_details": [{"type": "reasoning.text", "text": MARK}]},
    {"thinking": MARK},
    {"thinking_blocks": [{"type": "thinking", "thinking": MARK, "signature": MARK}]},
    {"content": [{"type": "thinking", "thinking": MARK}]},
    {"provider_specific_fields": {"reasoning_content": MARK}},
)


def upstream_stream(content: str, cuts: list[int], fields: list[int], multiline: list[bool], crlf: bool) -> bytes:
    """The bytes of an upstream stream: ``content`` cut into deltas, reasoning fields between them."""
    bounds = sorted({0, len(content), *(c % (len(content) + 1) for c in cuts)})
    deltas: list[dict[str, Any]] = [copy.deepcopy(FIELD_SHAPES[f % len(FIELD_SHAPES)]) for f in fields]
    deltas += [{"content": content[a:b]} for a, b in itertools.pairwise(bounds)]
    out = b""
    newline = b"\r\n" if crlf else b"\n"
    for number, delta in enumerate(deltas):
        choice = {"index": 0, "delta": delta, "finish_reason": None}
        chunk = {"object": "chat.completion.chunk", "choices": [choice]}
        if multiline[number % len(multiline)] if multiline else False:
            lines = orjson.dumps(chunk, option=orjson.OPT_INDENT_2).split(b"\n")
            out += b"".join(b"data: " + line + newline for line in lines) + newline
        else:
            out += b"data: " + orjson.dumps(chunk) + newline + newline
    finish = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    return out + b"data: " + orjson.dumps(finish) + newline + newline + b"data: [DONE]" + newline + newline


def relay(stream: bytes, splits: list[int]) -> tuple[bytes, StreamEditor]:
    """What the client gets when ``stream`` arrives cut at ``splits``: the gateway's reader and editor."""
    editor = StreamEditor(STRIP, Outcome())
    reader = EventReader()
    cut = sorted({0, len(stream), *(s % (len(stream) + 1) for s in splits)})
    sent = b""
    for a, b in itertools.pairwise(cut):
        for event in reader.feed(stream[a:b]):
            assert event.data is not None
            payload = editor.payload(event.data)
            if payload is not None:
                sent += encode_event(payload, event.lines)
    assert reader.close() is None
    return sent, editor


@settings(max_examples=300, deadline=None)
@given(
    content=contents(),
    cuts=st.lists(st.integers(0, 400), max_size=8),
    fields=st.lists(st.integers(0, 50), max_size=4),
    multiline=st.lists(st.booleans(), max_size=4),
    crlf=st.booleans(),
    splits=st.lists(st.integers(0, 5000), max_size=12),
)
def test_no_reasoning_byte_reaches_the_client_whatever_the_chunking(
    content: tuple[str, str],
    cuts: list[int],
    fields: list[int],
    multiline: list[bool],
    crlf: bool,
    splits: list[int],
) -> None:
    text, expected = content
    sent, editor = relay(upstream_stream(text, cuts, fields, multiline, crlf), splits)
    assert MARK.encode() not in sent
    assert all(line.startswith(b"data: ") for line in sent.split(b"\n") if line)  # one line an event
    got: list[Any] = [orjson.loads(e[6:]) if e[6:] != b"[DONE]" else "[DONE]" for e in sent.split(b"\n\n") if e]
    assert got[-1] == "[DONE]"
    deltas = [c["choices"][0]["delta"] for c in got[:-1] if c["choices"]]
    assert "".join(d["content"] for d in deltas if isinstance(d.get("content"), str)) == expected
    assert editor.outcome.response == expected


@given(data=st.binary(max_size=300), splits=st.lists(st.integers(0, 300), max_size=10))
def test_the_event_reader_reads_the_same_events_however_the_bytes_are_cut(data: bytes, splits: list[int]) -> None:
    def read(cut: list[int]) -> list[tuple[bytes | None, list[bytes]]]:
        reader = EventReader()
        out = [e for a, b in itertools.pairwise(cut) for e in reader.feed(data[a:b])]
        last = reader.close()
        return [(e.data, e.lines) for e in [*out, *([last] if last else [])]]

    whole = read([0, len(data)])
    assert read(sorted({0, len(data), *(s % (len(data) + 1) for s in splits)})) == whole


def test_the_event_reader_follows_the_specification() -> None:
    reader = EventReader()
    stream = b'\xef\xbb\xbfdata: {"a":\r\ndata:1}\r\r: keep-alive\n\nevent: ping\nid: 7\ndata\n\n'
    read = reader.feed(stream)
    assert [(e.data, e.lines) for e in read] == [
        (b'{"a":\n1}', []),
        (None, [b": keep-alive"]),
        (b"", [b"event: ping", b"id: 7"]),
    ]
    assert encode_event(b"a\nb", [b"id: 1"]) == b"id: 1\ndata: a\ndata: b\n\n"


# -- through the gateway, against the canned upstream's shapes ------------------------------------


def test_the_gateway_strips_every_shape_streamed_or_not(gateway_dir: Any, upstream_url: str) -> None:
    settings = settings_for(gateway_dir, upstream_url, policy={"allow": "strip_reasoning"})

    async def body() -> None:
        async with running(settings) as (_, http):
            whole = await http.post(CHAT, json={**chat_body(), "model": "canned-shapes"}, headers=PAYG)
            assert whole.status_code == 200
            assert "SECRET" not in whole.text
            assert whole.json()["choices"][0]["message"]["content"] == SHAPES_ANSWER
            streamed = await http.post(CHAT, json={**chat_body(stream=True), "model": "canned-shapes"}, headers=PAYG)
            assert "SECRET" not in streamed.text
            chunks = events(streamed.text)
            assert chunks[-1] == "[DONE]"
            text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[:-1] if c["choices"])
            assert text == SHAPES_ANSWER

    anyio.run(body)
    assert [r["response"] for r in logged(gateway_dir)] == [SHAPES_ANSWER] * 2
    assert [r["reasoning"] for r in logged(gateway_dir)] == [None, None]


def test_an_allowed_stream_of_multi_line_events_is_passed_on_whole(gateway_dir: Any, upstream_url: str) -> None:
    async def body() -> None:
        async with running(settings_for(gateway_dir, upstream_url)) as (_, http):
            streamed = await http.post(CHAT, json={**chat_body(stream=True), "model": "canned-shapes"}, headers=PAYG)
            chunks = events(streamed.text)  # every event one valid JSON payload again
            assert chunks[-1] == "[DONE]"
            assert any(c["choices"][0]["delta"].get("reasoning_details") for c in chunks[:-1])

    anyio.run(body)
    [row] = logged(gateway_dir)
    assert row["reasoning"] is not None
    assert "SECRET" in row["reasoning"]
