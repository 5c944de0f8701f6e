"""What the model will read in a chat request, as the turns the live check scores.

The model reads the whole conversation, so the gateway scores more than the last user message:

- **system** (and ``developer``) messages: an application's instructions. They are the prefix of
  every conversation the application starts, so each is counted once per account (the state store
  remembers it) and never again while the account keeps sending it: an application that repeats one
  system prompt a million times is judged on it once, not a million times.
- **user** turns, and **tool** results that carry prose (a tool result is data the model reads as
  instructions if it holds sentences: a JSON result's string values of :data:`PROSE_WORDS` words or
  more are scored, identifiers and numbers are not).
- Turns after the conversation's last assistant message are what this request adds (``trailing``):
  always counted. Earlier turns are counted only if the account's memory of scored turns does not
  hold them, so a growing conversation's old turns are not scored again on every request, while a
  history the gateway never saw (made up, or sent through another gateway) is.
- A whitespace-only message is not a turn: it never hides the one before it.

Each turn is named by a short hash of the conversation up to and including it (a chain over its
system, user and tool messages; the assistant's replies are left out, since clients often resend
them edited, with reasoning stripped say), so the same words after other turns are another turn,
and a system prompt at the head of every conversation is one turn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import orjson

from distillguard.signals.detectors import FIRES_AT, SignalBatch

#: A JSON tool result's string value of at least this many words is read as prose the model may follow.
PROSE_WORDS: Final = 8
#: Digest bytes of a turn (16 hex characters): collisions within one account's memory are negligible.
DIGEST_BYTES: Final = 8

TurnRole = Literal["system", "user", "tool"]


@dataclass(frozen=True)
class Turn:
    """One message the live check may score."""

    position: int  # index in the request's messages
    role: TurnRole
    text: str
    digest: str  # the conversation up to and including this message
    trailing: bool  # after the last assistant message: new in this request, always counted

    @property
    def where(self) -> str:
        """Where the turn sits, as a reader would say it."""
        kind = {"system": "the system message", "user": "a user turn", "tool": "a tool result"}[self.role]
        return f"messages[{self.position}], {kind}"


def _prose_of_json(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        if len(value.split()) >= PROSE_WORDS:
            out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _prose_of_json(item, out)
    elif isinstance(value, list):
        for item in value:
            _prose_of_json(item, out)


def tool_prose(content: str) -> str:
    """The part of a tool result the model could read as instructions ('' when it holds none).

    Text that is not JSON is prose as a whole; in a JSON result, the string values of
    :data:`PROSE_WORDS` words or more, one a line.
    """
    stripped = content.strip()
    if not stripped:
        return ""
    try:
        value = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return stripped
    prose: list[str] = []
    _prose_of_json(value, prose)
    return "\n".join(prose)


def conversation_turns(messages: Sequence[dict[str, str | None]]) -> list[Turn]:
    """The turns of a request's messages (roles already mapped onto v1's), in conversation order."""
    last_assistant = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=-1)
    chain = hashlib.blake2b(digest_size=DIGEST_BYTES)
    turns: list[Turn] = []
    for position, message in enumerate(messages):
        role, content = message["role"], message["content"] or ""
        kind: TurnRole
        if role == "tool":
            kind, text = "tool", tool_prose(content)
        elif role == "system":
            kind, text = "system", content.strip() and content
        elif role == "user":
            kind, text = "user", content.strip() and content
        else:  # the model's own replies: not scored, and left out of the chain (clients resend them edited)
            continue
        chain.update(role.encode() + b"\x00" + content.encode("utf-8", "surrogatepass") + b"\x00")
        if text:
            trailing = kind != "system" and position > last_assistant
            turns.append(Turn(position, kind, text, chain.hexdigest(), trailing))
    return turns


@dataclass(frozen=True)
class TurnPlan:
    """Which turns one request scores, and how many it leaves."""

    scored: list[Turn]
    seen: int  # counted before (the account's memory holds them)
    deferred: int  # over the per-request limit: not remembered, so a later request scores them

    def counts(self) -> dict[str, int]:
        """The turns scored, seen before and deferred, as the decision log records them."""
        return {"scored": len(self.scored), "seen": self.seen, "deferred": self.deferred}


def plan_turns(turns: Sequence[Turn], seen: Sequence[bool], limit: int) -> TurnPlan:
    """The turns to score: trailing ones first, then unseen earlier ones in order, at most ``limit``.

    ``seen[i]`` says whether the account's memory already held ``turns[i]``.
    """
    trailing = [t for t in turns if t.trailing]
    earlier = [t for t, was in zip(turns, seen, strict=True) if not t.trailing and not was]
    chosen = (trailing + earlier)[:limit]
    already = sum(1 for t, was in zip(turns, seen, strict=True) if not t.trailing and was)
    ordered = sorted(chosen, key=lambda t: t.position)
    return TurnPlan(ordered, already, len(trailing) + len(earlier) - len(chosen))


@dataclass(frozen=True)
class RequestScores:
    """One request's extraction signals over the turns it scored."""

    scores: list[float]  # per family, the highest over the scored turns
    template: str  # the key of the turn that weighs most: the top firing turn, else the last user turn scored
    evidence: dict[str, str]  # family -> the sentence saying which words, in which turn, made it fire
    #: The key the cross-account sign counts senders of: the top firing turn's other than a system message (a system
    #: prompt sent by many accounts is what a popular application or framework looks like), None if none fires.
    shared_template: str | None = None


def request_scores(scored: Sequence[Turn], batch: SignalBatch) -> RequestScores:
    """The request's scores from its scored turns' rows of ``batch`` (one row per turn, in order)."""
    families = batch.families
    if not scored:
        return RequestScores([0.0] * len(families), "", {})
    rows = batch.scores
    if len(scored) == 1:  # the common request: one new turn
        only = rows[0].tolist()
        where = f" (in {scored[0].where})"
        evidence = {family: sentence + where for family, sentence in batch.evidence[0].items()}
        fires = max(only) >= FIRES_AT and scored[0].role != "system"
        return RequestScores(only, batch.templates[0], evidence, batch.templates[0] if fires else None)
    top_rows = rows.argmax(axis=0).tolist()
    scores = rows.max(axis=0).tolist()
    evidence = {
        family: f"{batch.evidence[row][family]} (in {scored[row].where})"
        for family, row, score in zip(families, top_rows, scores, strict=True)
        if score >= FIRES_AT
    }
    per_turn = rows.max(axis=1).tolist()
    firing = sorted((i for i, top in enumerate(per_turn) if top >= FIRES_AT), key=lambda i: -per_turn[i])
    if firing:
        lead = firing[0]
    else:
        users = [i for i, turn in enumerate(scored) if turn.role == "user"]
        lead = users[-1] if users else len(scored) - 1
    shared = next((batch.templates[i] for i in firing if scored[i].role != "system"), None)
    return RequestScores(scores, batch.templates[lead], evidence, shared)
