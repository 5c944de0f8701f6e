"""The gateway's configuration: one TOML file, validated when loaded (unknown keys fail).

Example::

    schema_version = 1
    upstream = "http://127.0.0.1:8000"      # overridden by --upstream
    keys_file = "keys.toml"
    state = "memory://"                      # or "redis://127.0.0.1:6379/0"
    state_failure = "open"                   # or "closed": what happens when the state store is down
    state_timeout_s = 0.5                    # a request's state calls together, at most
    state_retry_s = 1.0                      # after a failed state call, the store is tried again after this
    state_log_seconds = 60                   # a state outage is logged once per interval
    decisions = "scans/latest/accounts.parquet"   # the last scan's verdicts, reloaded when the file changes
    max_body_bytes = 1048576
    header_timeout_s = 10                    # a request's headers within this of its first byte ...
    body_timeout_s = 30                      # ... and its body within this after them (408 otherwise)
    upstream_timeout_s = 60

    [event_log]
    directory = "gateway-log"
    format = "parquet"                       # or "jsonl"
    rotate_rows = 100000                     # a finished part every 100,000 exchanges ...
    rotate_seconds = 300                     # ... or 5 minutes
    flush_seconds = 1.0                      # fsync of the journals (each record is written before its answer)
    max_refusals_per_second = 1000

    [tiers.free]
    requests_per_minute = 20
    tokens_per_minute = 40000

    [policy]                                 # action per verdict, for every tier unless [policy.tiers.X] says otherwise
    allow = "allow"
    review = "strip_reasoning"
    block = "block"

    [online]                                 # per-request evidence kept per account, with decay
    half_life_minutes = 60
    review_share = 0.5                       # share of recent prompts that fire an extraction family
    block_share = 0.8
    min_requests = 20
    shared_template_accounts = 20            # one extraction template from this many accounts ...
    shared_template_window_minutes = 60      # ... within this window: shared_template_verdict for each
    shared_template_verdict = "review"
    max_turns_scored = 64                    # turns scored per request at most (the rest by later requests)
    turn_memory_hours = 24                   # how long an account's scored turns are remembered
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from distillguard.config import describe_validation_error, read_toml
from distillguard.errors import ConfigError
from distillguard.gateway.client_address import parse_network
from distillguard.gateway.watermark import WatermarkSettings
from distillguard.schema import Action, Verdict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierLimits(_Strict):
    """Rate limits of one tier (per account, across every replica)."""

    requests_per_minute: int = Field(600, ge=1)
    tokens_per_minute: int = Field(1_000_000, ge=1)


_DEFAULT_LIMITS = TierLimits()


class VerdictActions(_Strict):
    """The action for each verdict."""

    allow: Action = "allow"
    review: Action = "flag"
    block: Action = "block"


class Policy(VerdictActions):
    """Actions per verdict, with overrides per tier."""

    tiers: dict[str, VerdictActions] = Field(default_factory=dict)

    def action(self, tier: str, verdict: Verdict) -> Action:
        """The action for an account of ``tier`` with ``verdict``."""
        chosen: VerdictActions = self.tiers.get(tier, self)
        action: Action = getattr(chosen, verdict)
        return action


class OnlineSettings(_Strict):
    """Per-request evidence kept per account: extraction shares with exponential decay."""

    half_life_minutes: float = Field(60.0, gt=0)
    review_share: float = Field(0.5, gt=0, le=1, description="Share of recent prompts firing one family: review.")
    block_share: float = Field(0.8, gt=0, le=1, description="That share, with template reuse as well: block.")
    block_template_share: float = Field(0.5, ge=0, le=1, description="Share of recent prompts reusing a template.")
    min_requests: float = Field(20.0, ge=1, description="Decayed request count before the shares count.")
    shared_template_accounts: int = Field(
        20, ge=2, description="Accounts sending one extraction template within the window: a coordination sign."
    )
    shared_template_window_minutes: float = Field(60.0, gt=0)
    shared_template_verdict: Verdict = "review"
    max_turns_scored: int = Field(
        64, ge=1, description="Turns scored per request at most; unseen earlier turns over it wait for a later one."
    )
    turn_memory_hours: float = Field(24.0, gt=0, description="How long an account's scored turns are remembered.")


class EventLogSettings(_Strict):
    """Where every exchange is written, in exchange-log v1."""

    directory: Path = Path("gateway-log")
    format: Literal["parquet", "jsonl"] = "parquet"
    rotate_rows: int = Field(100_000, ge=1)
    rotate_seconds: float = Field(300.0, gt=0)
    flush_seconds: float = Field(1.0, gt=0, description="How often the journals are flushed to the disk (fsync).")
    max_refusals_per_second: int = Field(
        1000, ge=1, description="Refused requests logged a second per process; beyond, counted in the metrics only."
    )


class GatewaySettings(_Strict):
    """The whole gateway configuration."""

    schema_version: Literal[1] = 1
    upstream: str | None = None
    upstream_api_key: str | None = Field(None, description="Sent upstream as the bearer token, if set.")
    keys_file: Path | None = None
    keys_database: Path | None = Field(None, description="SQLite file with an api_keys table, instead of keys_file.")
    state: str = Field("memory://", pattern=r"^(memory://|rediss?://.+)$")
    state_failure: Literal["open", "closed"] = "open"
    state_timeout_s: float = Field(
        0.5, gt=0, description="A request's state calls together, at most; slower counts as the store down."
    )
    state_retry_s: float = Field(1.0, gt=0, description="After a failed state call, calls fail at once for this long.")
    state_log_seconds: float = Field(60.0, gt=0, description="A state outage is logged once per this interval.")
    decisions: Path | None = None
    reload_seconds: float = Field(5.0, gt=0, description="How often the keys and decisions files are checked.")
    forwarded_for: bool = Field(
        False, description="Take the client IP from X-Forwarded-For, as far as the trusted_proxies wrote it."
    )
    trusted_proxies: tuple[str, ...] = Field(
        (), validate_default=True, description="Addresses or networks (CIDR) of the proxies in front of the gateway."
    )
    throttle_factor: float = Field(0.1, gt=0, le=1, description="Share of the tier's limits a throttled account gets.")
    strip_unopened_reasoning: bool = Field(
        True,
        description="strip_reasoning: text before a closing think tag that no opening tag began is reasoning "
        "(chat templates that open the block in the prompt); a stream's text is held until its first tag.",
    )
    watermark_header: str = "X-Distillguard-Watermark"
    watermark_hook: str | None = Field(None, pattern=r"^[\w.]+:[\w]+$", description="module:function")
    watermark: WatermarkSettings = WatermarkSettings()
    max_body_bytes: int = Field(1_048_576, ge=1_024)
    header_timeout_s: float = Field(
        10.0, gt=0, description="A request's headers must arrive within this of its first byte."
    )
    body_timeout_s: float = Field(30.0, gt=0, description="A request's body must arrive within this after its headers.")
    upstream_timeout_s: float = Field(60.0, gt=0)
    tiers: dict[str, TierLimits] = Field(default_factory=dict)
    default_tier: str = "payg"
    policy: Policy = Policy()
    online: OnlineSettings = OnlineSettings()
    event_log: EventLogSettings = EventLogSettings()

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        for entry in value:
            parse_network(entry)  # raises naming the entry
        if info.data.get("forwarded_for") and not value:
            raise ValueError(
                "forwarded_for = true needs trusted_proxies (the addresses or networks of your proxies): "
                "X-Forwarded-For is read only as far as they wrote it"
            )
        return value

    def limits(self, tier: str) -> TierLimits:
        """The limits of ``tier`` (the defaults where the tier has none)."""
        limits = self.tiers.get(tier)
        return limits if limits is not None else _DEFAULT_LIMITS


def load_gateway_settings(path: Path | None) -> GatewaySettings:
    """Read the gateway's TOML file, or the defaults when ``path`` is ``None``."""
    if path is None:
        return GatewaySettings()
    data = read_toml(path, "config file")
    try:
        settings = GatewaySettings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, f"{path}: invalid gateway configuration")) from exc
    base = path.parent
    updates: dict[str, object] = {}
    if settings.keys_file is not None and not settings.keys_file.is_absolute():
        updates["keys_file"] = base / settings.keys_file
    if settings.keys_database is not None and not settings.keys_database.is_absolute():
        updates["keys_database"] = base / settings.keys_database
    if settings.decisions is not None and not settings.decisions.is_absolute():
        updates["decisions"] = base / settings.decisions
    if not settings.event_log.directory.is_absolute():
        updates["event_log"] = settings.event_log.model_copy(update={"directory": base / settings.event_log.directory})
    return settings.model_copy(update=updates)
