"""The exchange-log v1 data contract as Arrow schemas.

One place states the tables of ``shared/spec/exchange-log-v1.md``: their fields, Arrow
types and which fields are required. Readers cast every input onto these schemas, and
writers write exactly them, so stages downstream see one shape whatever came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

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
