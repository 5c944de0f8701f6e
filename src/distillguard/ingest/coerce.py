"""Turn one decoded JSON object into a row of a v1 table, or say which field is wrong.

JSON has no timestamps and loose numbers, so each JSON Lines row passes through here
before it joins an Arrow batch: strings must be strings, integers integers (a boolean
is not one), timestamps RFC 3339 with an offset, ``messages`` a list of
``{"role", "content"}`` objects. Rules that hold for every format (required fields,
roles, negative counts, repeated ids) are checked column-wise afterwards, in
:mod:`distillguard.ingest.checks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import pyarrow as pa

from distillguard.schema import FIELDS, MESSAGE, TIMESTAMP, TableName

_RFC3339: Final = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})")
_INT32: Final = (-(2**31), 2**31 - 1)
_INT64: Final = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class FieldProblem:
    """The first field of a row that could not be read as its v1 type."""

    field: str
    reason: str
    message: str


class _BadValueError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _type_name(value: object) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def _wrong(field: str, expected: str, value: object) -> _BadValueError:
    return _BadValueError("wrong_type", f"`{field}` must be {expected}, got {_type_name(value)}")


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp with offset into an aware UTC datetime.

    Raises ``ValueError`` with a sentence on anything else (no offset, a date alone,
    ``yesterday``). Digits beyond microseconds are truncated, as Arrow stores ``us``.
    """
    if not _RFC3339.fullmatch(text):
        raise ValueError(f"{text[:64]!r} is not an RFC 3339 timestamp with offset")
    normal = text.upper().replace(" ", "T")
    dot = normal.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(normal) and normal[end].isdigit():
            end += 1
        normal = normal[: dot + 1] + normal[dot + 1 : end][:6].ljust(6, "0") + normal[end:]
    try:
        return datetime.fromisoformat(normal).astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # overflow: an offset that moves year 1 or 9999 out of range
        raise ValueError(f"{text[:64]!r} is not a valid date and time ({exc})") from None


def _string(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise _wrong(field, "a string", value)
    return value


def _integer(field: str, value: object, bounds: tuple[int, int]) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _wrong(field, "an integer", value)
    if not bounds[0] <= value <= bounds[1]:
        raise _BadValueError("out_of_range", f"`{field}` is {value}, outside the range of its type")
    return value


def _number(field: str, value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _wrong(field, "a number", value)
    return float(value)


def _boolean(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _wrong(field, "a boolean", value)
    return value


def _timestamp(field: str, value: object) -> datetime:
    if not isinstance(value, str):
        raise _wrong(field, "an RFC 3339 string", value)
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise _BadValueError("bad_timestamp", f"`{field}` {exc}") from None


def _strings(field: str, value: object) -> list[str]:
    if not isinstance(value, list):
        raise _wrong(field, "an array of strings", value)
    for position, item in enumerate(value):
        if not isinstance(item, str):
            raise _wrong(f"{field}[{position}]", "a string", item)
    return value


def _messages(field: str, value: object) -> list[dict[str, str | None]]:
    if not isinstance(value, list):
        raise _wrong(field, "an array of messages", value)
    out: list[dict[str, str | None]] = []
    for position, item in enumerate(value):
        where = f"{field}[{position}]"
        if not isinstance(item, dict):
            raise _wrong(where, 'an object {"role", "content"}', item)
        role = item.get("role")
        content = item.get("content")
        if role is not None and not isinstance(role, str):
            raise _wrong(f"{where}.role", "a string", role)
        if content is not None and not isinstance(content, str):
            raise _wrong(f"{where}.content", "a string", content)
        out.append({"role": role, "content": content})
    return out


Converter = Callable[[str, object], Any]


def _converter(dtype: pa.DataType) -> Converter:
    if dtype == TIMESTAMP:
        return _timestamp
    if dtype == pa.list_(MESSAGE):
        return _messages
    if dtype == pa.list_(pa.string()):
        return _strings
    if dtype == pa.string():
        return _string
    if dtype == pa.int64():
        return lambda f, v: _integer(f, v, _INT64)
    if dtype == pa.int32():
        return lambda f, v: _integer(f, v, _INT32)
    if dtype == pa.float64():
        return _number
    if dtype == pa.bool_():
        return _boolean
    raise TypeError(f"no JSON converter for {dtype}")


_CONVERTERS: Final[dict[TableName, tuple[tuple[str, Converter], ...]]] = {
    table: tuple((f.name, _converter(f.type)) for f in fields) for table, fields in FIELDS.items()
}


def coerce_row(table: TableName, obj: dict[str, Any]) -> dict[str, Any] | FieldProblem:
    """Map a decoded JSON object onto ``table``'s fields; extra keys are ignored.

    A missing or null field becomes ``None`` (whether it may be is checked later);
    the first field of the wrong type is returned as a :class:`FieldProblem`.
    """
    row: dict[str, Any] = {}
    for name, convert in _CONVERTERS[table]:
        value = obj.get(name)
        if value is None:
            row[name] = None
            continue
        try:
            row[name] = convert(name, value)
        except _BadValueError as bad:
            return FieldProblem(name, bad.reason, bad.message)
    return row
