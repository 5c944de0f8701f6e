"""Every exchange the gateway sees, written in exchange-log v1, crash-safe.

Layout of ``[event_log] directory``::

    exchanges/part-<host>-<pid>-<start>-<seq>.parquet  finished parts: a v1 dataset `scan` reads as is
    decisions/part-<host>-<pid>-<start>-<seq>.jsonl one decision per request, with its reasons
    rejected/part-...jsonl                      rows that failed v1 validation (never expected)
    .journal/                                   the parts being written (hidden from readers)

Records are buffered in memory and appended to a JSON Lines journal every
``flush_seconds``, with an fsync. When the journal holds ``rotate_rows`` rows, is
``rotate_seconds`` old, or the gateway shuts down, it is turned into a finished part: read back
through the v1 validator, written to a temporary file and renamed into place, so a reader never
sees half a part. A journal left by a crashed process (a dead pid of this host) is finished at the
next start. A clean shutdown (SIGTERM) loses nothing; a hard kill loses at most the last
``flush_seconds`` of records, and never corrupts a part.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, Final

import orjson

from distillguard.gateway.settings import EventLogSettings
from distillguard.ingest.dataset import Dataset
from distillguard.ingest.rejections import RejectionSink
from distillguard.ingest.writer import ParquetTableWriter
from distillguard.json_lines import dumps_line

LOG = logging.getLogger("distillguard.gateway")
JOURNAL: Final = ".journal"
_JSON_LINE: Final = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_append(path: Path, lines: list[bytes]) -> None:
    with path.open("ab") as handle:
        handle.write(b"".join(lines))
        handle.flush()
        os.fsync(handle.fileno())


class EventLog:
    """Buffers exchange and decision records and writes them as described in the module docstring.

    :meth:`record` is cheap and safe from the event loop; :meth:`flush` does the file work and is
    meant for a worker thread; calls to it are serialised by a lock.
    """

    def __init__(
        self,
        settings: EventLogSettings,
        *,
        host: str | None = None,
        pid: int | None = None,
        finisher: Executor | None = None,
    ) -> None:
        self.settings = settings
        self.root = settings.directory
        self.host = (host or socket.gethostname()).replace(".", "_").replace("-", "_")
        self.pid = os.getpid() if pid is None else pid
        self.journal_dir = self.root / JOURNAL
        for sub in (JOURNAL, "exchanges", "decisions"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # file work, one flush at a time
        self._buffer = threading.Lock()  # the buffers: held only to append or swap, never across file work
        self._exchanges: list[bytes] = []
        self._decisions: list[bytes] = []
        self._finisher = finisher
        self._finishing: list[Future[int]] = []
        self._boot = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"{time.time_ns() % 1_000_000:06d}"
        self._seq = 0
        self._journal_rows = 0
        self._journal_started = 0.0
        self.written = 0  # exchange rows in finished parts, by this process
        self.recovered = self.recover()

    # -- called from the event loop -------------------------------------------------------------

    def record(self, exchange: dict[str, Any], decision: dict[str, Any]) -> None:
        """Queue one exchange (v1 fields) and its decision record, serialised now.

        Serialising here, a few microseconds a record, keeps :meth:`flush` down to writing bytes, which
        releases the interpreter lock: a flush thread that serialised a second of records at once would
        hold the event loop up for tens of milliseconds.
        """
        lines = dumps_line(exchange, option=_JSON_LINE), dumps_line(decision, option=_JSON_LINE)
        with self._buffer:  # a flush thread swapping the buffers mid-append would lose the record
            self._exchanges.append(lines[0])
            self._decisions.append(lines[1])

    @property
    def pending(self) -> int:
        """Records not yet in a journal."""
        return len(self._exchanges)

    # -- file work --------------------------------------------------------------------------------

    def _stem(self) -> str:
        return f"{self.host}-{self.pid}-{self._boot}-{self._seq:06d}"

    def _journal(self, table: str, stem: str | None = None) -> Path:
        return self.journal_dir / f"{table}.{stem or self._stem()}.jsonl"

    def flush(self, *, rotate: bool = False, here: bool = False) -> None:
        """Append the buffered records to the journal; finish the part when it is due (or ``rotate``).

        ``here`` finishes it in this process even where there is a finisher (at shutdown, when
        nothing waits for the event loop and the process may end as soon as this returns).
        """
        with self._lock:
            with self._buffer:
                exchanges, self._exchanges = self._exchanges, []
                decisions, self._decisions = self._decisions, []
            if exchanges:
                if self._journal_rows == 0:
                    self._journal_started = time.monotonic()
                try:
                    _fsync_append(self._journal("exchanges"), exchanges)
                    _fsync_append(self._journal("decisions"), decisions)
                except OSError:  # disk full or gone: keep the records for the next flush
                    with self._buffer:
                        self._exchanges[:0] = exchanges
                        self._decisions[:0] = decisions
                    raise
                self._journal_rows += len(exchanges)
            age = time.monotonic() - self._journal_started
            due = self._journal_rows >= self.settings.rotate_rows or age >= self.settings.rotate_seconds
            if self._journal_rows and (rotate or due):
                stem = self._stem()
                future = None if here else self._submit(stem)
                if future is None:
                    self.written += finish_part(self.root, stem, self.settings.format)
                else:
                    future.add_done_callback(self._finished)
                    self._finishing.append(future)
                self._seq += 1
                self._journal_rows = 0

    def _submit(self, stem: str) -> Future[int] | None:
        """The part being finished in the finisher's process, or ``None`` without one (or after its shutdown).

        Reading the journal back is Python work that would hold the event loop up if done here.
        """
        if self._finisher is None:
            return None
        try:
            return self._finisher.submit(finish_part, self.root, stem, self.settings.format)
        except RuntimeError:
            return None

    def _finished(self, future: Future[int]) -> None:
        if future.exception() is None:
            self.written += future.result()
        else:  # the journal stays in place; the next start recovers it
            LOG.error("event log: finishing a part failed: %s", future.exception())

    def close(self) -> None:
        """Write everything buffered, finish the current part and wait for parts being finished."""
        self.flush(rotate=True, here=True)
        for future in self._finishing:
            future.exception()  # waits; failures were logged
        self._finishing.clear()

    def recover(self) -> int:
        """Finish the journals that dead processes of this host left behind; returns their rows."""
        rows = 0
        for journal in sorted(self.journal_dir.glob("exchanges.*.jsonl")):
            stem = journal.name[len("exchanges.") : -len(".jsonl")]
            host, _, rest = stem.partition("-")
            pid_text = rest.partition("-")[0]
            if host != self.host or not pid_text.isdigit():
                continue
            pid = int(pid_text)
            if pid != self.pid and _pid_alive(pid):
                continue
            try:
                rows += finish_part(self.root, stem, self.settings.format)
            except FileNotFoundError:  # another process of this host finished it first
                continue
            LOG.warning("event log: recovered %s, left by an earlier process", journal.name)
        return rows


def finish_part(root: Path, stem: str, fmt: str) -> int:
    """Turn the journals of ``stem`` under ``root`` into finished parts; returns the exchange rows written."""
    journal_dir = root / JOURNAL
    decisions = journal_dir / f"decisions.{stem}.jsonl"
    if decisions.exists():
        decisions.replace(root / "decisions" / f"part-{stem}.jsonl")
    journal = journal_dir / f"exchanges.{stem}.jsonl"
    if not journal.exists():
        return 0
    target = root / "exchanges" / f"part-{stem}.{fmt}"
    if fmt == "jsonl":
        with journal.open("rb") as handle:
            rows = sum(1 for _ in handle)
        journal.replace(target)
        return rows
    rejected = journal_dir / f"rejected.{stem}.jsonl"
    temporary = target.with_name(f".{target.name}.tmp")
    with RejectionSink(rejected) as sink:
        reader = Dataset(journal, sink).reader("exchanges")
        with ParquetTableWriter(temporary, "exchanges") as writer:
            for batch in reader:
                writer.write(batch)
            rows = writer.rows
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    temporary.replace(target)
    if sink.total:
        (root / "rejected").mkdir(exist_ok=True)
        rejected.replace(root / "rejected" / f"part-{stem}.jsonl")
        LOG.error("event log: %d rows of %s failed v1 validation; see %s/rejected", sink.total, stem, root)
    else:
        rejected.unlink()
    journal.unlink()
    return rows
