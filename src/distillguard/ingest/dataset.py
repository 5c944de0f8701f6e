"""Find the tables of a dataset and stream each as validated Arrow batches.

A dataset is a directory holding ``exchanges``, ``accounts`` and ``labels`` tables
(each ``NAME.parquet``, a directory ``NAME/`` of Parquet parts, hive-partitioned or
not, or ``NAME.jsonl`` / ``.jsonl.gz`` / ``.jsonl.zst``), a directory of Parquet parts
that is itself the exchanges table, or a single file (its table named by its stem,
``exchanges`` otherwise). A gateway's event log is read with the journals of its unfinished parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import pyarrow as pa

from distillguard.config import DEFAULT_BATCH_ROWS, SPREAD_DAYS
from distillguard.errors import DatasetError
from distillguard.ingest.candidates import Candidate
from distillguard.ingest.checks import BatchValidator
from distillguard.ingest.gateway_log import is_gateway_log, journal_candidates, live_journals
from distillguard.ingest.jsonl import read_jsonl
from distillguard.ingest.parquet import read_parquet
from distillguard.ingest.rejections import Rejection, RejectionSink
from distillguard.schema import TABLES, TIERS, TableName

Format = Literal["parquet", "jsonl"]
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson", ".ndjson.gz", ".ndjson.zst")


@dataclass(frozen=True)
class TableSource:
    """Where one table of a dataset lives: its files, in order, and their format.

    In a gateway's event log, also the journals of the parts not finished yet (read up to their last
    complete line; see :mod:`distillguard.ingest.gateway_log`).
    """

    table: TableName
    format: Format
    root: Path
    files: tuple[Path, ...]
    journals: tuple[Path, ...] = ()


def _format_of(path: Path) -> Format | None:
    name = path.name.lower()
    if name.endswith(".parquet") or name.endswith(".pq"):
        return "parquet"
    if name.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    return None


def _table_of(path: Path) -> TableName:
    stem = path.name.split(".", 1)[0]
    for table in TABLES:
        if stem == table:
            return table
    return "exchanges"


def _part_files(directory: Path) -> list[Path]:
    """Data files under ``directory``, skipping hidden and ``_SUCCESS``-style names."""
    return sorted(
        p
        for p in directory.rglob("*")
        if p.is_file()
        and _format_of(p) is not None
        and not any(part.startswith((".", "_")) for part in p.relative_to(directory).parts)
    )


def _directory_source(table: TableName, directory: Path, *, live: bool = False) -> TableSource:
    files = _part_files(directory)
    formats = {_format_of(p) for p in files}
    if not files and live:  # a gateway log before its first finished part: its journals hold the rows
        return TableSource(table, "jsonl", directory, ())
    if not files:
        raise DatasetError(f"{directory}: the `{table}` directory holds no .parquet or .jsonl files")
    if len(formats) > 1:
        raise DatasetError(f"{directory}: the `{table}` directory mixes Parquet and JSON Lines parts")
    fmt = formats.pop()
    assert fmt is not None
    return TableSource(table, fmt, directory, tuple(files))


def discover(path: Path) -> dict[TableName, TableSource]:
    """The tables found at ``path``; raises :class:`DatasetError` when there are none."""
    if not path.exists():
        raise DatasetError(f"{path}: no such file or directory")
    if path.is_file():
        fmt = _format_of(path)
        if fmt is None:
            raise DatasetError(f"{path}: not a dataset file (expected .parquet or .jsonl[.gz|.zst])")
        table = _table_of(path)
        return {table: TableSource(table, fmt, path.parent, (path,))}
    found: dict[TableName, TableSource] = {}
    live = is_gateway_log(path)
    for table in TABLES:
        candidates: list[TableSource] = []
        directory = path / table
        if directory.is_dir():
            candidates.append(_directory_source(table, directory, live=live))
        for entry in sorted(path.glob(f"{table}.*")):
            fmt = _format_of(entry)
            if entry.is_file() and fmt is not None:
                candidates.append(TableSource(table, fmt, path, (entry,)))
        if len(candidates) > 1:
            names = ", ".join(str(c.files[0] if len(c.files) == 1 else c.root) for c in candidates)
            raise DatasetError(f"{path}: table `{table}` is given more than once ({names}); keep one")
        journals = live_journals(path, table) if live else ()
        if journals and not candidates:
            candidates.append(TableSource(table, "jsonl", directory, ()))
        if candidates:
            found[table] = replace(candidates[0], journals=journals)
    if not found and _part_files(path):
        found["exchanges"] = _directory_source("exchanges", path)
    if not found:
        raise DatasetError(
            f"{path}: no tables found. Expected exchanges.parquet, exchanges/ (Parquet parts) "
            "or exchanges.jsonl[.gz|.zst], and optionally accounts and labels beside it"
        )
    return found


def source_candidates(source: TableSource, sink: RejectionSink, batch_rows: int) -> Iterator[Candidate]:
    """Candidate batches of every file of ``source``, in order."""
    for path in source.files:
        if source.format == "parquet":
            yield from read_parquet(path, source.root, source.table, batch_rows)
        else:
            yield from read_jsonl(path, source.table, sink, batch_rows)
    for journal in source.journals:
        yield from journal_candidates(journal.parent.parent, source.table, journal, sink, batch_rows)


class TableReader:
    """Validates candidate batches of one table; rejected rows go to the sink.

    Iterating yields the accepted rows as batches of the canonical schema. After
    iteration, ``rows_in == accepted + rejected`` for this table.
    """

    def __init__(
        self,
        table: TableName,
        candidates: Iterable[Candidate],
        sink: RejectionSink,
        *,
        tiers: tuple[str, ...] = TIERS,
        spread_days: int = SPREAD_DAYS,
    ) -> None:
        self.table = table
        self.candidates = candidates
        self.sink = sink
        self.tiers = tiers
        self.spread_days = spread_days
        self.accepted = 0
        self._rejected_before = sink.rejected_in(table)

    @property
    def rejected(self) -> int:
        """Rows of this table quarantined so far."""
        return self.sink.rejected_in(self.table) - self._rejected_before

    @property
    def rows_in(self) -> int:
        """Rows read so far: accepted plus rejected."""
        return self.accepted + self.rejected

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        validator = BatchValidator(self.table, self.tiers, spread_days=self.spread_days)
        for candidate in self.candidates:
            good, problems = validator.validate(candidate.batch)
            for problem in problems:
                self.sink.add(
                    Rejection(
                        self.table,
                        candidate.file,
                        int(candidate.rows[problem.index]),
                        problem.field,
                        problem.reason,
                        problem.message,
                        candidate.raw(problem.index),
                    )
                )
            batch = candidate.batch.filter(pa.array(good)) if problems else candidate.batch
            self.accepted += batch.num_rows
            if batch.num_rows:
                yield batch


class Dataset:
    """The tables of one dataset, read through one rejection sink."""

    def __init__(
        self,
        path: Path,
        sink: RejectionSink,
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        tiers: tuple[str, ...] = TIERS,
        spread_days: int = SPREAD_DAYS,
    ) -> None:
        self.path = path
        self.sources = discover(path)
        self.sink = sink
        self.batch_rows = batch_rows
        self.tiers = tiers
        self.spread_days = spread_days

    @property
    def tables(self) -> tuple[TableName, ...]:
        """The tables present, in contract order."""
        return tuple(t for t in TABLES if t in self.sources)

    def reader(self, table: TableName) -> TableReader:
        """A fresh reader of ``table``; raises :class:`DatasetError` if it is absent."""
        if table not in self.sources:
            raise DatasetError(f"{self.path}: the dataset has no `{table}` table")
        candidates = source_candidates(self.sources[table], self.sink, self.batch_rows)
        return TableReader(table, candidates, self.sink, tiers=self.tiers, spread_days=self.spread_days)
