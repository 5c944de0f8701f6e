"""Ingest: read exchange-log v1 (and LiteLLM / OpenAI logs) as validated Arrow batches."""

from distillguard.ingest.dataset import Dataset, TableReader, TableSource, discover
from distillguard.ingest.rejections import Rejection, RejectionSink
from distillguard.ingest.writer import ParquetTableWriter, write_jsonl, write_parquet

__all__ = [
    "Dataset",
    "ParquetTableWriter",
    "Rejection",
    "RejectionSink",
    "TableReader",
    "TableSource",
    "discover",
    "write_jsonl",
    "write_parquet",
]
