"""Read records (JSON Lines, or CSV for converters) into candidate v1 batches.

Each non-blank line of a JSON Lines file is one row (blank lines are skipped and not
counted). A row that is not UTF-8, not JSON, not an object, cannot be mapped (for a
converter) or holds a field of the wrong type is rejected right here with its row
number; the rest are gathered into Arrow batches of ``batch_rows`` rows and handed on
for the checks every format shares.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from distillguard.ingest.candidates import Candidate
from distillguard.ingest.coerce import FieldProblem, coerce_row
from distillguard.ingest.rejections import Rejection, RejectionSink
from distillguard.ingest.streams import READ_ERRORS, format_error, iter_lines, open_binary
from distillguard.schema import TableName, arrow_schema


@dataclass(frozen=True)
class Record:
    """One input row: its number, its text as read, and the object or why there is none."""

    number: int
    raw: str
    obj: dict[str, Any] | None
    reason: str = ""
    message: str = ""


class MappingError(Exception):
    """A converter's word that a record cannot be mapped onto v1."""

    def __init__(self, field: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason
        self.message = message


Mapper = Callable[[dict[str, Any]], dict[str, Any]]


def jsonl_records(path: Path, lines: Iterator[tuple[int, bytes]] | None = None) -> Iterator[Record]:
    """The non-blank lines of a JSON Lines file (or of ``lines`` read from it), decoded."""
    for number, line in iter_lines(path) if lines is None else lines:
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raw = line.decode("utf-8", "replace")
            yield Record(
                number, raw, None, "invalid_utf8", f"line is not valid UTF-8 ({exc.reason} at byte {exc.start})"
            )
            continue
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            yield Record(number, text, None, "invalid_json", f"line is not valid JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            yield Record(number, text, None, "not_an_object", f"line holds a JSON {type(obj).__name__}, not an object")
            continue
        yield Record(number, text, obj)


def csv_records(path: Path) -> Iterator[Record]:
    """The data rows of a CSV file with a header; ``number`` counts data rows from 1."""
    csv.field_size_limit(sys.maxsize)
    number = 0
    try:
        with open_binary(path) as binary, io.TextIOWrapper(binary, encoding="utf-8", newline="") as text:
            reader = csv.DictReader(text)
            for number, row in enumerate(reader, start=1):
                raw = orjson.dumps(row).decode()
                if None in row:
                    yield Record(number, raw, None, "bad_csv_row", "row has more cells than the header")
                    continue
                yield Record(number, raw, {k: v for k, v in row.items() if v not in ("", None)})
    except UnicodeDecodeError as exc:
        raise format_error(path, f"row {number}", exc) from exc
    except csv.Error as exc:
        raise format_error(path, f"row {number}", exc) from exc
    except READ_ERRORS as exc:
        raise format_error(path, f"row {number}", exc) from exc


def candidates_from_records(
    records: Iterator[Record],
    name: str,
    table: TableName,
    sink: RejectionSink,
    *,
    batch_rows: int,
    mapper: Mapper | None = None,
) -> Iterator[Candidate]:
    """Gather good records into batches; reject the others into ``sink``."""
    schema = arrow_schema(table)
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    raws: list[str] = []

    def flush() -> Candidate:
        batch = pa.RecordBatch.from_pylist(rows, schema=schema)
        kept = list(raws)
        candidate = Candidate(batch, name, np.asarray(numbers, dtype=np.int64), kept.__getitem__)
        rows.clear()
        numbers.clear()
        raws.clear()
        return candidate

    for record in records:
        if record.obj is None:
            sink.add(Rejection(table, name, record.number, "", record.reason, record.message, record.raw))
            continue
        obj = record.obj
        if mapper is not None:
            try:
                obj = mapper(obj)
            except MappingError as problem:
                sink.add(
                    Rejection(table, name, record.number, problem.field, problem.reason, problem.message, record.raw)
                )
                continue
        row = coerce_row(table, obj)
        if isinstance(row, FieldProblem):
            sink.add(Rejection(table, name, record.number, row.field, row.reason, row.message, record.raw))
            continue
        rows.append(row)
        numbers.append(record.number)
        raws.append(record.raw)
        if len(rows) >= batch_rows:
            yield flush()
    if rows:
        yield flush()


def read_jsonl(path: Path, table: TableName, sink: RejectionSink, batch_rows: int) -> Iterator[Candidate]:
    """Yield candidate batches of ``table`` from a v1 JSON Lines file."""
    return candidates_from_records(jsonl_records(path), str(path), table, sink, batch_rows=batch_rows)
