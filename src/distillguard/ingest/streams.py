"""Open a possibly compressed file as a stream of lines, with errors that name the file.

``.gz`` and ``.zst`` are decompressed on the fly, so a large log is never unpacked to
disk or held in memory. A stream that is not what its name says (bad gzip header,
truncated archive, corrupt or cut-off zstd frame) raises
:class:`~distillguard.errors.FormatError` naming the file and the line it reached.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import zstandard

from distillguard.errors import FormatError

_CHUNK = 1 << 20


def compression_of(path: Path) -> str | None:
    """``"gzip"``, ``"zstd"`` or ``None``, from the file name."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return "gzip"
    if suffix in (".zst", ".zstd"):
        return "zstd"
    return None


class _TruncatedError(Exception):
    pass


def _zstd_chunks(path: Path) -> Iterator[bytes]:
    """Decompressed chunks of every frame; a frame cut off at the end is an error.

    (zstandard's ``stream_reader`` stops quietly at a cut-off frame, which would lose
    rows without a word, so frames are walked here.)
    """
    decompressor = zstandard.ZstdDecompressor()
    with path.open("rb") as raw:
        frame = decompressor.decompressobj()
        fed = False
        while chunk := raw.read(_CHUNK):
            while chunk:
                fed = True
                out = frame.decompress(chunk)
                if out:
                    yield out
                if not frame.eof:
                    break
                chunk = frame.unused_data
                frame = decompressor.decompressobj()
                fed = False
        if fed:
            raise _TruncatedError("the last zstd frame is cut off")


class _ChunkReader(io.RawIOBase):
    """A readable binary file over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def open_binary(path: Path) -> IO[bytes]:
    """``path`` opened for reading bytes, decompressed by its suffix."""
    compression = compression_of(path)
    if compression == "zstd":
        return io.BufferedReader(_ChunkReader(_zstd_chunks(path)), buffer_size=_CHUNK)
    if compression == "gzip":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


READ_ERRORS = (EOFError, OSError, zlib.error, zstandard.ZstdError, _TruncatedError)


def format_error(path: Path, where: str, exc: BaseException) -> FormatError:
    """The error for a stream that broke off at ``where``."""
    kind = compression_of(path) or "file"
    return FormatError(
        f"{path}: cannot read as {kind} after {where}: {exc}. Is the file truncated or not what its name says?"
    )


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, line)`` from 1 with the line ending stripped."""
    line_number = 0
    try:
        with open_binary(path) as stream:
            for line_number, line in enumerate(stream, start=1):
                yield line_number, line.rstrip(b"\r\n")
    except READ_ERRORS as exc:
        raise format_error(path, f"line {line_number}", exc) from exc


def complete_lines(path: Path, stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Like :func:`iter_lines`, over an open plain file being appended to.

    A last line without its newline (still being written, or cut by a crash) is not a line yet and
    is left out.
    """
    line_number = 0
    try:
        for line_number, line in enumerate(stream, start=1):
            if not line.endswith(b"\n"):
                return
            yield line_number, line.rstrip(b"\r\n")
    except OSError as exc:
        raise format_error(path, f"line {line_number}", exc) from exc
