"""The scan's per-exchange work, one Arrow record batch at a time.

Every validated exchange becomes one narrow *stage* row (account, time, model,
infrastructure, parameters). The text classifiers run on a sample: the first
``SAMPLE_FIRST`` exchanges of each account in reading order, then one exchange in
``SAMPLE_EVERY`` of the rest (chosen by a hash of the request id, so the choice does not
depend on batch boundaries). Per-account shares of extraction families and templates
are estimated from that sample, which holds every exchange of an ordinary account and
enough of a heavy one; the cost of the scan then grows with accounts, not exchanges.

The work is split so that the costly part can run in other processes: choose the sample
(:func:`sample_of`, needs the running counts), score its prompts (:func:`score_prompts`, a
pure function of a list of strings), then assemble the stage rows (:func:`stage_rows`).
Sampled exchanges where a family fires also go to the *examples* table (at most
``EXAMPLES_PER_ACCOUNT`` per account) for the report. Each step is a function of one batch
(plus two small running counters), so a distributed engine can map it over partitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.scan.payload import NO_HASH, payload_sketches
from distillguard.signals.detectors import FIRES_AT, run_signals
from distillguard.signals.extraction import ExtractionModel, builtin_model

SAMPLE_FIRST: Final = 16
SAMPLE_EVERY: Final = 128
EXAMPLES_PER_ACCOUNT: Final = 3
PROMPT_CHARS: Final = 400

STAGE_SCHEMA: Final = pa.schema(
    [
        ("account_id", pa.string()),
        ("ts", pa.int64()),  # microseconds since the epoch, UTC
        ("model", pa.string()),
        ("ip", pa.string()),
        ("user_agent", pa.string()),
        ("end_user", pa.string()),
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("temperature", pa.float64()),
        ("max_tokens", pa.int64()),
        ("has_reasoning", pa.bool_()),
        ("sampled", pa.bool_()),
        ("family", pa.int8()),  # index into the model's families; -1 none fired; null not sampled
        ("template", pa.string()),  # template key of the prompt; null not sampled
        ("prompt", pa.int64()),  # the sampled prompt's number (its payload sketch in SHINGLE_SCHEMA); null not sampled
    ]
)
SHINGLE_SCHEMA: Final = pa.schema([("prompt", pa.int64()), ("hash", pa.uint64())])
EXAMPLE_SCHEMA: Final = pa.schema(
    [
        ("account_id", pa.string()),
        ("ts", pa.int64()),
        ("family", pa.string()),
        ("score", pa.float32()),
        ("template", pa.string()),
        ("skeleton", pa.string()),
        ("prompt", pa.string()),
        ("evidence", pa.string()),
    ]
)
TEMPLATE_SCHEMA: Final = pa.schema([("template", pa.string()), ("skeleton", pa.string())])


@dataclass
class RunningCounts:
    """Exchanges seen so far per account (for the sample) and examples kept per account."""

    seen: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"account_id": pl.String, "n": pl.Int64}))

    def number(self, accounts: pl.Series) -> pl.Series:
        """Each row's 0-based position among its account's rows so far; the counts move on."""
        frame = pl.DataFrame({"account_id": accounts}).with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).over("account_id").alias("k")
        )
        frame = frame.join(self.seen, on="account_id", how="left", maintain_order="left")
        numbers = frame["k"] + frame["n"].fill_null(0)
        added = frame.group_by("account_id").agg(pl.len().cast(pl.Int64).alias("n"))
        self.seen = (
            pl.concat([self.seen, added]).group_by("account_id").agg(pl.col("n").sum()) if self.seen.height else added
        )
        return numbers


@dataclass(frozen=True)
class Sample:
    """The rows of a batch chosen for the text classifiers, and their prompts."""

    index: np.ndarray
    prompts: list[str]


@dataclass(frozen=True)
class Scored:
    """What the classifiers say about a sample's prompts (small, cheap to send between processes)."""

    family: np.ndarray  # int8 per prompt: the top family's index, -1 where none fires
    score: np.ndarray  # float32 per prompt: the top family's score
    templates: list[str]
    skeletons: list[str]
    evidence: list[str]  # the top family's evidence where it fires, else ""
    payload: np.ndarray  # uint64 (prompts, SKETCH): the payload's bottom sketch (scan.payload)


@dataclass(frozen=True)
class StagedBatch:
    """What one input batch contributes: stage rows, examples, and the templates' skeletons."""

    stage: pa.RecordBatch
    examples: pa.RecordBatch
    templates: pa.RecordBatch
    shingles: pa.RecordBatch


def last_user_prompts(messages: pa.Array) -> list[str]:
    """The last ``user`` message of each conversation (the last message of any role if none)."""
    series = pl.from_arrow(messages)
    assert isinstance(series, pl.Series)
    frame = pl.DataFrame({"m": series}).select(
        pl.col("m")
        .list.eval(pl.element().filter(pl.element().struct.field("role") == "user").struct.field("content"))
        .list.last()
        .alias("user"),
        pl.col("m").list.last().struct.field("content").alias("any"),
    )
    prompts: list[str] = frame.select(pl.coalesce("user", "any").fill_null("")).to_series().to_list()
    return prompts


def sample_of(batch: pa.RecordBatch, positions: RunningCounts) -> Sample:
    """The sampled rows of a validated exchanges batch; ``positions`` moves on by the batch."""
    accounts = pl.from_arrow(batch.column("account_id"))
    ids = pl.from_arrow(batch.column("request_id"))
    assert isinstance(accounts, pl.Series)
    assert isinstance(ids, pl.Series)
    chosen = (positions.number(accounts) < SAMPLE_FIRST) | (ids.hash(seed=7) % SAMPLE_EVERY == 0)
    index = np.flatnonzero(chosen.to_numpy())
    return Sample(index, last_user_prompts(batch.column("messages").take(pa.array(index))))


def score_prompts(prompts: list[str], model: ExtractionModel | None = None) -> Scored:
    """Every family's classifier on ``prompts``, reduced to the top family, template and evidence."""
    model = model or builtin_model()
    signals = run_signals(prompts, model)
    n = len(prompts)
    top = signals.scores.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)
    score = signals.scores[np.arange(n), top] if n else np.zeros(0, dtype=np.float32)
    fired = score >= FIRES_AT
    family = np.where(fired, top, -1).astype(np.int8)
    evidence = [signals.evidence[i].get(model.families[f], "") if f >= 0 else "" for i, f in enumerate(family.tolist())]
    return Scored(
        family, score.astype(np.float32), signals.templates, signals.skeletons, evidence, payload_sketches(prompts)
    )


def stage_rows(
    batch: pa.RecordBatch,
    sample: Sample,
    scored: Scored,
    families: tuple[str, ...],
    examples: RunningCounts,
    *,
    first_prompt: int = 0,
) -> StagedBatch:
    """The stage rows of a batch, its examples, templates and payload sketches, from its scored sample.

    Sampled prompts are numbered from ``first_prompt`` on (the prompts sampled before this batch).
    """
    n = batch.num_rows
    sampled = np.zeros(n, dtype=bool)
    sampled[sample.index] = True
    family = np.full(n, -1, dtype=np.int8)
    family[sample.index] = scored.family
    templates: list[str | None] = [None] * n
    for row, key in zip(sample.index.tolist(), scored.templates, strict=True):
        templates[row] = key
    numbers = np.full(n, -1, dtype=np.int64)
    numbers[sample.index] = first_prompt + np.arange(sample.index.size, dtype=np.int64)
    has_reasoning = pc.fill_null(pc.greater(pc.utf8_length(batch.column("reasoning")), 0), False)
    stage = pa.RecordBatch.from_arrays(
        [
            batch.column("account_id"),
            batch.column("timestamp").cast(pa.int64()),
            batch.column("model"),
            batch.column("ip"),
            batch.column("user_agent"),
            batch.column("end_user"),
            batch.column("input_tokens"),
            batch.column("output_tokens"),
            batch.column("temperature"),
            batch.column("max_tokens"),
            has_reasoning,
            pa.array(sampled),
            pa.array(family, mask=~sampled),
            pa.array(templates, pa.string()),
            pa.array(numbers, mask=~sampled),
        ],
        schema=STAGE_SCHEMA,
    )
    template_rows = pa.RecordBatch.from_pydict(
        {"template": scored.templates, "skeleton": scored.skeletons}, schema=TEMPLATE_SCHEMA
    )
    return StagedBatch(
        stage,
        _examples(batch, sample, scored, families, examples),
        template_rows,
        _shingles(scored.payload, first_prompt),
    )


def _shingles(payload: np.ndarray, first_prompt: int) -> pa.RecordBatch:
    """The payload sketches as (prompt, hash) rows, padding left out."""
    present = payload != NO_HASH
    rows, _ = np.nonzero(present)
    return pa.RecordBatch.from_arrays(
        [pa.array(first_prompt + rows.astype(np.int64)), pa.array(payload[present])],
        schema=SHINGLE_SCHEMA,
    )


def _examples(
    batch: pa.RecordBatch, sample: Sample, scored: Scored, families: tuple[str, ...], kept: RunningCounts
) -> pa.RecordBatch:
    fired = np.flatnonzero(scored.family >= 0)
    rows = sample.index[fired]
    accounts = pl.from_arrow(batch.column("account_id").take(pa.array(rows)))
    assert isinstance(accounts, pl.Series)
    keep = (kept.number(accounts) < EXAMPLES_PER_ACCOUNT).to_numpy()
    rows, fired = rows[keep], fired[keep]
    picked = fired.tolist()
    return pa.RecordBatch.from_pydict(
        {
            "account_id": batch.column("account_id").take(pa.array(rows)),
            "ts": batch.column("timestamp").take(pa.array(rows)).cast(pa.int64()),
            "family": [families[int(scored.family[i])] for i in picked],
            "score": scored.score[fired],
            "template": [scored.templates[i] for i in picked],
            "skeleton": [scored.skeletons[i] for i in picked],
            "prompt": [sample.prompts[i][:PROMPT_CHARS] for i in picked],
            "evidence": [scored.evidence[i] for i in picked],
        },
        schema=EXAMPLE_SCHEMA,
    )
