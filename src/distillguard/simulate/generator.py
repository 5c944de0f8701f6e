"""Write a scenario as an exchange-log v1 dataset, deterministic for a seed, in bounded memory.

Each persona or campaign is a *group* of accounts. A group's exchanges are generated
for a slice of its accounts at a time (at most ``CHUNK_ROWS`` rows) and written as one
Parquet part, so memory stays flat whatever the scenario's size. Every random draw
comes from a generator seeded by ``(seed, group, slice)``: the same seed gives the same
dataset, byte for byte in content.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa

from distillguard.ingest.writer import ParquetTableWriter, write_parquet
from distillguard.schema import MESSAGE, arrow_schema
from distillguard.simulate import behaviour
from distillguard.simulate.paraphrase import paraphrase, rewording
from distillguard.simulate.scenario import Campaign, Persona, Scenario
from distillguard.simulate.text import (
    APP_SYSTEM_PROMPTS,
    APP_TEMPLATES,
    PIPELINE_TEMPLATES,
    TRANSLATOR_TEMPLATES,
    Texts,
    TextSource,
    interleave,
    mix,
)

CHUNK_ROWS: Final = 200_000
USER_AGENTS: Final = (
    "OpenAI/Python 1.51.0",
    "python-httpx/0.27.2",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "curl/8.5.0",
)
SERVER_PERSONAS: Final = frozenset({"app", "batch_pipeline", "aggregator", "agent_framework"})
COUNTRIES: Final = ("US", "GB", "DE", "FR", "IN", "BR", "JP", "CA", "AU", "NL", "KR", "SG")
EMAIL_DOMAINS: Final = ("gmail.com", "outlook.com", "proton.me", "yahoo.com", "company.example", "uni.example.edu")


@dataclass(frozen=True)
class Group:
    """One persona or campaign, with its accounts' exchange counts."""

    index: int
    spec: Persona | Campaign
    prefix: str
    counts: np.ndarray

    @property
    def campaign_id(self) -> str | None:
        """The campaign's id; ``None`` for a legitimate persona."""
        return self.spec.id if isinstance(self.spec, Campaign) else None

    @property
    def role(self) -> str:
        """The label's role: the persona's role (its kind unless named), or ``campaign:<kind>``."""
        if isinstance(self.spec, Persona):
            return self.spec.role or self.spec.kind
        return f"campaign:{self.spec.kind}"

    @property
    def start_day(self) -> float:
        """First day of activity."""
        return self.spec.start_day if isinstance(self.spec, Campaign) else 0.0

    def days(self, scenario: Scenario) -> float:
        """Days of activity."""
        return self.spec.days if isinstance(self.spec, Campaign) else scenario.days


def plan(scenario: Scenario, seed: int) -> list[Group]:
    """Every group with its per-account exchange counts."""
    groups: list[Group] = []
    specs: list[Persona | Campaign] = [*scenario.personas, *scenario.campaigns]
    for index, spec in enumerate(specs):
        rng = np.random.default_rng([seed, index, 0xC0])
        if isinstance(spec, Persona):
            counts = behaviour.counts_per_account(
                rng, spec.accounts, spec.accounts * spec.daily_exchanges * scenario.days, spec.spread
            )
            prefix = f"{spec.kind.replace('_', '-')}-{index}"
        else:
            spread = 0.6 if spec.kind == "low_and_slow" else 0.25
            counts = behaviour.counts_per_account(rng, spec.accounts, spec.exchanges, spread)
            prefix = f"acct-{hash_text(spec.id)}"
        groups.append(Group(index, spec, prefix, counts))
    return groups


def hash_text(text: str) -> str:
    """A short stable token for names that must not give the campaign away."""
    return behaviour.fingerprint(text)[3:9]


def _persona_texts(
    group: Group, spec: Persona, source: TextSource, rng: np.random.Generator, rows: np.ndarray
) -> Texts:
    kind = spec.kind
    n = rows.size
    if kind in ("chat_user", "aggregator", "vpn_user"):
        return source.chat(rng, n)
    if kind == "classroom":
        return source.assignment(rng, n, (rows // spec.office_size + 1_000 * group.index).tolist())
    if kind == "model_grader":
        return source.rubric(rng, n)
    if kind == "agent_framework":
        return source.framework(rng, n, group.index, rows.tolist())
    if kind == "app":
        system = APP_SYSTEM_PROMPTS[group.index % len(APP_SYSTEM_PROMPTS)]
        return source.templated(rng, n, APP_TEMPLATES[group.index % 3 : group.index % 3 + 1], "app", system)
    if kind == "batch_pipeline":
        return source.templated(rng, n, PIPELINE_TEMPLATES, "pipeline", None)
    if kind == "translator":
        return source.templated(rng, n, TRANSLATOR_TEMPLATES, "translator", None)
    if kind == "eval_researcher":
        return source.research(rng, n)
    if kind == "agent_developer":
        return source.tool_calls(rng, n)
    return source.student(rng, n)


def _campaign_texts(spec: Campaign, source: TextSource, rng: np.random.Generator, n: int) -> Texts:
    if spec.kind == "reasoning_rubric":
        share = rng.integers(0, 3, n)
        parts = [
            source.wrapped_qa(rng, int((share == 0).sum()), source.reasoning, "reasoning"),
            source.rubric(rng, int((share == 1).sum())),
            source.censorship(rng, int((share == 2).sum())),
        ]
        texts = interleave(parts, share)
    elif spec.kind == "reasoning":
        texts = source.wrapped_qa(rng, n, source.reasoning, "reasoning")
    elif spec.kind == "coercion":
        texts = source.coercion(rng, n)
    elif spec.kind == "agentic_coding":
        texts = source.agentic(rng, n)
    elif spec.kind == "hydra":
        texts = source.sweep(rng, n)
    else:
        texts = source.every_trick(rng, n)
    if spec.camouflage > 0:
        texts = mix(texts, source.chat(rng, n), rng.random(n) < spec.camouflage)
    return texts


def _texts(group: Group, source: TextSource, rng: np.random.Generator, rows: np.ndarray, row0: int) -> Texts:
    spec = group.spec
    if isinstance(spec, Persona):
        return _persona_texts(group, spec, source, rng, rows)
    if spec.coverage == "queue":
        source = source.queued(spec.id, row0)
    return _campaign_texts(spec, source, rng, rows.size)


PERSONA_RHYTHMS: Final = {
    "app": "steady",
    "batch_pipeline": "steady",
    "agent_framework": "steady",
    "eval_researcher": "burst",
    "agent_developer": "burst",
    "model_grader": "burst",
}


def _shift_of(spec: Campaign, accounts: np.ndarray, total: int) -> np.ndarray:
    """Each account's shift (0 .. shifts - 1): consecutive accounts work the same shift."""
    shift: np.ndarray = accounts * spec.shifts // total
    return shift


def _times(group: Group, scenario: Scenario, rng: np.random.Generator, rows: np.ndarray) -> np.ndarray:
    spec = group.spec
    start, days = group.start_day, group.days(scenario)
    if isinstance(spec, Persona):
        if spec.kind == "classroom":
            classes = np.arange(len(group.counts), dtype=np.int64) // spec.office_size + 1_000 * group.index
            return behaviour.class_times(rng, rows, classes, (start, days), scenario.start.weekday())
        rhythm = PERSONA_RHYTHMS.get(spec.kind, "human")
    else:
        rhythm = spec.rhythm
        if spec.kind == "hydra" and spec.replace_banned:
            return behaviour.shift_times(rng, rows, spec.accounts, start, days)[0]
        if spec.shifts:
            shift = _shift_of(spec, rows, len(group.counts))
            length = days / spec.shifts
            seconds = np.empty(rows.size, dtype=np.float64)
            for s in np.unique(shift).tolist():
                chosen = shift == s
                working = int(np.unique(rows[chosen]).size)
                window = (start + s * length, length)
                seconds[chosen] = _rhythm_times(rhythm, scenario, rng, rows[chosen], accounts=working, window=window)
            return seconds
    return _rhythm_times(rhythm, scenario, rng, rows, accounts=len(group.counts), window=(start, days))


def _rhythm_times(
    rhythm: str,
    scenario: Scenario,
    rng: np.random.Generator,
    rows: np.ndarray,
    *,
    accounts: int,
    window: tuple[float, float],
) -> np.ndarray:
    start, days = window
    if rhythm == "steady":
        return behaviour.steady_times(rng, rows.size, start, days)
    if rhythm == "lockstep":
        return behaviour.lockstep_times(rng, rows, accounts, start, days)
    if rhythm == "burst":
        return behaviour.burst_times(rng, rows, start, days)
    return behaviour.human_times(rng, rows, start, days, scenario.start.weekday())


def _models(group: Group, scenario: Scenario, rng: np.random.Generator, seconds: np.ndarray) -> list[str]:
    models = np.array(scenario.models, dtype=object)
    chosen = models[rng.integers(0, len(models), seconds.size)]
    release = scenario.release
    if release is not None:
        spec = group.spec
        if isinstance(spec, Campaign):
            at, share = release.day * 86_400 + spec.pivot_hours * 3_600, spec.pivot_share
        else:
            at, share = release.day * 86_400 + 3 * 86_400, 0.15  # legitimate users drift over days
        chosen[(seconds >= at) & (rng.random(seconds.size) < share)] = release.model
    names: list[str] = chosen.tolist()
    return names


def _office_of(group: Group, account: int) -> int | None:
    """The office (or class) an account works from, if it works from a shared one."""
    spec = group.spec
    if not isinstance(spec, Persona):
        return None
    if spec.kind == "classroom":
        return account // spec.office_size
    share = spec.office_share
    if share > 0 and behaviour.stable_ints(np.array([account]), 1_000)[0] < share * 1_000:
        return account // spec.office_size
    return None


def _home_ips(group: Group, account: int) -> list[str]:
    """An account's addresses: its own two, or its office's one when it works from a shared office.

    People connect from home (residential); apps, pipelines and aggregators from servers.
    """
    spec = group.spec
    office = _office_of(group, account)
    if office is not None:
        return behaviour.ip_pool(f"{group.prefix}/office/{office}", 1, residential=False)
    servers = isinstance(spec, Persona) and spec.kind in SERVER_PERSONAS
    return behaviour.ip_pool(f"{group.prefix}/{account}", 2, residential=not servers)


def _evasion(
    spec: Campaign,
    group: Group,
    source: TextSource,
    rng: np.random.Generator,
    *,
    rows: np.ndarray,
    texts: Texts,
    seconds: np.ndarray,
) -> tuple[Texts, np.ndarray]:
    """Warm-up (benign use before the campaign) and per-account paraphrase."""
    if spec.warmup_days > 0:
        warm = rng.random(rows.size) < spec.warmup_share
        texts = mix(texts, source.chat(rng, rows.size), warm)
        begin = (spec.start_day - spec.warmup_days) * behaviour.SECONDS_PER_DAY
        seconds = seconds.copy()
        seconds[warm] = rng.uniform(begin, spec.start_day * behaviour.SECONDS_PER_DAY, int(warm.sum()))
    if spec.paraphrase:
        choices = {a: rewording(f"{group.prefix}-{a}") for a in np.unique(rows).tolist()}
        prompts = [paraphrase(p, choices[a]) for p, a in zip(texts.prompts, rows.tolist(), strict=True)]
        texts = replace(texts, prompts=prompts)
    return texts, seconds


def _campaign_ips(spec: Campaign, rng: np.random.Generator, rows: np.ndarray) -> list[str]:
    """A campaign's client addresses: rotated through its provider's pool, or a few sticky ones per account."""
    # a named provider sells residential proxies; so do the sticky ones
    residential = spec.kind in ("hydra", "low_and_slow", "coercion") or spec.sticky_ips > 0 or bool(spec.ip_pool_name)
    provider = spec.ip_pool_name or spec.id
    if spec.sticky_ips:
        own = {a: behaviour.ip_pool(f"{provider}/{a}", spec.sticky_ips, True) for a in np.unique(rows).tolist()}
        draws = rng.integers(0, spec.sticky_ips, rows.size).tolist()
        return [own[a][k] for a, k in zip(rows.tolist(), draws, strict=True)]
    pool = behaviour.ip_pool(provider, spec.ip_pool, residential)
    return [pool[i] for i in rng.integers(0, len(pool), rows.size).tolist()]


def _varied_parameters(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Temperatures and max_tokens as people and their apps set them."""
    temperature = rng.choice([0.0, 0.2, 0.7, 1.0], n)
    max_tokens = rng.choice([256, 512, 1_024, 2_048, 4_096], n).astype(np.int64)
    return temperature, max_tokens


def _messages(texts: Texts) -> pa.Array:
    roles: list[str] = []
    contents: list[str] = []
    offsets = [0]
    rows = zip(texts.prompts, texts.earlier, texts.earlier_reply, texts.system, strict=True)
    for prompt, earlier, reply, system in rows:
        if system is not None:
            roles.append("system")
            contents.append(system)
        if earlier is not None:
            roles += ["user", "assistant"]
            contents += [earlier, reply or ""]
        roles.append("user")
        contents.append(prompt)
        offsets.append(len(roles))
    structs = pa.StructArray.from_arrays([pa.array(roles), pa.array(contents)], fields=list(MESSAGE))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), structs)


def _exchange_batch(
    group: Group, scenario: Scenario, source: TextSource, *, seed: int, part: int, first: int, last: int, row0: int
) -> tuple[pa.RecordBatch, Counter[str]]:
    rng = np.random.default_rng([seed, group.index, part + 1])
    counts = group.counts[first:last]
    rows = np.repeat(np.arange(first, last), counts)
    n = rows.size
    seconds = _times(group, scenario, rng, rows)
    texts = _texts(group, source, rng, rows, row0)
    spec = group.spec
    campaign = isinstance(spec, Campaign)
    if isinstance(spec, Campaign):
        texts, seconds = _evasion(spec, group, source, rng, rows=rows, texts=texts, seconds=seconds)
    if isinstance(spec, Campaign):
        ips = _campaign_ips(spec, rng, rows)
        if spec.client == "per_account":
            agents = [USER_AGENTS[i] for i in behaviour.stable_ints(rows + group.index, len(USER_AGENTS)).tolist()]
        else:
            agent_count = len(USER_AGENTS) if spec.kind == "hydra" else 2
            agents = [USER_AGENTS[i] for i in rng.integers(0, agent_count, n).tolist()]
        if spec.parameters == "varied":
            temperature, max_tokens = _varied_parameters(rng, n)
        else:
            temperature = np.full(n, 0.0 if spec.kind != "coercion" else 1.0)
            max_tokens = np.full(n, 8_192, dtype=np.int64)
        surface = "api" if spec.kind != "coercion" else "cloud:partner"
    else:
        if isinstance(spec, Persona) and spec.kind == "vpn_user":
            exits = behaviour.ip_pool(f"{group.prefix}/vpn", spec.exit_pool, residential=False)
            ips = [exits[i] for i in rng.integers(0, len(exits), n).tolist()]
        else:
            pools = {a: _home_ips(group, a) for a in range(first, last)}
            draws = rng.integers(0, 2, n).tolist()
            ips = [pools[a][k % len(pools[a])] for a, k in zip(rows.tolist(), draws, strict=True)]
        agents = [USER_AGENTS[(a * 7 + group.index) % len(USER_AGENTS)] for a in rows.tolist()]
        temperature, max_tokens = _varied_parameters(rng, n)
        surface = "api"
    relays = isinstance(spec, Persona) and spec.kind in ("app", "aggregator")
    relays = relays or (campaign and isinstance(spec, Campaign) and spec.kind in ("hydra", "low_and_slow"))
    end_users = [f"eu-{v}" for v in rng.integers(0, 50_000, n).tolist()] if relays else [None] * n
    prompt_tokens = np.fromiter((len(p) // 4 + 8 for p in texts.prompts), dtype=np.int64, count=n)
    output_tokens = np.fromiter((len(r) // 4 + 1 for r in texts.responses), dtype=np.int64, count=n)
    output_tokens = (output_tokens * rng.lognormal(0, 0.3, n)).astype(np.int64) + 1
    micros = (scenario.start.timestamp() * 1e6 + seconds * 1e6).astype(np.int64)
    ids = [f"{scenario.name}-{seed}-{group.index}-{row0 + i:09d}" for i in range(n)]
    columns: dict[str, Any] = {
        "request_id": pa.array(ids),
        "timestamp": pa.array(micros, pa.timestamp("us", tz="UTC")),
        "account_id": pa.array([f"{group.prefix}-{a:06d}" for a in rows.tolist()]),
        "model": pa.array(_models(group, scenario, rng, seconds)),
        "messages": _messages(texts),
        "response": pa.array(texts.responses),
        "tools": pa.array(texts.tools, pa.list_(pa.string())),
        "end_user": pa.array(end_users, pa.string()),
        "input_tokens": pa.array(prompt_tokens),
        "output_tokens": pa.array(output_tokens),
        "temperature": pa.array(temperature, pa.float64()),
        "max_tokens": pa.array(max_tokens),
        "status": pa.array(np.full(n, 200, dtype=np.int32)),
        "ip": pa.array(ips),
        "user_agent": pa.array(agents),
        "surface": pa.array([surface] * n),
    }
    schema = arrow_schema("exchanges")
    batch = pa.RecordBatch.from_arrays([columns.get(f.name, pa.nulls(n, f.type)) for f in schema], schema=schema)
    return batch, Counter(s.split("+")[-1] for s in texts.sources)


def _accounts(group: Group, scenario: Scenario, seed: int) -> pa.RecordBatch:
    rng = np.random.default_rng([seed, group.index, 0xAC])
    n = len(group.counts)
    spec = group.spec
    start = scenario.start
    if isinstance(spec, Campaign):
        # new accounts at full volume from day one (or from their warm-up)
        offsets_days = spec.start_day - spec.warmup_days - rng.uniform(0.05, 3.0, n)
        if spec.kind == "hydra" and spec.replace_banned:
            _, first = behaviour.shift_times(rng, np.zeros(1, dtype=np.int64), spec.accounts, spec.start_day, spec.days)
            offsets_days = first / 86_400 - rng.uniform(0.01, 0.2, n)
        if spec.shifts:
            shift_start = spec.start_day + _shift_of(spec, np.arange(n), n) * (spec.days / spec.shifts)
            offsets_days = shift_start - rng.uniform(0.05, 1.0, n)
        tiers = [spec.tiers[i % len(spec.tiers)] for i in range(n)]
        payments = [behaviour.fingerprint(f"{spec.id}/pay/{i % spec.payment_fingerprints}") for i in range(n)]
        domains = [f"mail{hash_text(spec.id)[:3]}.example" if i % 3 else "proton.me" for i in range(n)]
        countries = [COUNTRIES[(i + group.index) % 3] for i in range(n)]
        verified = rng.random(n) < 0.1
        if spec.aged_share > 0:  # bought aged and verified: they look established
            aged = rng.random(n) < spec.aged_share
            offsets_days = np.where(aged, -rng.uniform(60, 400, n), offsets_days)
            verified = verified | aged
        pool = behaviour.ip_pool(spec.ip_pool_name or spec.id, spec.ip_pool, residential=True)
        signup = [pool[i % len(pool)] for i in range(n)]
    else:
        offsets_days = -rng.uniform(1, 400, n)
        tiers = [spec.tier] * n
        payments = [_payment(group, seed, a) for a in range(n)]
        domains = [EMAIL_DOMAINS[i] for i in rng.integers(0, len(EMAIL_DOMAINS), n).tolist()]
        countries = [COUNTRIES[i] for i in rng.integers(0, len(COUNTRIES), n).tolist()]
        verified = rng.random(n) < 0.7
        if spec.kind == "classroom":  # signed up at the start of term, through the school
            offsets_days = -rng.uniform(1, 20, n)
            verified = rng.random(n) < 0.9
        if spec.kind == "vpn_user":
            exits = behaviour.ip_pool(f"{group.prefix}/vpn", spec.exit_pool, residential=False)
            signup = [exits[i] for i in rng.integers(0, len(exits), n).tolist()]
        else:
            signup = [_home_ips(group, a)[0] for a in range(n)]
    created = [start + timedelta(days=float(d)) for d in offsets_days]
    schema = arrow_schema("accounts")
    columns = {
        "account_id": pa.array([f"{group.prefix}-{a:06d}" for a in range(n)]),
        "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
        "tier": pa.array(tiers),
        "verified": pa.array(verified),
        "payment_fingerprint": pa.array(payments),
        "email_domain": pa.array(domains),
        "country": pa.array(countries),
        "signup_ip": pa.array(signup),
    }
    return pa.RecordBatch.from_arrays([columns.get(f.name, pa.nulls(n, f.type)) for f in schema], schema=schema)


def _payment(group: Group, seed: int, account: int) -> str:
    """A legitimate account's own payment method, or its office's company card."""
    spec = group.spec
    office = _office_of(group, account)
    if isinstance(spec, Persona) and spec.company_cards and office is not None:
        return behaviour.fingerprint(f"{group.prefix}/card/{seed}/{office}")
    return behaviour.fingerprint(f"{group.prefix}/pay/{seed}/{account}")


def _labels(group: Group) -> pa.RecordBatch:
    n = len(group.counts)
    return pa.RecordBatch.from_arrays(
        [
            pa.array([f"{group.prefix}-{a:06d}" for a in range(n)]),
            pa.array([group.campaign_id] * n, pa.string()),
            pa.array([group.role] * n),
        ],
        schema=arrow_schema("labels"),
    )


def _slices(counts: np.ndarray) -> list[tuple[int, int]]:
    slices, first, rows = [], 0, 0
    for a, c in enumerate(counts.tolist()):
        if rows and rows + c > CHUNK_ROWS:
            slices.append((first, a))
            first, rows = a, 0
        rows += c
    slices.append((first, len(counts)))
    return slices


def simulate(scenario: Scenario, seed: int, source: TextSource, out: Path) -> dict[str, Any]:
    """Write the dataset to ``out`` and return the manifest (also written as ``simulation.json``)."""
    (out / "exchanges").mkdir(parents=True, exist_ok=True)
    groups = plan(scenario, seed)
    manifest: dict[str, Any] = {"scenario": scenario.name, "seed": seed, "groups": []}
    part = 0
    for group in groups:
        sources: Counter[str] = Counter()
        row0 = 0
        for slice_number, (first, last) in enumerate(_slices(group.counts)):
            batch, seen = _exchange_batch(
                group, scenario, source, seed=seed, part=slice_number, first=first, last=last, row0=row0
            )
            with ParquetTableWriter(out / "exchanges" / f"part-{part:05d}.parquet", "exchanges") as writer:
                writer.write(batch)
            sources += seen
            row0 += batch.num_rows
            part += 1
        manifest["groups"].append(
            {
                "role": group.role,
                "campaign_id": group.campaign_id,
                "accounts": len(group.counts),
                "exchanges": int(group.counts.sum()),
                "sources": dict(sources.most_common()),
            }
        )
    write_parquet((_accounts(g, scenario, seed) for g in groups), out / "accounts.parquet", "accounts")
    write_parquet((_labels(g) for g in groups), out / "labels.parquet", "labels")
    (out / "simulation.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
