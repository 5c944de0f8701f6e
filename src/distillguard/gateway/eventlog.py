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
from pathlib import Path
from typing import Any, Final

import orjson

from distillguard.gateway.settings import EventLogSettings
from distillguard.ingest.dataset import Dataset
from distillguard.ingest.rejections import RejectionSink
from distillguard.ingest.writer import ParquetTableWriter

LOG = logging.getLogger("distillguard.gateway")
JOURNAL: Final = ".journal"


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

    def __init__(self, settings: EventLogSettings, *, host: str | None = None, pid: int | None = None) -> None:
        self.settings = settings
        self.root = settings.directory
        self.host = (host or socket.gethostname()).replace(".", "_").replace("-", "_")
        self.pid = os.getpid() if pid is None else pid
        self.journal_dir = self.root / JOURNAL
        for sub in (JOURNAL, "exchanges", "decisions"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._exchanges: list[dict[str, Any]] = []
        self._decisions: list[dict[str, Any]] = []
        self._boot = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"{time.time_ns() % 1_000_000:06d}"
        self._seq = 0
        self._journal_rows = 0
        self._journal_started = 0.0
        self.written = 0  # exchange rows in finished parts, by this process
        self.recovered = self.recover()

    # -- called from the event loop -------------------------------------------------------------

    def record(self, exchange: dict[str, Any], decision: dict[str, Any]) -> None:
        """Queue one exchange (v1 fields) and its decision record."""
        self._exchanges.append(exchange)
        self._decisions.append(decision)

    @property
    def pending(self) -> int:
        """Records not yet in a journal."""
        return len(self._exchanges)

    # -- file work --------------------------------------------------------------------------------

    def _stem(self) -> str:
        return f"{self.host}-{self.pid}-{self._boot}-{self._seq:06d}"

    def _journal(self, table: str, stem: str | None = None) -> Path:
        return self.journal_dir / f"{table}.{stem or self._stem()}.jsonl"

    def flush(self, *, rotate: bool = False) -> None:
        """Append the buffered records to the journal; finish the part when it is due (or ``rotate``)."""
        with self._lock:
            exchanges, self._exchanges = self._exchanges, []
            decisions, self._decisions = self._decisions, []
            if exchanges:
                if self._journal_rows == 0:
                    self._journal_started = time.monotonic()
                option = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE
                _fsync_append(self._journal("decisions"), [orjson.dumps(d, option=option) for d in decisions])
                _fsync_append(self._journal("exchanges"), [orjson.dumps(e, option=option) for e in exchanges])
                self._journal_rows += len(exchanges)
            age = time.monotonic() - self._journal_started
            due = self._journal_rows >= self.settings.rotate_rows or age >= self.settings.rotate_seconds
            if self._journal_rows and (rotate or due):
                self.written += self._finish(self._stem())
                self._seq += 1
                self._journal_rows = 0

    def close(self) -> None:
        """Write everything buffered and finish the current part."""
        self.flush(rotate=True)

    def _finish(self, stem: str) -> int:
        """Turn the journals of ``stem`` into finished parts; returns the exchange rows written."""
        decisions = self._journal("decisions", stem)
        if decisions.exists():
            decisions.replace(self.root / "decisions" / f"part-{stem}.jsonl")
        journal = self._journal("exchanges", stem)
        if not journal.exists():
            return 0
        target = self.root / "exchanges" / f"part-{stem}.{self.settings.format}"
        if self.settings.format == "jsonl":
            rows = sum(1 for _ in journal.open("rb"))
            journal.replace(target)
            return rows
        rejected = self.journal_dir / f"rejected.{stem}.jsonl"
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
            (self.root / "rejected").mkdir(exist_ok=True)
            rejected.replace(self.root / "rejected" / f"part-{stem}.jsonl")
            LOG.error("event log: %d rows of %s failed v1 validation; see %s/rejected", sink.total, stem, self.root)
        else:
            rejected.unlink()
        journal.unlink()
        return rows

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
            rows += self._finish(stem)
            LOG.warning("event log: recovered %s, left by an earlier process", journal.name)
        return rows
