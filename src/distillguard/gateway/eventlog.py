"""Every request the gateway sees, written in exchange-log v1, crash-safe.

Layout of ``[event_log] directory`` (:mod:`distillguard.ingest.gateway_log` reads it)::

    exchanges/part-<host>-<pid>-<start>-<seq>.parquet  finished parts: a v1 dataset `scan` reads as is
    refusals/part-...jsonl                      requests refused before the engine (401, 400, 413, ...)
    decisions/part-...jsonl                     one decision per exchange, with its reasons
    rejected/part-...jsonl                      rows that failed validation (never expected)
    .journal/<table>.<stem>.jsonl, <stem>.lock  the parts being written

Durability. :meth:`EventLog.record` writes its lines to the journal (one ``write`` each, appended)
before it returns, and the gateway records an exchange before its answer (a stream's ``[DONE]``)
goes out: a request the client saw answered is in the journal, and a hard kill of the process
(``kill -9``, the OOM killer) loses none of them. The journals are flushed to the disk (``fsync``)
every ``flush_seconds``: a crash of the machine itself loses at most that much. A write that fails
(a full disk) keeps its records in memory and retries them at each flush.

Parts. When the journal holds ``rotate_rows`` rows, is ``rotate_seconds`` old, or the gateway
shuts down, it is turned into a finished part: read back through the validator, written to a
temporary file and renamed into place, so a reader never sees half a part. The process writing a
stem holds a lock (``flock``) on its lock file; whoever finishes a part takes that lock first. So a
journal nobody holds was left by a process that died, on this host or any other sharing the
directory, whatever its name or pid: the next start recovers it, and says so in its log. Readers
need none of this: they read journals up to their last complete line.
"""

from __future__ import annotations

import fcntl
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
from distillguard.ingest.gateway_log import JOURNAL, journal_path, lock_path, part_path, stem_of_journal
from distillguard.ingest.rejections import RejectionSink
from distillguard.ingest.writer import ParquetTableWriter
from distillguard.json_lines import dumps_line

LOG = logging.getLogger("distillguard.gateway")
_JSON_LINE: Final = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE
#: The journals of one part: the v1 exchanges, their decisions, and the refused requests.
STREAMS: Final = ("exchanges", "decisions", "refusals")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Part:
    """The journals of one stem, open for appending, and the lock that says a live process writes them."""

    def __init__(self, root: Path, stem: str) -> None:
        self.stem = stem
        # locked before it has its name, so no process ever sees the stem's lock file unlocked while we live
        claimed = lock_path(root, stem).with_suffix(f".lock-{os.getpid()}")
        self.lock = os.open(claimed, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        claimed.replace(lock_path(root, stem))
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        self.fds = {name: os.open(journal_path(root, name, stem), flags, 0o644) for name in STREAMS}
        self.rows = 0  # exchanges and refusals
        self.started = time.monotonic()

    def sync(self) -> None:
        for fd in self.fds.values():
            os.fsync(fd)

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        os.close(self.lock)  # releases the lock: whoever finishes the part takes it next


class EventLog:
    """Writes exchange, decision and refusal records as described in the module docstring.

    :meth:`record` and :meth:`refused` are called from the event loop (a few microseconds: the lines
    are serialised and appended); :meth:`flush` does the slow file work (``fsync``, finishing parts)
    and is meant for a worker thread.
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
        for sub in (JOURNAL, "exchanges", "decisions", "refusals"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # the current part and the unwritten lines
        self._flushing = threading.Lock()  # one flush at a time
        self._part: _Part | None = None
        self._unwritten: list[tuple[str, bytes]] = []  # lines a failed write left, in order
        self._finisher = finisher
        self._finishing: list[Future[int]] = []
        self._boot = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"{time.time_ns() % 1_000_000:06d}"
        self._seq = 0
        self.written = 0  # exchange rows in finished parts, by this process
        self.recovered = self.recover()

    # -- called from the event loop -------------------------------------------------------------

    def record(self, exchange: dict[str, Any], decision: dict[str, Any]) -> None:
        """Append one exchange (v1 fields) and its decision record to the journal, now."""
        self._append(
            ("exchanges", dumps_line(exchange, option=_JSON_LINE)),
            ("decisions", dumps_line(decision, option=_JSON_LINE)),
        )

    def refused(self, refusal: dict[str, Any]) -> None:
        """Append the record of a request refused before the engine (see ``distillguard.schema``), now."""
        self._append(("refusals", dumps_line(refusal, option=_JSON_LINE)))

    def _append(self, *lines: tuple[str, bytes]) -> None:
        with self._lock:
            if self._unwritten:  # keep the order: behind the lines still waiting
                self._unwritten.extend(lines)
                return
            try:
                part = self._open_part()
                for stream, line in lines:
                    _write_all(part.fds[stream], line)
                part.rows += 1
            except OSError as exc:
                self._unwritten.extend(lines)
                LOG.error("event log: cannot write the journal (%s); records kept in memory and retried", exc)

    @property
    def pending(self) -> int:
        """Records not yet in a journal (a failed write keeps them until the next flush)."""
        return sum(1 for stream, _ in self._unwritten if stream != "decisions")

    # -- file work --------------------------------------------------------------------------------

    def _open_part(self) -> _Part:
        if self._part is None:
            self._part = _Part(self.root, f"{self.host}-{self.pid}-{self._boot}-{self._seq:06d}")
            self._seq += 1
        return self._part

    def _retry(self) -> None:
        """Write the lines a failed write left (under ``_lock``); raises ``OSError`` if it fails again."""
        if not self._unwritten:
            return
        part = self._open_part()
        while self._unwritten:
            stream, line = self._unwritten[0]
            _write_all(part.fds[stream], line)
            self._unwritten.pop(0)
            part.rows += stream != "decisions"

    def flush(self, *, rotate: bool = False, here: bool = False) -> None:
        """Retry unwritten lines, ``fsync`` the journals, and finish the part when it is due (or ``rotate``).

        ``here`` finishes it in this process even where there is a finisher (at shutdown, when
        nothing waits for the event loop and the process may end as soon as this returns).
        """
        with self._flushing:
            with self._lock:
                self._retry()
                part = self._part
            if part is None:
                return
            part.sync()
            due = (
                part.rows >= self.settings.rotate_rows
                or time.monotonic() - part.started >= self.settings.rotate_seconds
            )
            if not (rotate or due):
                return
            with self._lock:
                self._part = None  # the next record opens the next part
            part.sync()  # what was appended since the first sync
            part.close()
            future = None if here else self._submit(part.stem)
            if future is None:
                self.written += finish_part(self.root, part.stem, self.settings.format)
            else:
                future.add_done_callback(self._finished)
                self._finishing.append(future)

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
        """Write everything, finish the current part and wait for parts being finished."""
        self.flush(rotate=True, here=True)
        for future in self._finishing:
            future.exception()  # waits; failures were logged
        self._finishing.clear()

    def recover(self) -> int:
        """Finish every journal no live process holds (left by one that died, on any host); returns its rows."""
        rows = 0
        stems = {stem_of_journal(j) for j in self.journal_dir.glob("*.*.jsonl")}
        stems |= {lock.name.removesuffix(".lock") for lock in self.journal_dir.glob("*.lock")}
        for stem in sorted(stems):
            journals = [journal_path(self.root, stream, stem) for stream in STREAMS]
            held = any(j.exists() and j.stat().st_size for j in journals)
            done = try_finish(self.root, stem, self.settings.format)
            if done is not None and held:
                host, _, rest = stem.partition("-")
                LOG.warning(
                    "event log: recovered %d exchanges from the journal %s, left by process %s of host %s",
                    done,
                    stem,
                    rest.partition("-")[0],
                    host,
                )
                rows += done
        return rows


def watch_parent(parent: int) -> None:
    """In a finisher process: exit once the gateway process that started it is gone.

    A gateway killed with ``kill -9`` cannot stop its finisher, which would otherwise live on
    (holding whatever the gateway's standard streams were); a part it was finishing keeps its
    journal and stays for the next start to recover.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="distillguard-parent-watch", daemon=True).start()


def _complete_length(path: Path) -> int:
    """The length of ``path`` up to its last newline (a crash can leave a line cut short after it)."""
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        at = size
        while at > 0:
            step = min(at, 1 << 16)
            handle.seek(at - step)
            block = handle.read(step)
            newline = block.rfind(b"\n")
            if newline >= 0:
                return at - step + newline + 1
            at -= step
        return 0


def _cut_partial_line(path: Path) -> None:
    if not path.exists():
        return
    length = _complete_length(path)
    if length < path.stat().st_size:
        LOG.warning("event log: %s ended in a line cut short by a crash (never answered); left out", path.name)
        os.truncate(path, length)


def finish_part(root: Path, stem: str, fmt: str) -> int:
    """Turn the journals of ``stem`` under ``root`` into finished parts; returns the exchange rows written."""
    return try_finish(root, stem, fmt) or 0


def try_finish(root: Path, stem: str, fmt: str) -> int | None:
    """:func:`finish_part` if no live process holds the stem's lock (else ``None``: nothing done)."""
    lock = lock_path(root, stem)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # a live process writes it, or another finishes it
        if not lock.exists() or lock.stat().st_ino != os.fstat(fd).st_ino:
            return None  # finished (and its lock removed) while we waited
        rows = _finish_locked(root, stem, fmt)
        lock.unlink()
        return rows
    finally:
        os.close(fd)


def _finish_locked(root: Path, stem: str, fmt: str) -> int:
    for stream in ("decisions", "refusals"):
        journal = journal_path(root, stream, stem)
        _cut_partial_line(journal)
        if journal.exists() and journal.stat().st_size:
            journal.replace(part_path(root, stream, stem, "jsonl"))
        else:
            journal.unlink(missing_ok=True)
    journal = journal_path(root, "exchanges", stem)
    _cut_partial_line(journal)
    if not journal.exists():
        return 0
    if not journal.stat().st_size:
        journal.unlink()
        return 0
    target = part_path(root, "exchanges", stem, fmt)
    if fmt == "jsonl":
        with journal.open("rb") as handle:
            rows = sum(1 for _ in handle)
        journal.replace(target)
        return rows
    rejected = root / JOURNAL / f"rejected.{stem}.jsonl"
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
