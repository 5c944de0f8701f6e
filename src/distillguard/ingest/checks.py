"""Row checks of the v1 contract, run column-wise over an Arrow batch.

Both readers (Parquet and JSON Lines) end here once a batch has the canonical schema,
so a rule is written once. Each check yields a mask of bad rows; a row is rejected
for the first check it fails, in the order listed, with a stable reason code and a
sentence naming the value. Checks that need state across batches (repeated keys)
live in :class:`BatchValidator`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.ingest.duplicates import DuplicateKeyTracker
from distillguard.schema import FIELDS, KEY_FIELD, ROLES, TableName

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Problem:
    """Why one row of a batch was rejected."""

    index: int
    field: str
    reason: str
    message: str


@dataclass(frozen=True)
class Check:
    """One rule: a field, a reason code, a mask of failing rows, a sentence for one row."""

    field: str
    reason: str
    failing: Callable[[pa.RecordBatch], Mask]
    describe: Callable[[pa.RecordBatch, int], str]


def _mask(values: pa.Array | pa.ChunkedArray) -> Mask:
    filled = pc.fill_null(values, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _present(batch: pa.RecordBatch, field: str) -> Mask:
    return _mask(pc.is_valid(batch.column(field)))


def _value(batch: pa.RecordBatch, field: str, index: int) -> object:
    return batch.column(field)[index].as_py()


def _missing(field: str) -> Check:
    return Check(
        field,
        "missing_required",
        lambda b: _mask(pc.is_null(b.column(field))),
        lambda _b, _i: f"`{field}` is required and missing",
    )


def _empty_string(field: str) -> Check:
    return Check(
        field,
        "empty_value",
        lambda b: _mask(pc.equal(pc.utf8_length(b.column(field)), 0)),
        lambda _b, _i: f"`{field}` is an empty string",
    )


def _negative(field: str) -> Check:
    return Check(
        field,
        "negative_value",
        lambda b: _mask(pc.less(b.column(field), 0)),
        lambda b, i: f"`{field}` is {_value(b, field, i)}, must be 0 or more",
    )


def _bad_roles(batch: pa.RecordBatch) -> Mask:
    messages = batch.column("messages")
    bad = np.zeros(len(batch), dtype=np.bool_)
    if len(messages) == 0:
        return bad
    flat = pc.list_flatten(messages)
    if len(flat) == 0:
        return bad
    roles = flat.field("role")
    wrong = _mask(pc.invert(pc.fill_null(pc.is_in(roles, value_set=pa.array(sorted(ROLES))), False)))
    parents = pc.list_parent_indices(messages).to_numpy()
    bad[parents[wrong]] = True
    return bad


def _describe_roles(batch: pa.RecordBatch, index: int) -> str:
    messages = _value(batch, "messages", index)
    assert isinstance(messages, list)
    for position, message in enumerate(messages):
        role = message.get("role")
        if role not in ROLES:
            allowed = ", ".join(sorted(ROLES))
            return f"`messages[{position}].role` is {role!r}, not one of {allowed}"
    return "`messages` holds an unknown role"


def _exchange_checks() -> tuple[Check, ...]:
    required = [f.name for f in FIELDS["exchanges"] if f.required]
    return (
        *(_missing(name) for name in required),
        *(_empty_string(name) for name in ("request_id", "account_id", "model")),
        Check(
            "messages",
            "empty_messages",
            lambda b: _mask(pc.equal(pc.list_value_length(b.column("messages")), 0)),
            lambda _b, _i: "`messages` is an empty list: an exchange needs at least one message",
        ),
        Check("messages", "bad_role", _bad_roles, _describe_roles),
        *(_negative(name) for name in ("input_tokens", "output_tokens", "max_tokens")),
        Check(
            "temperature",
            "bad_temperature",
            lambda b: _mask(pc.or_(pc.less(b.column("temperature"), 0), pc.is_nan(b.column("temperature")))),
            lambda b, i: f"`temperature` is {_value(b, 'temperature', i)}, must be a number 0 or more",
        ),
        Check(
            "status",
            "bad_status",
            lambda b: _mask(pc.or_(pc.less(b.column("status"), 100), pc.greater(b.column("status"), 599))),
            lambda b, i: f"`status` is {_value(b, 'status', i)}, not an HTTP status (100-599)",
        ),
    )


def _account_checks(tiers: Sequence[str]) -> tuple[Check, ...]:
    allowed = pa.array(list(tiers), pa.string())
    return (
        _missing("account_id"),
        _empty_string("account_id"),
        Check(
            "tier",
            "unknown_tier",
            lambda b: _mask(pc.invert(pc.is_in(b.column("tier"), value_set=allowed))) & _present(b, "tier"),
            lambda b, i: f"`tier` is {_value(b, 'tier', i)!r}, not one of {', '.join(tiers)}",
        ),
        Check(
            "country",
            "bad_country",
            lambda b: _mask(pc.invert(pc.match_substring_regex(b.column("country"), r"^[A-Z]{2}$"))),
            lambda b, i: f"`country` is {_value(b, 'country', i)!r}, not an ISO 3166-1 alpha-2 code",
        ),
    )


def _label_checks() -> tuple[Check, ...]:
    return (_missing("account_id"), _empty_string("account_id"))


def checks_for(table: TableName, tiers: Sequence[str]) -> tuple[Check, ...]:
    """The stateless checks of ``table``, in the order a row is judged."""
    if table == "exchanges":
        return _exchange_checks()
    if table == "accounts":
        return _account_checks(tiers)
    return _label_checks()


class BatchValidator:
    """Validates successive batches of one table, remembering keys across them."""

    def __init__(self, table: TableName, tiers: Sequence[str]) -> None:
        self.table = table
        self.checks = checks_for(table, tiers)
        self.key_field = KEY_FIELD[table]
        self._keys = DuplicateKeyTracker()

    def validate(self, batch: pa.RecordBatch) -> tuple[Mask, list[Problem]]:
        """Return the mask of good rows and the problem of each bad one, in row order."""
        n = len(batch)
        judged = np.full(n, -1, dtype=np.int64)
        for number, check in enumerate(self.checks):
            fails = check.failing(batch) & (judged < 0)
            judged[fails] = number
        repeats = self._keys.mark_repeats(batch.column(self.key_field), judged < 0)
        problems: list[Problem] = []
        for index in np.flatnonzero((judged >= 0) | repeats):
            i = int(index)
            if judged[i] >= 0:
                check = self.checks[int(judged[i])]
                problems.append(Problem(i, check.field, check.reason, check.describe(batch, i)))
            else:
                key = _value(batch, self.key_field, i)
                problems.append(
                    Problem(i, self.key_field, "duplicate_key", f"`{self.key_field}` {key!r} was already seen")
                )
        good = (judged < 0) & ~repeats
        return good, problems
