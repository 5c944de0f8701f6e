"""The exchange-log v1 data contract: the input tables and the scan's results, as schemas and types.

One place states what ``shared/spec/exchange-log-v1.md`` defines, and what every stage that reads or writes it
(ingest, scan, gateway, the reports) imports:

- the input tables (exchanges, accounts, labels) and the gateway's refusals: their fields, Arrow types and which
  fields are required. Readers cast every input onto these schemas, and writers write exactly them, so stages
  downstream see one shape whatever came in;
- the scan's results: ``accounts.parquet``'s schema (the gateway reads it back as its decisions),
  ``campaigns.json``'s fields (the contract's, then this scan's backward-compatible additions);
- the verdicts an account can get and the actions the policy can take, as one type each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, TypedDict

import pyarrow as pa

TableName = Literal["exchanges", "accounts", "labels", "refusals"]
#: The v1 tables, then ``refusals``: not part of exchange-log v1, the gateway's record of the requests it
#: refused before they reached its engine (no key, an unknown key, a bad or oversized body), kept beside its
#: v1 tables in the event log; readers that keep to v1 ignore the directory.
TABLES: Final[tuple[TableName, ...]] = ("exchanges", "accounts", "labels", "refusals")

TIMESTAMP: Final = pa.timestamp("us", tz="UTC")
MESSAGE: Final = pa.struct([("role", pa.string()), ("content", pa.string())])

ROLES: Final[frozenset[str]] = frozenset({"system", "user", "assistant", "tool"})
TIERS: Final[tuple[str, ...]] = ("free", "payg", "education", "research", "startup", "enterprise")


@dataclass(frozen=True)
class Field:
    """One field of a v1 table."""

    name: str
    type: pa.DataType
    required: bool = False


EXCHANGE_FIELDS: Final[tuple[Field, ...]] = (
    Field("request_id", pa.string(), required=True),
    Field("timestamp", TIMESTAMP, required=True),
    Field("account_id", pa.string(), required=True),
    Field("model", pa.string(), required=True),
    Field("messages", pa.list_(MESSAGE), required=True),
    Field("response", pa.string(), required=True),
    Field("reasoning", pa.string()),
    Field("tools", pa.list_(pa.string())),
    Field("api_key_id", pa.string()),
    Field("org_id", pa.string()),
    Field("end_user", pa.string()),
    Field("input_tokens", pa.int64()),
    Field("output_tokens", pa.int64()),
    Field("temperature", pa.float64()),
    Field("max_tokens", pa.int64()),
    Field("status", pa.int32()),
    Field("ip", pa.string()),
    Field("user_agent", pa.string()),
    Field("surface", pa.string()),
)

ACCOUNT_FIELDS: Final[tuple[Field, ...]] = (
    Field("account_id", pa.string(), required=True),
    Field("created_at", TIMESTAMP),
    Field("tier", pa.string()),
    Field("verified", pa.bool_()),
    Field("payment_fingerprint", pa.string()),
    Field("email_domain", pa.string()),
    Field("country", pa.string()),
    Field("signup_ip", pa.string()),
    Field("org_id", pa.string()),
)

LABEL_FIELDS: Final[tuple[Field, ...]] = (
    Field("account_id", pa.string(), required=True),
    Field("campaign_id", pa.string()),
    Field("role", pa.string()),
)

REFUSAL_FIELDS: Final[tuple[Field, ...]] = (
    Field("request_id", pa.string(), required=True),
    Field("timestamp", TIMESTAMP, required=True),
    Field("status", pa.int32(), required=True),  # 400, 401, 404, 405, 413, 499
    Field("reason", pa.string(), required=True),  # the error code: invalid_api_key, body_too_large, ...
    Field("account_id", pa.string()),  # when the key was valid
    Field("api_key_id", pa.string()),
    Field("ip", pa.string()),
    Field("user_agent", pa.string()),
    Field("method", pa.string()),
    Field("path", pa.string()),
    Field("body_bytes", pa.int64()),  # what the client declared or sent, as far as it was read
)

FIELDS: Final[dict[TableName, tuple[Field, ...]]] = {
    "exchanges": EXCHANGE_FIELDS,
    "accounts": ACCOUNT_FIELDS,
    "labels": LABEL_FIELDS,
    "refusals": REFUSAL_FIELDS,
}

#: The field whose value must be unique within a table.
KEY_FIELD: Final[dict[TableName, str]] = {
    "exchanges": "request_id",
    "accounts": "account_id",
    "labels": "account_id",
    "refusals": "request_id",
}


def arrow_schema(table: TableName) -> pa.Schema:
    """The canonical Arrow schema of ``table``.

    Every field is nullable at the Arrow level: a missing required value is a row to
    reject with its reason (the validation does that), not a batch that cannot be built.
    """
    return pa.schema([pa.field(f.name, f.type) for f in FIELDS[table]])


def field_names(table: TableName) -> tuple[str, ...]:
    """The field names of ``table`` in contract order."""
    return tuple(f.name for f in FIELDS[table])


# --- The scan's results ("Results of a scan" in the spec).

Verdict = Literal["allow", "review", "block"]
VERDICTS: Final[tuple[Verdict, ...]] = ("allow", "review", "block")
Action = Literal["allow", "flag", "throttle", "strip_reasoning", "watermark", "challenge", "block"]
ACTIONS: Final[tuple[Action, ...]] = ("allow", "flag", "throttle", "strip_reasoning", "watermark", "challenge", "block")

#: ``accounts.parquet``: one row per account, riskiest first.
ACCOUNTS_RESULT_SCHEMA: Final = pa.schema(
    [
        ("account_id", pa.string()),
        ("risk", pa.float64()),
        ("verdict", pa.string()),
        ("campaign_id", pa.string()),
        ("reasons", pa.list_(pa.string())),
    ]
)


class Indicators(TypedDict):
    """What ties a campaign together: its members' shared addresses, payment fingerprints and templates."""

    ips: list[str]
    payment_fingerprints: list[str]
    templates: list[str]


class CampaignContract(TypedDict):
    """A campaign of ``campaigns.json`` as the contract states it."""

    campaign_id: str
    accounts: list[str]
    exchanges: int
    first_seen: str  # RFC 3339
    last_seen: str
    models: dict[str, int]  # model -> exchanges
    capabilities: dict[str, int]  # capability -> exchanges (estimated from the sampled prompts)
    indicators: Indicators
    confidence: float  # in [0, 1]; ranks campaigns
    summary: str


class SampledPrompts(TypedDict):
    """The prompts the classifiers read for a group of accounts, and per family how many of them fired it."""

    prompts: int
    families: dict[str, int]


class Campaign(CampaignContract):
    """A campaign as this scan writes it: the contract's fields, then backward-compatible additions."""

    strength: float
    links: dict[str, int]  # indicator kind -> indicators shared
    verdicts: dict[str, int]  # verdict -> members
    model_pivot: dict[str, Any] | None
    timeline: list[dict[str, Any]]  # {"day", "exchanges"}
    sampled_prompts: SampledPrompts
    coverage: dict[str, int]  # {"items", "repeated"}
    actions: dict[str, int]  # what the gateway's policy would do -> members


class BenignCluster(TypedDict):
    """A linked group judged legitimate (``campaigns.json``'s top-level ``benign_clusters``, an addition)."""

    cluster_id: str
    accounts: list[str]
    ties: dict[str, int]  # indicator kind -> indicators shared
    reason: str
    sampled_prompts: int
    extraction_share: float
    reference_share: float


CAMPAIGN_CONTRACT_FIELDS: Final = tuple(CampaignContract.__annotations__)
CAMPAIGN_ADDED_FIELDS: Final = tuple(k for k in Campaign.__annotations__ if k not in CAMPAIGN_CONTRACT_FIELDS)
BENIGN_CLUSTER_FIELDS: Final = tuple(BenignCluster.__annotations__)
