"""Row checks of the v1 contract, run column-wise over an Arrow batch.

Both readers (Parquet and JSON Lines) end here once a batch has the canonical schema,
so a rule is written once. Each check yields a mask of bad rows; a row is rejected
for the first check it fails, in the order listed, with a stable reason code and a
sentence naming the value. State across batches lives in :class:`BatchValidator` (repeated
keys) and in the time check (the middle of the dataset's first rows).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.config import SPREAD_DAYS
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


def _status(lowest: int, what: str) -> Check:
    return Check(
        "status",
        "bad_status",
        lambda b: _mask(pc.or_(pc.less(b.column("status"), lowest), pc.greater(b.column("status"), 599))),
        lambda b, i: f"`status` is {_value(b, 'status', i)}, not {what} ({lowest}-599)",
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
            return f"`messages[{position}].role` is {_shown(role)}, not one of {allowed}"
    return "`messages` holds an unknown role"


#: A dotted-quad IPv4 address as :mod:`ipaddress` reads it (no leading zeros): most addresses in a log,
#: accepted column-wise; any other distinct value of a batch is read by :mod:`ipaddress`.
_IPV4: Final = (
    r"^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$"
)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _bad_addresses(batch: pa.RecordBatch, field: str) -> Mask:
    column = batch.column(field)
    distinct = pc.unique(column)  # addresses repeat: each distinct one is judged once
    others = distinct.filter(pc.invert(pc.fill_null(pc.match_substring_regex(distinct, _IPV4), True)))
    bad = [text for text in others.to_pylist() if not _is_address(text)]
    return _mask(pc.is_in(column, value_set=pa.array(bad, pa.string()))) if bad else np.zeros(len(batch), np.bool_)


def _bad_ip(field: str) -> Check:
    return Check(
        field,
        "bad_ip",
        lambda b: _bad_addresses(b, field),
        lambda b, i: f"`{field}` is {_shown(_value(b, field, i))}, not an IPv4 or IPv6 address",
    )


def _shown(value: object, limit: int = 64) -> str:
    """A value for a message: its repr, cut to ``limit`` characters with the full length said."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(str(value)):,} characters)"


#: No API log of an LLM (nor an account of one) predates this; an earlier time is a broken clock or a default.
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
#: How far ahead of the reading machine's clock a time may be (clocks disagree), and no further.
AHEAD: Final = timedelta(days=1)
_MICROS: Final = 1_000_000


def _micros(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * _MICROS


def _day(micros: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)).date().isoformat()


class PlausibleTimes:
    """``implausible_timestamp``: a time no real log holds.

    Before 2000, or more than a day ahead of the clock; and (``spread_days`` given) exchanges further
    than that from the median time of the first batch read, the dataset's middle as far as one pass can
    know it. A year-0001 or year-9999 row cannot then stretch a campaign's dates.
    """

    def __init__(self, field: str, now: datetime, spread_days: int | None) -> None:
        self.field = field
        self.low, self.high = _micros(EARLIEST), _micros(now + AHEAD)
        self.now = now
        self.spread = None if spread_days is None else spread_days * 86_400 * _MICROS
        self.spread_days = spread_days
        self.middle: int | None = None

    def _times(self, batch: pa.RecordBatch) -> npt.NDArray[np.int64]:
        column = batch.column(self.field).cast(pa.int64())
        return np.asarray(pc.fill_null(column, self.low).to_numpy(zero_copy_only=False), dtype=np.int64)

    def failing(self, batch: pa.RecordBatch) -> Mask:
        """The rows whose time is implausible."""
        times = self._times(batch)
        bad = (times < self.low) | (times > self.high)
        if self.spread is None:
            return bad
        if self.middle is None:
            kept = times[~bad & _present(batch, self.field)]
            if len(kept) == 0:
                return bad
            self.middle = int(np.median(kept))
        return bad | (np.abs(times - self.middle) > self.spread)

    def describe(self, batch: pa.RecordBatch, index: int) -> str:
        """Why the row's time is implausible."""
        value = int(self._times(batch)[index])
        shown = f"`{self.field}` {_value(batch, self.field, index)}"
        if value < self.low:
            return f"{shown} is implausible: before {EARLIEST.date().isoformat()}"
        if value > self.high:
            return f"{shown} is implausible: more than a day after this machine's clock ({self.now.date().isoformat()})"
        assert self.middle is not None
        days = abs(value - self.middle) // (86_400 * _MICROS)
        return (
            f"{shown} is implausible: {days:,} days from the middle of the dataset's first rows "
            f"({_day(self.middle)}); ingest.timestamp_spread_days is {self.spread_days}"
        )


def _plausible(field: str, now: datetime, spread_days: int | None) -> Check:
    rule = PlausibleTimes(field, now, spread_days)
    return Check(field, "implausible_timestamp", rule.failing, rule.describe)


def _exchange_checks(now: datetime, spread_days: int) -> tuple[Check, ...]:
    required = [f.name for f in FIELDS["exchanges"] if f.required]
    return (
        *(_missing(name) for name in required),
        _plausible("timestamp", now, spread_days),
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
        _status(100, "an HTTP status"),
        _bad_ip("ip"),
    )


def _account_checks(tiers: Sequence[str], now: datetime) -> tuple[Check, ...]:
    allowed = pa.array(list(tiers), pa.string())
    return (
        _missing("account_id"),
        _empty_string("account_id"),
        _plausible("created_at", now, None),  # accounts are years old; only broken clocks are refused
        Check(
            "tier",
            "unknown_tier",
            lambda b: _mask(pc.invert(pc.is_in(b.column("tier"), value_set=allowed))) & _present(b, "tier"),
            lambda b, i: f"`tier` is {_shown(_value(b, 'tier', i))}, not one of {', '.join(tiers)}",
        ),
        Check(
            "country",
            "bad_country",
            lambda b: _mask(pc.invert(pc.match_substring_regex(b.column("country"), r"^[A-Z]{2}$"))),
            lambda b, i: f"`country` is {_shown(_value(b, 'country', i))}, not an ISO 3166-1 alpha-2 code",
        ),
        _bad_ip("signup_ip"),
    )


def _label_checks() -> tuple[Check, ...]:
    return (_missing("account_id"), _empty_string("account_id"))


def _refusal_checks(now: datetime) -> tuple[Check, ...]:
    required = [f.name for f in FIELDS["refusals"] if f.required]
    return (
        *(_missing(name) for name in required),
        *(_empty_string(name) for name in ("request_id", "reason")),
        _plausible("timestamp", now, None),
        _status(400, "a refusal"),
        _negative("body_bytes"),
        _bad_ip("ip"),
    )


def checks_for(
    table: TableName, tiers: Sequence[str], *, now: datetime | None = None, spread_days: int = SPREAD_DAYS
) -> tuple[Check, ...]:
    """The checks of ``table``, in the order a row is judged (fresh ones: the time check learns the middle)."""
    now = now or datetime.now(UTC)
    if table == "exchanges":
        return _exchange_checks(now, spread_days)
    if table == "accounts":
        return _account_checks(tiers, now)
    if table == "refusals":
        return _refusal_checks(now)
    return _label_checks()


class BatchValidator:
    """Validates successive batches of one table, remembering keys (and the dataset's middle time) across them."""

    def __init__(
        self, table: TableName, tiers: Sequence[str], *, now: datetime | None = None, spread_days: int = SPREAD_DAYS
    ) -> None:
        self.table = table
        self.checks = checks_for(table, tiers, now=now, spread_days=spread_days)
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
