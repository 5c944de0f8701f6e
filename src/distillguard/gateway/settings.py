"""The gateway's configuration: one TOML file, validated when loaded (unknown keys fail).

Example::

    schema_version = 1
    upstream = "http://127.0.0.1:8000"      # overridden by --upstream
    keys_file = "keys.toml"
    state = "memory://"                      # or "redis://127.0.0.1:6379/0"
    state_failure = "open"                   # or "closed": what happens when the state store is down
    state_timeout_s = 0.5
    decisions = "scans/latest/accounts.parquet"   # the last scan's verdicts, reloaded when the file changes
    max_body_bytes = 1048576
    upstream_timeout_s = 60

    [event_log]
    directory = "gateway-log"
    format = "parquet"                       # or "jsonl"
    rotate_rows = 100000                     # a finished part every 100,000 exchanges ...
    rotate_seconds = 300                     # ... or 5 minutes
    flush_seconds = 1.0

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
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from distillguard.config import describe_validation_error, read_toml
from distillguard.errors import ConfigError
from distillguard.gateway.watermark import WatermarkSettings

Action = Literal["allow", "flag", "throttle", "strip_reasoning", "watermark", "challenge", "block"]
Verdict = Literal["allow", "review", "block"]


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


class EventLogSettings(_Strict):
    """Where every exchange is written, in exchange-log v1."""

    directory: Path = Path("gateway-log")
    format: Literal["parquet", "jsonl"] = "parquet"
    rotate_rows: int = Field(100_000, ge=1)
    rotate_seconds: float = Field(300.0, gt=0)
    flush_seconds: float = Field(1.0, gt=0)


class GatewaySettings(_Strict):
    """The whole gateway configuration."""

    schema_version: Literal[1] = 1
    upstream: str | None = None
    upstream_api_key: str | None = Field(None, description="Sent upstream as the bearer token, if set.")
    keys_file: Path | None = None
    keys_database: Path | None = Field(None, description="SQLite file with an api_keys table, instead of keys_file.")
    state: str = Field("memory://", pattern=r"^(memory://|rediss?://.+)$")
    state_failure: Literal["open", "closed"] = "open"
    state_timeout_s: float = Field(0.5, gt=0, description="A state call slower than this counts as the store down.")
    decisions: Path | None = None
    reload_seconds: float = Field(5.0, gt=0, description="How often the keys and decisions files are checked.")
    forwarded_for: bool = Field(False, description="Take the client IP from X-Forwarded-For (behind a trusted proxy).")
    throttle_factor: float = Field(0.1, gt=0, le=1, description="Share of the tier's limits a throttled account gets.")
    watermark_header: str = "X-Distillguard-Watermark"
    watermark_hook: str | None = Field(None, pattern=r"^[\w.]+:[\w]+$", description="module:function")
    watermark: WatermarkSettings = WatermarkSettings()
    max_body_bytes: int = Field(1_048_576, ge=1_024)
    upstream_timeout_s: float = Field(60.0, gt=0)
    tiers: dict[str, TierLimits] = Field(default_factory=dict)
    default_tier: str = "payg"
    policy: Policy = Policy()
    online: OnlineSettings = OnlineSettings()
    event_log: EventLogSettings = EventLogSettings()

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
