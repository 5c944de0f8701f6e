"""The gateway's pieces on their own: reasoning stripping, keys, decisions, policy, settings."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from distillguard.errors import ConfigError
from distillguard.gateway.decisions import DecisionTable, ScanDecision, read_decisions
from distillguard.gateway.keys import KeyRing, key_hash, read_keys_file
from distillguard.gateway.policy import decide
from distillguard.gateway.reasoning import ThinkStripper, strip_text
from distillguard.gateway.relay import Outcome, ResponseEdit, StreamEditor, edit_completion
from distillguard.gateway.settings import GatewaySettings, load_gateway_settings
from distillguard.gateway.state import OnlineView

FAMILIES = ("cot_elicitation", "rubric_grading")
visible = st.text(alphabet=st.sampled_from(list("ab <>/\nthink")), max_size=30)


@given(parts=st.lists(st.tuples(visible, visible), max_size=4), tail=visible, cuts=st.lists(st.integers(0, 200)))
def test_think_blocks_never_leak_whatever_the_chunking(
    parts: list[tuple[str, str]], tail: str, cuts: list[int]
) -> None:
    secret = "SECRET"
    text = "".join(f"{before}<think>{secret}{inner}</think>" for before, inner in parts) + tail
    whole = strip_text(text)
    assert secret not in whole
    bounds = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    stripper = ThinkStripper()
    chunked = "".join(stripper.feed(text[a:b]) for a, b in itertools.pairwise(bounds)) + stripper.finish()
    assert chunked == whole


def test_strip_text_keeps_everything_outside_blocks() -> None:
    assert strip_text("<think>plan</think>\n\nAnswer <b>bold</b> x<y") == "Answer <b>bold</b> x<y"
    assert strip_text("Before <think>unclosed reasoning to the end") == "Before "
    assert strip_text("no tags <thin") == "no tags <thin"


def test_edit_completion_strips_fields_and_records_what_was_sent() -> None:
    body: dict[str, Any] = {
        "choices": [
            {"index": 0, "message": {"content": "<think>x</think>A", "reasoning_content": "r"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4},
    }
    outcome = Outcome()
    assert edit_completion(body, ResponseEdit(strip_reasoning=True), outcome)
    assert body["choices"][0]["message"] == {"content": "A"}
    assert (outcome.response, outcome.reasoning_text, outcome.input_tokens, outcome.output_tokens) == ("A", None, 3, 4)
    assert outcome.finished


def test_stream_editor_keeps_unparseable_payloads_and_marks_errors() -> None:
    assert StreamEditor(ResponseEdit(), Outcome()).payload(b"not json") == b"not json"
    outcome = Outcome()
    editor = StreamEditor(ResponseEdit(strip_reasoning=True), outcome)
    assert editor.payload(b"not json") is None  # stripping: what cannot be read cannot be let through
    assert editor.payload(b'{"error": {"message": "overloaded"}}') == b'{"error": {"message": "overloaded"}}'
    assert outcome.status == 502
    assert editor.payload(b"[DONE]") == b"[DONE]"
    assert editor.done


def test_keys_file_by_plain_key_or_hash(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(
        f"""
[[keys]]
id = "a"
account_id = "acct-a"
tier = "free"
key = "sk-aaaaaaaa"

[[keys]]
id = "b"
account_id = "acct-b"
tier = "enterprise"
key_sha256 = "{key_hash("sk-bbbbbbbb")}"
"""
    )
    ring = KeyRing(path, None)
    assert ring.lookup("sk-bbbbbbbb") is not None
    assert ring.lookup("sk-bbbbbbbb").account_id == "acct-b"  # type: ignore[union-attr]
    assert ring.lookup("sk-aaaaaaaa").tier == "free"  # type: ignore[union-attr]
    assert ring.lookup("sk-cccccccc") is None
    assert not ring.reload()  # unchanged file: not re-read


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[keys]]\nid = "a"\naccount_id = "x"\ntier = "free"\n', "keys.0: Value error, give exactly one of"),
        ('[[keys]]\nid = "a"\naccount_id = "x"\ntier = "free"\nkey_sha256 = "zz"\n', "keys.0.key_sha256"),
        (
            '[[keys]]\nid = "a"\naccount_id = "x"\ntier = "free"\nkey = "sk-123456789"\n[[keys]]\nid = "b"\n'
            'account_id = "y"\ntier = "free"\nkey = "sk-123456789"\n',
            "keys.1 (b) repeats the key of a",
        ),
        ("keys = [", "not valid TOML"),
    ],
)
def test_bad_keys_files_name_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"keys\.toml") as caught:
        read_keys_file(path)
    assert message in str(caught.value)


def test_keys_from_a_sqlite_table(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE api_keys (key_sha256 TEXT PRIMARY KEY, key_id TEXT, account_id TEXT, tier TEXT)")
        con.execute("INSERT INTO api_keys VALUES (?, 'k1', 'acct-1', 'startup')", (key_hash("sk-dbdbdbdb"),))
    ring = KeyRing(None, path)
    assert ring.lookup("sk-dbdbdbdb").tier == "startup"  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="not both"):
        KeyRing(path, path)
    (tmp_path / "empty.sqlite").touch()
    with pytest.raises(ConfigError, match="api_keys"):
        KeyRing(None, tmp_path / "empty.sqlite")


def test_decisions_keep_only_flagged_accounts_with_their_reasons(tmp_path: Path) -> None:
    path = tmp_path / "accounts.parquet"
    pq.write_table(
        pa.table(
            {
                "account_id": ["a", "b", "c"],
                "risk": [0.1, 0.6, 0.99],
                "verdict": ["allow", "review", "block"],
                "campaign_id": [None, None, "c-1"],
                "reasons": [[], ["r1"], ["r1", "r2", "r3", "r4"]],
            }
        ),
        path,
    )
    table = DecisionTable(path)
    assert len(table) == 2
    assert table.get("a") is None
    assert table.get("c") == ScanDecision("block", "c-1", ("r1", "r2", "r3"))
    pq.write_table(pa.table({"account_id": ["a"]}), tmp_path / "other.parquet")
    with pytest.raises(ConfigError, match="missing verdict"):
        read_decisions(tmp_path / "other.parquet")


def test_policy_takes_the_stronger_verdict_and_the_tier_override() -> None:
    settings = GatewaySettings.model_validate(
        {"policy": {"review": "flag", "block": "block", "tiers": {"enterprise": {"block": "challenge"}}}}
    )
    quiet = OnlineView(100, (1.0, 0.0), 0.0)
    scan = ScanDecision("review", None, ("lockstep timing with 12 accounts",))
    decision = decide("free", scan, quiet, families=FAMILIES, fired=(), settings=settings)
    assert (decision.verdict, decision.action) == ("review", "flag")
    assert decision.reasons == ("last scan: review", "lockstep timing with 12 accounts")  # online: 1%, quiet
    hot = OnlineView(100, (95.0, 0.0), 90.0)
    decision = decide("free", scan, hot, families=FAMILIES, fired=("cot_elicitation",), settings=settings)
    assert (decision.verdict, decision.action) == ("block", "block")
    assert decision.reasons[0].startswith("online block: 95% of the account's last ~100 requests")
    assert decision.reasons[-1] == "this prompt: cot_elicitation"
    assert decide("enterprise", None, hot, families=FAMILIES, fired=(), settings=settings).action == "challenge"
    young = OnlineView(3, (3.0, 0.0), 3.0)
    assert decide("free", None, young, families=FAMILIES, fired=(), settings=settings).verdict == "allow"


def test_gateway_settings_resolve_paths_and_reject_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text('schema_version = 1\nkeys_file = "keys.toml"\n[event_log]\ndirectory = "out"\n')
    settings = load_gateway_settings(path)
    assert settings.keys_file == tmp_path / "keys.toml"
    assert settings.event_log.directory == tmp_path / "out"
    path.write_text("schema_version = 1\nstate = 'postgres://x'\n")
    with pytest.raises(ConfigError, match="state = 'postgres://x'"):
        load_gateway_settings(path)
    path.write_text("schema_version = 1\nupstreams = 'x'\n")
    with pytest.raises(ConfigError, match="upstreams"):
        load_gateway_settings(path)


def test_the_example_config_loads_with_its_keys() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "gateway" / "gateway.toml"
    settings = load_gateway_settings(example)
    assert settings.keys_file is not None
    ring = KeyRing(settings.keys_file, settings.keys_database)
    assert ring.lookup("sk-demo-free-000000000001").tier == "free"  # type: ignore[union-attr]
    assert settings.policy.action("enterprise", "block") == "challenge"
