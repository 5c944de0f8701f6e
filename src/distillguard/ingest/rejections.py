"""Quarantine for bad rows: each one is kept with the file, row, field and reason.

A reader never drops a row silently. A row that fails is handed to a
:class:`RejectionSink`, which counts it by table and reason code and, when given a
path, appends it to ``rejected.jsonl`` with enough to find and repair it: the source
file, the 1-based row number (the line number for JSON Lines), the field, a stable
reason code, a sentence for a person, and the raw row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from distillguard.json_lines import dumps_line
from distillguard.schema import TableName


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
        """The row as one line of ``rejected.jsonl`` (without the newline)."""
        record = {
            "table": self.table,
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "reason": self.reason,
            "message": self.message,
            "raw": self.raw,
        }
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
