"""The gateway's event log as its readers see it: finished parts, and the journals still being written.

Layout under the log's directory (``[event_log] directory``)::

    exchanges/part-<stem>.parquet   finished parts (or .jsonl), one per journal; a v1 table
    refusals/part-<stem>.jsonl      requests refused before the engine (see distillguard.schema)
    decisions/part-<stem>.jsonl     the decision of each exchange
    .journal/<table>.<stem>.jsonl   the parts being written, one JSON object a line
    .journal/<stem>.lock            held (flock) by the process writing that stem, for as long as it writes

A reader takes the finished parts and, for every stem not finished yet, its journal up to the
last complete line (a line is written whole or, cut by a crash, left out), so a log is readable
and scannable while the gateway runs and after it crashed, before any restart. A journal finished
while it is being listed is read from its part instead: no row is read twice or missed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

from distillguard.ingest.candidates import Candidate
from distillguard.ingest.jsonl import candidates_from_records, jsonl_records, read_jsonl
from distillguard.ingest.parquet import read_parquet
from distillguard.ingest.rejections import RejectionSink
from distillguard.ingest.streams import complete_lines
from distillguard.schema import TableName

JOURNAL: Final = ".journal"


def journal_path(root: Path, table: str, stem: str) -> Path:
    """Where the journal of ``table`` for ``stem`` is written."""
    return root / JOURNAL / f"{table}.{stem}.jsonl"


def lock_path(root: Path, stem: str) -> Path:
    """The file whose lock says a live process writes ``stem``."""
    return root / JOURNAL / f"{stem}.lock"


def part_path(root: Path, table: str, stem: str, fmt: str) -> Path:
    """Where the finished part of ``table`` for ``stem`` goes."""
    return root / table / f"part-{stem}.{fmt}"


def stem_of_journal(path: Path) -> str:
    """The stem of a journal file's name (``exchanges.<stem>.jsonl``)."""
    return path.name.split(".", 1)[1].removesuffix(".jsonl")


def _finished_part(root: Path, table: str, stem: str) -> Path | None:
    for fmt in ("parquet", "jsonl"):
        path = part_path(root, table, stem, fmt)
        if path.exists():
            return path
    return None


def is_gateway_log(root: Path) -> bool:
    """Whether ``root`` is a gateway event log (it has a journal directory)."""
    return (root / JOURNAL).is_dir()


def live_journals(root: Path, table: TableName) -> tuple[Path, ...]:
    """The journals of ``table`` whose part is not finished yet, oldest first."""
    journals = sorted((root / JOURNAL).glob(f"{table}.*.jsonl"))
    return tuple(j for j in journals if _finished_part(root, table, stem_of_journal(j)) is None)


def journal_candidates(
    root: Path, table: TableName, journal: Path, sink: RejectionSink, batch_rows: int
) -> Iterator[Candidate]:
    """The complete lines of a journal as candidate batches; its part if it was finished meanwhile."""
    try:
        handle = journal.open("rb")
    except FileNotFoundError:
        part = _finished_part(root, table, stem_of_journal(journal))
        if part is None:  # finished with no rows, or rows of a table this stem never wrote
            return
        if part.suffix == ".parquet":
            yield from read_parquet(part, part.parent, table, batch_rows)
        else:
            yield from read_jsonl(part, table, sink, batch_rows)
        return
    with handle:
        records = jsonl_records(journal, complete_lines(journal, handle))
        yield from candidates_from_records(records, str(journal), table, sink, batch_rows=batch_rows)
