"""Per-account online state: rate and token budgets, and decayed extraction evidence.

Two stores with one behaviour:

- :class:`MemoryState` (``memory://``): in the process, for one gateway.
- :class:`RedisState` (``redis://host:port/db``): shared by every replica. Each update is one
  Lua script run atomically on the server with the server's clock, so two replicas never
  both spend the last request of a budget, and a limit is never multiplied by the number of
  replicas.

Budgets are token buckets, refilled continuously at the tier's per-minute rate up to one
minute's worth. A request takes ``cost`` from the request bucket; tokens are spent after the
response (the usage is known only then), so the token bucket may go below zero and then holds
back the account's next requests until it refills. A throttled account pays ``1 / factor``
per request and per token, which is the tier's limits times the factor.

Evidence decays with a half-life: ``requests`` is the decayed count of recent requests, each
family's value the decayed count of requests where that family fired, ``reused`` the decayed
count of requests whose template the account had already used.

Scored turns are remembered per account by a short hash (``remember_turns``), so that a growing
conversation's old turns are not scored again on every request: at most
:data:`TURNS_PER_ACCOUNT` per account, the least recently seen forgotten first, each for a
time-to-live.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from distillguard.errors import StateUnavailableError

#: Template keys remembered per account before the oldest are forgotten.
TEMPLATES_PER_ACCOUNT = 4096
#: Extraction templates whose senders the memory store follows (the least recently used are dropped).
TEMPLATES_TRACKED = 100_000
#: Scored turns remembered per account before the least recently seen are forgotten.
TURNS_PER_ACCOUNT = 4096
#: Scored turns the memory store keeps in all (about 150 MB): the least recently active accounts' are dropped first.
TURNS_TRACKED = 1_000_000
#: Buckets hold one minute of budget.
WINDOW_S = 60.0


@dataclass(frozen=True)
class Admission:
    """Whether a request may go ahead, and if not, in how many seconds it may."""

    allowed: bool
    retry_after_s: float
    limit: str = ""  # "requests" or "tokens" when refused


@dataclass(frozen=True)
class OnlineView:
    """An account's decayed evidence after the current request was counted."""

    requests: float = 0.0
    families: tuple[float, ...] = field(default_factory=tuple)
    reused: float = 0.0

    def share(self, index: int) -> float:
        """Share of recent requests where family ``index`` fired."""
        return self.families[index] / self.requests if self.requests > 0 else 0.0

    @property
    def reuse_share(self) -> float:
        """Share of recent requests that reused one of the account's templates."""
        return self.reused / self.requests if self.requests > 0 else 0.0


@dataclass(frozen=True)
class Budget:
    """Per-minute limits and the cost multiplier of one request."""

    requests_per_minute: int
    tokens_per_minute: int
    cost: float = 1.0


class StateStore(Protocol):
    """What the gateway needs of a state store."""

    url: str

    async def admit(self, account: str, budget: Budget) -> Admission:
        """Take one request from the account's budget, or say how long to wait."""
        ...

    async def spend_tokens(self, account: str, budget: Budget, tokens: int) -> None:
        """Spend ``tokens`` (times the budget's cost) from the account's token bucket."""
        ...

    async def observe(self, account: str, fired: Sequence[bool], template: str, half_life_s: float) -> OnlineView:
        """Count one request's evidence and return the account's decayed view."""
        ...

    async def template_accounts(self, template: str, account: str, window_s: float) -> int:
        """Count ``account`` as a sender of ``template``; how many accounts sent it within the window."""
        ...

    async def remember_turns(self, account: str, digests: Sequence[str], ttl_s: float) -> list[bool]:
        """Remember the account's turns as scored; for each, whether it was remembered already."""
        ...

    async def forget_turns(self, account: str, digests: Sequence[str]) -> None:
        """Forget turns that were remembered but not scored (a later request scores them)."""
        ...

    async def ping(self) -> bool:
        """Whether the store answers."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def _refill(level: float, capacity: float, rate_per_s: float, elapsed_s: float) -> float:
    return min(capacity, level + max(0.0, elapsed_s) * rate_per_s)


@dataclass
class _Account:
    requests: float
    tokens: float
    budget_at: float
    seen: float = 0.0
    evidence_at: float = 0.0
    families: list[float] = field(default_factory=list)
    reused: float = 0.0
    templates: OrderedDict[str, None] = field(default_factory=OrderedDict)


class MemoryState:
    """State in this process (one gateway). Every method runs without awaiting, so each is atomic."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.url = "memory://"
        self._clock = clock
        self._accounts: dict[str, _Account] = {}
        self._senders: dict[str, OrderedDict[str, float]] = {}
        self._turns: OrderedDict[str, OrderedDict[str, float]] = OrderedDict()
        self._turn_count = 0

    def _account(self, account: str, budget: Budget, now: float) -> _Account:
        state = self._accounts.get(account)
        if state is None:
            state = _Account(float(budget.requests_per_minute), float(budget.tokens_per_minute), now)
            self._accounts[account] = state
        elapsed = now - state.budget_at
        state.requests = _refill(
            state.requests, budget.requests_per_minute, budget.requests_per_minute / WINDOW_S, elapsed
        )
        state.tokens = _refill(state.tokens, budget.tokens_per_minute, budget.tokens_per_minute / WINDOW_S, elapsed)
        state.budget_at = now
        return state

    async def admit(self, account: str, budget: Budget) -> Admission:
        """Take one request from the account's budget, or say how long to wait."""
        now = self._clock()
        state = self._account(account, budget, now)
        if state.tokens <= 0:
            return Admission(False, (1 - state.tokens) / (budget.tokens_per_minute / WINDOW_S), "tokens")
        if state.requests < budget.cost:
            return Admission(
                False, (budget.cost - state.requests) / (budget.requests_per_minute / WINDOW_S), "requests"
            )
        state.requests -= budget.cost
        return Admission(True, 0.0)

    async def spend_tokens(self, account: str, budget: Budget, tokens: int) -> None:
        """Spend ``tokens`` (times the budget's cost) from the account's token bucket."""
        state = self._account(account, budget, self._clock())
        state.tokens -= tokens * budget.cost

    async def observe(self, account: str, fired: Sequence[bool], template: str, half_life_s: float) -> OnlineView:
        """Count one request's evidence and return the account's decayed view."""
        now = self._clock()
        state = self._accounts.get(account)
        if state is None:
            state = _Account(0.0, 0.0, now, evidence_at=now)
            state.requests = state.tokens = math.inf  # refilled to capacity on first admit
            self._accounts[account] = state
        decay = 2.0 ** (-max(0.0, now - state.evidence_at) / half_life_s) if state.seen else 0.0
        if len(state.families) != len(fired):
            state.families = [0.0] * len(fired)
        state.seen = state.seen * decay + 1.0
        state.families = [v * decay + (1.0 if f else 0.0) for v, f in zip(state.families, fired, strict=True)]
        reused = template in state.templates
        state.reused = state.reused * decay + (1.0 if reused else 0.0)
        state.templates[template] = None
        state.templates.move_to_end(template)
        if len(state.templates) > TEMPLATES_PER_ACCOUNT:
            state.templates.popitem(last=False)
        state.evidence_at = now
        return OnlineView(state.seen, tuple(state.families), state.reused)

    async def template_accounts(self, template: str, account: str, window_s: float) -> int:
        """Count ``account`` as a sender of ``template``; how many accounts sent it within the window."""
        now = self._clock()
        senders = self._senders.pop(template, None) or OrderedDict()
        self._senders[template] = senders  # most recently used last
        senders.pop(account, None)
        senders[account] = now
        while senders and next(iter(senders.values())) < now - window_s:
            senders.popitem(last=False)
        while len(self._senders) > TEMPLATES_TRACKED:
            del self._senders[next(iter(self._senders))]
        return len(senders)

    async def remember_turns(self, account: str, digests: Sequence[str], ttl_s: float) -> list[bool]:
        """Remember the account's turns as scored; for each, whether it was remembered already."""
        now = self._clock()
        turns = self._turns.pop(account, None) or OrderedDict()
        self._turns[account] = turns  # most recently active last
        before = len(turns)
        seen = []
        for digest in digests:
            at = turns.pop(digest, None)
            seen.append(at is not None and at >= now - ttl_s)
            turns[digest] = now
        while len(turns) > TURNS_PER_ACCOUNT:
            turns.popitem(last=False)
        self._turn_count += len(turns) - before
        while self._turn_count > TURNS_TRACKED and len(self._turns) > 1:
            self._turn_count -= len(self._turns.popitem(last=False)[1])
        return seen

    async def forget_turns(self, account: str, digests: Sequence[str]) -> None:
        """Forget turns that were remembered but not scored (a later request scores them)."""
        turns = self._turns.get(account)
        if turns is not None:
            for digest in digests:
                if turns.pop(digest, None) is not None:
                    self._turn_count -= 1

    async def ping(self) -> bool:
        """Whether the store answers."""
        return True

    async def close(self) -> None:
        """Release connections."""


# The budget's state refilled to now (server clock): r requests, tok tokens. KEYS[1] budget hash; ARGV[1..2] rpm, tpm.
_REFILL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local rpm, tpm = tonumber(ARGV[1]), tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'r', 't', 'at')
local r, tok, at = tonumber(h[1]) or rpm, tonumber(h[2]) or tpm, tonumber(h[3]) or now
local dt = math.max(0, now - at)
r = math.min(rpm, r + dt * rpm / 60)
tok = math.min(tpm, tok + dt * tpm / 60)
"""

_STORE = """
redis.call('HSET', KEYS[1], 'r', tostring(r), 't', tostring(tok), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
"""

# ARGV[3] cost. Returns {allowed, retry_after_s, limit}.
_ADMIT = (
    _REFILL
    + """
local cost = tonumber(ARGV[3])
local allowed, wait, limit = 1, 0, ''
if tok <= 0 then
  allowed, wait, limit = 0, (1 - tok) / (tpm / 60), 'tokens'
elseif r < cost then
  allowed, wait, limit = 0, (cost - r) / (rpm / 60), 'requests'
else
  r = r - cost
end
"""
    + _STORE
    + "return {allowed, tostring(wait), limit}\n"
)

# ARGV[3] tokens times cost.
_SPEND = _REFILL + "tok = tok - tonumber(ARGV[3])\n" + _STORE + "return 1\n"

# KEYS[1] evidence hash, KEYS[2] template set (sorted by last use). ARGV: half-life s, template, limit, fired...
# Returns {requests, reused, family...} as strings.
_OBSERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local half_life, template, limit = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local n = #ARGV - 3
local fields = {'at', 'n', 'reused'}
for i = 1, n do fields[#fields + 1] = 'f' .. i end
local h = redis.call('HMGET', KEYS[1], unpack(fields))
local decay = 0
if h[1] then decay = 2 ^ (-math.max(0, now - tonumber(h[1])) / half_life) end
local seen = (tonumber(h[2]) or 0) * decay + 1
local reused = (tonumber(h[3]) or 0) * decay
if redis.call('ZSCORE', KEYS[2], template) then reused = reused + 1 end
redis.call('ZADD', KEYS[2], now, template)
local size = redis.call('ZCARD', KEYS[2])
if size > limit then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, size - limit - 1) end
local out = {tostring(seen), tostring(reused)}
local update = {'at', tostring(now), 'n', tostring(seen), 'reused', tostring(reused)}
for i = 1, n do
  local v = (tonumber(h[3 + i]) or 0) * decay + tonumber(ARGV[3 + i])
  out[#out + 1] = tostring(v)
  update[#update + 1] = 'f' .. i
  update[#update + 1] = tostring(v)
end
redis.call('HSET', KEYS[1], unpack(update))
local ttl = math.ceil(half_life * 20)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return out
"""


# KEYS[1] the template's senders (sorted by last use). ARGV: account, window s. Returns the senders within the window.
_SENDERS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local window = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('EXPIRE', KEYS[1], math.ceil(window) + 60)
return redis.call('ZCARD', KEYS[1])
"""


# KEYS[1] the account's scored turns (sorted by last sight). ARGV: ttl s, limit, digests...
# Returns 1 for each digest remembered within the ttl, else 0; every digest is (re)marked now.
_TURNS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local ttl, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local at = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if at and tonumber(at) >= now - ttl then out[#out + 1] = 1 else out[#out + 1] = 0 end
  redis.call('ZADD', KEYS[1], now, ARGV[i])
end
local size = redis.call('ZCARD', KEYS[1])
if size > limit then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, size - limit - 1) end
redis.call('EXPIRE', KEYS[1], math.ceil(ttl))
return out
"""


class RedisState:
    """State in Redis, shared by every gateway replica; each update one atomic script."""

    def __init__(self, url: str, *, prefix: str = "dg:", timeout_s: float = 0.5) -> None:
        self.url = url
        self.prefix = prefix
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, health_check_interval=30
        )
        self._admit = self._redis.register_script(_ADMIT)
        self._spend = self._redis.register_script(_SPEND)
        self._observe = self._redis.register_script(_OBSERVE)
        self._senders = self._redis.register_script(_SENDERS)
        self._turns = self._redis.register_script(_TURNS)

    def _key(self, kind: str, account: str) -> str:
        return f"{self.prefix}{kind}:{{{account}}}"  # one hash slot per account, for Redis Cluster

    async def admit(self, account: str, budget: Budget) -> Admission:
        """Take one request from the account's budget, or say how long to wait."""
        try:
            allowed, wait, limit = await self._admit(
                keys=[self._key("b", account)], args=[budget.requests_per_minute, budget.tokens_per_minute, budget.cost]
            )
        except (RedisError, OSError) as exc:
            raise StateUnavailableError(f"{self.url}: {exc}") from exc
        return Admission(bool(int(allowed)), float(wait), limit.decode() if isinstance(limit, bytes) else str(limit))

    async def spend_tokens(self, account: str, budget: Budget, tokens: int) -> None:
        """Spend ``tokens`` (times the budget's cost) from the account's token bucket."""
        try:
            await self._spend(
                keys=[self._key("b", account)],
                args=[budget.requests_per_minute, budget.tokens_per_minute, tokens * budget.cost],
            )
        except (RedisError, OSError) as exc:
            raise StateUnavailableError(f"{self.url}: {exc}") from exc

    async def observe(self, account: str, fired: Sequence[bool], template: str, half_life_s: float) -> OnlineView:
        """Count one request's evidence and return the account's decayed view."""
        args: list[str | int | float] = [half_life_s, template, TEMPLATES_PER_ACCOUNT]
        args.extend(1 if f else 0 for f in fired)
        try:
            out = await self._observe(keys=[self._key("e", account), self._key("t", account)], args=args)
        except (RedisError, OSError) as exc:
            raise StateUnavailableError(f"{self.url}: {exc}") from exc
        values = [float(v) for v in out]
        return OnlineView(values[0], tuple(values[2:]), values[1])

    async def template_accounts(self, template: str, account: str, window_s: float) -> int:
        """Count ``account`` as a sender of ``template``; how many accounts sent it within the window."""
        try:
            count = await self._senders(keys=[f"{self.prefix}s:{{{template}}}"], args=[account, window_s])
        except (RedisError, OSError) as exc:
            raise StateUnavailableError(f"{self.url}: {exc}") from exc
        return int(count)

    async def remember_turns(self, account: str, digests: Sequence[str], ttl_s: float) -> list[bool]:
        """Remember the account's turns as scored; for each, whether it was remembered already."""
        if not digests:
            return []
        try:
            out = await self._turns(keys=[self._key("h", account)], args=[ttl_s, TURNS_PER_ACCOUNT, *digests])
        except (RedisError, OSError) as exc:
            raise StateUnavailableError(f"{self.url}: {exc}") from exc
        return [bool(int(v)) for v in out]

    async def forget_turns(self, account: str, digests: Sequence[str]) -> None:
        """Forget turns that were remembered but not scored (a later request scores them)."""
        if not digests:
            return
        try:
            await self._redis.zrem(self._key("h", account), *digests)
        except (RedisError, OSError) as exc:
            raise StateUnavailableError(f"{self.url}: {exc}") from exc

    async def ping(self) -> bool:
        """Whether the store answers."""
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        """Release connections."""
        await self._redis.aclose()


def open_state(url: str, timeout_s: float = 0.5) -> StateStore:
    """The store a ``state`` URL names."""
    if url == "memory://":
        return MemoryState()
    return RedisState(url, timeout_s=timeout_s)
