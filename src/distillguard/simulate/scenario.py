"""Scenario files: one TOML file per scenario, validated when loaded.

A scenario names the period, the models (and a release mid-way), the legitimate
personas and the campaigns, with their knobs. Built-in scenarios live in
``simulate/scenarios/``; ``--scenario`` takes their name or the path of a user's file.
Unknown keys and out-of-range values fail with the file, the key and the value.
"""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from distillguard.config import describe_validation_error, read_toml
from distillguard.errors import ConfigError
from distillguard.schema import TIERS

PersonaKind = Literal[
    "chat_user",
    "app",
    "eval_researcher",
    "student",
    "translator",
    "agent_developer",
    "batch_pipeline",
    "aggregator",
    "classroom",
    "vpn_user",
    "model_grader",
    "agent_framework",
]
CampaignKind = Literal["reasoning_rubric", "reasoning", "coercion", "agentic_coding", "hydra", "low_and_slow"]
Rhythm = Literal["human", "steady", "lockstep", "burst"]
Tier = Literal["free", "payg", "education", "research", "startup", "enterprise"]
assert set(Tier.__args__) == set(TIERS)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Release(_Strict):
    """A model released during the period: campaigns may pivot to it."""

    model: str = Field(min_length=1)
    day: float = Field(ge=0, description="Days after the start.")


class Persona(_Strict):
    """A group of legitimate accounts of one kind."""

    kind: PersonaKind
    accounts: int = Field(ge=1, le=1_000_000)
    daily_exchanges: float = Field(gt=0, le=1_000_000, description="Median exchanges per account per day.")
    tier: Tier = "payg"
    spread: float = Field(1.0, ge=0, le=3, description="Lognormal sigma of per-account volume (heavy tail).")
    office_share: float = Field(
        0.0, ge=0, le=1, description="Share of accounts working from shared offices (office_size accounts to one IP)."
    )
    office_size: int = Field(10, ge=2, le=10_000, description="Accounts per office (per class for a classroom).")
    company_cards: bool = Field(False, description="An office's accounts pay with one company card.")
    exit_pool: int = Field(
        40, ge=1, le=100_000, description="vpn_user: the commercial VPN's exit addresses, shared by all its users."
    )
    role: str | None = Field(
        None,
        min_length=1,
        pattern=r"^[a-z][a-z0-9_-]*$",
        description="The label's role (default: the kind), to tell two groups of one kind apart.",
    )


class Campaign(_Strict):
    """One distillation campaign: its accounts, volume, coordination and evasion knobs."""

    id: str = Field(min_length=1)
    kind: CampaignKind
    accounts: int = Field(ge=1, le=1_000_000)
    exchanges: int = Field(ge=1)
    start_day: float = Field(0, ge=0)
    days: float = Field(gt=0)
    rhythm: Rhythm = "lockstep"
    tiers: tuple[Tier, ...] = Field(("payg",), min_length=1)
    payment_fingerprints: int = Field(1, ge=1, description="Distinct payment instruments shared by the accounts.")
    ip_pool: int = Field(10, ge=1, description="Addresses the accounts rotate through (residential pools are large).")
    camouflage: float = Field(0.0, ge=0, lt=1, description="Share of benign prompts mixed in.")
    pivot_share: float = Field(0.0, ge=0, le=1, description="Share of traffic moved to the released model.")
    pivot_hours: float = Field(24, gt=0, description="How soon after the release the pivot happens.")
    replace_banned: bool = Field(False, description="Hydra: fresh accounts take over from retired ones.")
    warmup_days: float = Field(0.0, ge=0, description="Benign use before start_day, to look established.")
    warmup_share: float = Field(0.05, ge=0, lt=1, description="Share of the exchanges spent on the warm-up.")
    paraphrase: bool = Field(False, description="Each account rewords the wrappers in its own way.")
    client: Literal["rotating", "per_account"] = Field(
        "rotating", description="User agents: a few rotated by every account, or one per account as people have."
    )
    parameters: Literal["uniform", "varied"] = Field(
        "uniform", description="One temperature and max_tokens throughout, or varied as people's are."
    )
    sticky_ips: int = Field(
        0, ge=0, le=64, description="Residential addresses each account keeps to itself (0: rotate the pool)."
    )
    ip_pool_name: str | None = Field(
        None, min_length=1, description="The address pool's provider: campaigns naming one provider share its pool."
    )
    coverage: Literal["random", "queue"] = Field(
        "random", description="Items drawn at random, or from one shared queue: no item twice across the accounts."
    )
    shifts: int = Field(0, ge=0, le=1_000, description="Accounts work in shifts, starting and stopping together.")
    aged_share: float = Field(
        0.0, ge=0, le=1, description="Share of accounts bought aged and verified (they look established)."
    )


class Scenario(_Strict):
    """A whole scenario."""

    schema_version: Literal[1]
    name: str = Field(min_length=1)
    description: str = ""
    start: AwareDatetime
    days: float = Field(gt=0, le=366)
    models: tuple[str, ...] = Field(min_length=1)
    release: Release | None = None
    personas: tuple[Persona, ...] = ()
    campaigns: tuple[Campaign, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        ids = [c.id for c in self.campaigns]
        if len(ids) != len(set(ids)):
            raise ValueError(f"campaign ids repeat: {ids}")
        for campaign in self.campaigns:
            if campaign.start_day + campaign.days > self.days + 1e-9:
                raise ValueError(f"campaign {campaign.id!r} runs past the scenario's {self.days} days")
            if campaign.warmup_days > campaign.start_day:
                raise ValueError(
                    f"campaign {campaign.id!r} warms up before the scenario starts (warmup_days > start_day)"
                )
            if campaign.pivot_share > 0 and self.release is None:
                raise ValueError(f"campaign {campaign.id!r} has pivot_share but the scenario has no [release]")
            if campaign.shifts > campaign.accounts:
                raise ValueError(f"campaign {campaign.id!r} has more shifts than accounts")
            if campaign.shifts and campaign.replace_banned:
                raise ValueError(f"campaign {campaign.id!r}: replace_banned is a schedule of its own; drop shifts")
            if campaign.shifts and campaign.warmup_days:
                raise ValueError(f"campaign {campaign.id!r}: each shift starts fresh; drop warmup_days")
        return self

    @property
    def start_time(self) -> datetime:
        """The start as an aware datetime."""
        return self.start


def builtin_scenarios() -> list[str]:
    """Names of the scenarios that ship with the package."""
    folder = files("distillguard.simulate") / "scenarios"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        if name_or_path not in builtin_scenarios():
            known = ", ".join(builtin_scenarios())
            raise ConfigError(f"no scenario named {name_or_path!r} (built in: {known}); or pass a .toml path")
        path = Path(str(files("distillguard.simulate") / "scenarios" / f"{name_or_path}.toml"))
    data = read_toml(path, "scenario file")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, f"{path}: invalid scenario")) from exc
