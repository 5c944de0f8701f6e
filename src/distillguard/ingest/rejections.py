"""Quarantine for bad rows: each one is kept with the file, row, field and reason.

A reader never drops a row silently. A row that fails is handed to a
:class:`RejectionSink`, which counts it by table and reason code and, when given a
path, appends it to ``rejected.jsonl`` with enough to find and repair it: the source
file, the 1-based row number (the line number for JSON Lines), the field, a stable
reason code, a sentence for a person, and the raw row (its first 16,384 characters, with
``raw_truncated`` and its size in ``raw_bytes`` when it is longer).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from distillguard.json_lines import dumps_line
from distillguard.schema import TableName

#: The characters of a rejected row kept in ``raw``; beyond, it is cut and ``raw_bytes`` gives its size.
RAW_KEPT: Final = 16_384
MESSAGE_KEPT: Final = 2_000


@dataclass(frozen=True)
class Rejection:
    """One quarantined row."""

    table: TableName
    file: str
    row: int
    field: str
    reason: str
    message: str
    raw: Any = None

    def to_json(self) -> bytes:
        """The row as one line of ``rejected.jsonl`` (without the newline); a huge raw row is cut, its size noted."""
        record: dict[str, Any] = {
            "table": self.table,
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "reason": self.reason,
            "message": self.message if len(self.message) <= MESSAGE_KEPT else self.message[:MESSAGE_KEPT] + "...",
            "raw": self.raw,
        }
        raw = self.raw
        if raw is not None and not isinstance(raw, str):
            text = dumps_line(raw, default=str)
            raw = text.decode("utf-8") if len(text) > RAW_KEPT else raw
        if isinstance(raw, str) and len(raw) > RAW_KEPT:
            size = len(raw.encode("utf-8", "replace"))
            record.update(raw=raw[:RAW_KEPT], raw_truncated=True, raw_bytes=size)
        return dumps_line(record, default=str)


class RejectionSink:
    """Counts rejected rows and, given a path, writes them to a JSON Lines file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.counts: Counter[tuple[TableName, str, str]] = Counter()
        self._handle: IO[bytes] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = path.open("wb")

    def add(self, rejection: Rejection) -> None:
        """Record one rejected row."""
        self.counts[(rejection.table, rejection.field, rejection.reason)] += 1
        if self._handle is not None:
            self._handle.write(rejection.to_json() + b"\n")

    @property
    def total(self) -> int:
        """How many rows were rejected so far, all tables together."""
        return sum(self.counts.values())

    def rejected_in(self, table: TableName) -> int:
        """How many rows of ``table`` were rejected so far."""
        return sum(n for (t, _, _), n in self.counts.items() if t == table)

    def close(self) -> None:
        """Flush and close the file, if any."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RejectionSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
