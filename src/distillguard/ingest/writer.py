"""Write v1 tables exactly as the contract states: Parquet, or JSON Lines."""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, cast

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from distillguard.ingest.streams import compression_of
from distillguard.json_lines import dumps_line
from distillguard.schema import TableName, arrow_schema


class ParquetTableWriter:
    """Appends batches of one table to a Parquet file (zstd), schema enforced."""

    def __init__(self, path: Path, table: TableName) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.schema = arrow_schema(table)
        self.rows = 0
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, batch: pa.RecordBatch) -> None:
        """Append ``batch``; it must already have the table's schema."""
        if not batch.schema.equals(self.schema):
            raise ValueError(f"{self.path}: batch schema differs from the v1 schema:\n{batch.schema}")
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the file (writes the footer)."""
        self._writer.close()

    def __enter__(self) -> ParquetTableWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def write_parquet(batches: Iterable[pa.RecordBatch], path: Path, table: TableName) -> int:
    """Write all ``batches`` to ``path``; returns the number of rows written."""
    with ParquetTableWriter(path, table) as writer:
        for batch in batches:
            writer.write(batch)
        return writer.rows


def _open_text_out(path: Path) -> IO[bytes]:
    compression = compression_of(path)
    if compression == "gzip":
        return cast(IO[bytes], gzip.open(path, "wb"))
    if compression == "zstd":
        return cast(IO[bytes], zstandard.open(path, "wb"))
    return path.open("wb")


def write_jsonl(batches: Iterable[pa.RecordBatch], path: Path) -> int:
    """Write ``batches`` as JSON Lines (timestamps RFC 3339 in UTC with ``Z``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with _open_text_out(path) as out:
        for batch in batches:
            for record in batch.to_pylist():
                out.write(dumps_line(record, option=orjson.OPT_UTC_Z) + b"\n")
                rows += 1
    return rows
