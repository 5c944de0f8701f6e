"""Server-sent events, read as the specification says (HTML Living Standard, "Parsing an event stream").

A stream is lines ending in CRLF, LF or CR; an event is the lines up to a blank one; each line is
``field: value`` (one space after the colon dropped), a comment (``:`` first) or a bare field name.
An event's ``data`` is its ``data`` lines joined with LF, so a payload an upstream spreads over two
``data:`` lines is one payload, read and edited whole, never passed on as two broken events.
:class:`EventReader` takes the bytes as they arrive, split anywhere, and gives whole events;
:func:`encode_event` writes one back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

BOM: Final = b"\xef\xbb\xbf"


class EventTooLargeError(Exception):
    """An event (or a line) grew past the reader's limit without ending."""


@dataclass
class Event:
    """One event: its ``data`` lines joined (``None`` when it had none) and its other lines, as read."""

    data: bytes | None = None
    lines: list[bytes] = field(default_factory=list)  # comments, event:, id:, retry: (passed on as they came)


class EventReader:
    """Splits a byte stream into events; ``limit`` bounds the bytes held for one unfinished event."""

    def __init__(self, limit: int = 16 * 1024 * 1024) -> None:
        self.limit = limit
        self._pending = b""
        self._event = Event()
        self._size = 0
        self._started = False
        self._after_cr = False  # the last chunk ended in CR: a LF opening the next one belongs to it

    def feed(self, chunk: bytes) -> list[Event]:
        """The events that ``chunk`` completes."""
        if not self._started:
            self._pending += chunk
            if len(self._pending) < len(BOM) and BOM.startswith(self._pending):
                return []
            self._started = True
            chunk, self._pending = self._pending.removeprefix(BOM), b""
        if self._after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._after_cr = False
        buffer = self._pending + chunk
        events: list[Event] = []
        start = 0
        while True:
            cr, lf = buffer.find(b"\r", start), buffer.find(b"\n", start)
            ends = [at for at in (cr, lf) if at >= 0]
            if not ends:
                break
            end = min(ends)
            line = buffer[start:end]
            if end == cr:
                if end + 1 < len(buffer):
                    start = end + 2 if buffer[end + 1 : end + 2] == b"\n" else end + 1
                else:  # a CR at the very end: its LF, if any, comes in the next chunk
                    start, self._after_cr = end + 1, True
            else:
                start = end + 1
            event = self._line(line)
            if event is not None:
                events.append(event)
        self._pending = buffer[start:]
        if self._size + len(self._pending) > self.limit:
            raise EventTooLargeError(f"an upstream event grew past {self.limit} bytes")
        return events

    def _line(self, line: bytes) -> Event | None:
        if not line:
            event, self._event, self._size = self._event, Event(), 0
            return event if event.data is not None or event.lines else None
        self._size += len(line)
        if line.startswith(b":"):
            self._event.lines.append(line)
            return None
        name, colon, value = line.partition(b":")
        if colon and value.startswith(b" "):
            value = value[1:]
        if name == b"data":
            self._event.data = value if self._event.data is None else self._event.data + b"\n" + value
        else:
            self._event.lines.append(line)
        return None

    def close(self) -> Event | None:
        """The event the stream ended in without its blank line, if any (dispatched, to be edited like any)."""
        if self._pending:
            self._line(self._pending)
            self._pending = b""
        event = self._line(b"")
        return event


def encode_event(data: bytes | None, lines: list[bytes] | None = None) -> bytes:
    """One event as sent: its other lines, then ``data`` (one ``data:`` line per line of it), then a blank line."""
    out = list(lines or ())
    if data is not None:
        out += [b"data: " + part for part in data.split(b"\n")]
    return b"\n".join(out) + b"\n\n"
