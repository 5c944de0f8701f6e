"""What the gateway refused before its engine, summed up for the scan: keys tried, and from where.

A gateway log holds, beside its v1 exchanges, a ``refusals`` table (see :mod:`distillguard.schema`):
requests without a key, with an unknown key, with a bad or oversized body. No single refusal says
much; many wrong keys from one address are someone trying keys. The summary counts refusals by
status and reason and lists the addresses with the most key failures.
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl
import pyarrow as pa

from distillguard.ingest.dataset import Dataset
from distillguard.schema import arrow_schema

KEY_FAILURES: Final = ("missing_api_key", "invalid_api_key")
TOP_ADDRESSES: Final = 20


def summarize_refusals(dataset: Dataset) -> dict[str, Any] | None:
    """The refusals of ``dataset`` summed up, or ``None`` when it has none (not a gateway log)."""
    if "refusals" not in dataset.tables:
        return None
    table = pa.Table.from_batches(list(dataset.reader("refusals")), arrow_schema("refusals"))
    frame = pl.from_arrow(table.select(["timestamp", "status", "reason", "ip"]))
    assert isinstance(frame, pl.DataFrame)
    by_reason = frame.group_by("status", "reason").len().sort("len", descending=True)
    keys = frame.filter(pl.col("reason").is_in(KEY_FAILURES) & pl.col("ip").is_not_null())
    sources = (
        keys.group_by("ip")
        .agg(
            pl.len().alias("refused"), pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last")
        )
        .sort(["refused", "ip"], descending=[True, False])
        .head(TOP_ADDRESSES)
    )
    return {
        "total": frame.height,
        "by_reason": {f"{status} {reason}": n for status, reason, n in by_reason.iter_rows()},
        "key_failures": keys.height,
        "key_failure_addresses": keys["ip"].n_unique(),
        "key_failures_by_address": [
            {"ip": ip, "refused": n, "first": first.isoformat(), "last": last.isoformat()}
            for ip, n, first, last in sources.iter_rows()
        ],
    }
