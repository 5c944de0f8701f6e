"""Stage one of the scan: stream the dataset once, validate, and write the narrow stage tables.

Input rows that fail validation go to the rejection sink (``rejected.jsonl``); accepted
exchanges become stage rows (see :mod:`distillguard.scan.rows`), written as Parquet
parts in a work directory that the later SQL stages read out of core. The accounts
table, where present, is validated and staged as well.

Reading and validation stay in this process (the duplicate-key check spans the whole
table); the classifiers, most of the cost, run in ``workers`` processes, a few batches
ahead of the writer, so memory stays bounded by the batches in flight.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.errors import DatasetError
from distillguard.ingest.dataset import Dataset
from distillguard.scan.rows import (
    EXAMPLE_SCHEMA,
    SHINGLE_SCHEMA,
    STAGE_SCHEMA,
    TEMPLATE_SCHEMA,
    RunningCounts,
    Sample,
    Scored,
    sample_of,
    score_prompts,
    stage_rows,
)
from distillguard.schema import arrow_schema
from distillguard.signals.extraction import ExtractionModel

PART_ROWS = 2_000_000


@dataclass(frozen=True)
class Staged:
    """Where the stage tables are and how many rows went where."""

    work: Path
    exchanges_in: int
    exchanges_accepted: int
    sampled: int
    accounts_table: bool
    account_rows_rejected: int = 0

    @property
    def stage_glob(self) -> str:
        """The stage parts, as a DuckDB / Spark path pattern."""
        return str(self.work / "stage" / "*.parquet")

    @property
    def examples_path(self) -> Path:
        """Example prompts where a family fired."""
        return self.work / "examples.parquet"

    @property
    def shingles_glob(self) -> str:
        """The payload sketches of the sampled prompts (prompt, hash), as a path pattern."""
        return str(self.work / "shingles" / "*.parquet")

    @property
    def templates_path(self) -> Path:
        """Template keys with their readable skeletons."""
        return self.work / "templates.parquet"

    @property
    def accounts_path(self) -> Path:
        """The validated accounts table (empty when the dataset has none)."""
        return self.work / "accounts.parquet"


class _PartWriter:
    """Parquet parts of about ``PART_ROWS`` rows each."""

    def __init__(self, folder: Path, schema: pa.Schema) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.schema = folder, schema
        self.part, self.rows = 0, 0
        self.writer: pq.ParquetWriter | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if self.writer is None or self.rows >= PART_ROWS:
            self.close()
            self.writer = pq.ParquetWriter(self.folder / f"part-{self.part:05d}.parquet", self.schema)
            self.part, self.rows = self.part + 1, 0
        self.writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.part == 0:  # an empty table is still a readable table
            pq.write_table(self.schema.empty_table(), self.folder / "part-00000.parquet")
            self.part = 1


def _scored_batches(
    batches: Iterator[pa.RecordBatch], model: ExtractionModel, workers: int
) -> Iterator[tuple[pa.RecordBatch, Sample, Scored]]:
    """Each batch with its sample scored, in order; scoring runs ``workers`` processes wide."""
    positions = RunningCounts()
    if workers <= 1:
        for batch in batches:
            sample = sample_of(batch, positions)
            yield batch, sample, score_prompts(sample.prompts, model)
        return
    in_flight: deque[tuple[pa.RecordBatch, Sample, Future[Scored]]] = deque()
    context = multiprocessing.get_context("spawn")  # no fork of a process holding Polars / DuckDB threads
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for batch in batches:
            sample = sample_of(batch, positions)
            in_flight.append((batch, sample, pool.submit(score_prompts, sample.prompts)))
            if len(in_flight) > 2 * workers:
                done, chosen, future = in_flight.popleft()
                yield done, chosen, future.result()
        while in_flight:
            done, chosen, future = in_flight.popleft()
            yield done, chosen, future.result()


def stage(dataset: Dataset, work: Path, model: ExtractionModel, *, workers: int = 1) -> Staged:
    """Read ``dataset`` once and write the stage tables under ``work``.

    With ``workers`` above one, the built-in model scores in worker processes; ``model``
    then only names the families (pass the built-in one).
    """
    if "exchanges" not in dataset.tables:
        raise DatasetError(f"{dataset.path}: the dataset has no `exchanges` table; nothing to scan")
    kept = RunningCounts()
    stage_parts = _PartWriter(work / "stage", STAGE_SCHEMA)
    shingle_parts = _PartWriter(work / "shingles", SHINGLE_SCHEMA)
    sampled = 0
    reader = dataset.reader("exchanges")
    with (
        pq.ParquetWriter(work / "examples.parquet", EXAMPLE_SCHEMA) as examples,
        pq.ParquetWriter(work / "templates.parquet", TEMPLATE_SCHEMA) as templates,
    ):
        for batch, sample, scored in _scored_batches(iter(reader), model, workers):
            staged = stage_rows(batch, sample, scored, model.families, kept, first_prompt=sampled)
            stage_parts.write(staged.stage)
            shingle_parts.write(staged.shingles)
            examples.write_batch(staged.examples)
            templates.write_batch(staged.templates)
            sampled += staged.templates.num_rows
    stage_parts.close()
    shingle_parts.close()
    has_accounts = "accounts" in dataset.tables
    accounts_schema = arrow_schema("accounts")
    accounts_rejected = 0
    with pq.ParquetWriter(work / "accounts.parquet", accounts_schema) as accounts:
        if has_accounts:
            account_reader = dataset.reader("accounts")
            for batch in account_reader:
                accounts.write_batch(batch.select(accounts_schema.names))
            accounts_rejected = account_reader.rejected
    return Staged(work, reader.rows_in, reader.accepted, sampled, has_accounts, accounts_rejected)
