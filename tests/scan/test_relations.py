"""The account graph's new relations: task items by near-duplicate payload hashing, behavioural similarity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.scan.fingerprints import build_fingerprints, connect
from distillguard.scan.links import build_links
from distillguard.scan.payload import NO_HASH, SKETCH, payload_sketches
from distillguard.scan.rows import SHINGLE_SCHEMA, STAGE_SCHEMA
from distillguard.scan.similarity import _nearest, behaviour_edges, scaled_traits
from distillguard.schema import arrow_schema
from distillguard.signals.extraction import FAMILIES

START = 1_770_000_000_000_000
# Two wrappers of the simulator's own kind (simulate/wrappers.py), one sent by many accounts.
COMMON = "Please produce a textbook-quality answer, showing all reasoning and every step, to the following: {q}"
OTHER = "Reference-answer generation for our grader. Item follows; respond with a full explanation.\n>>> {q}"


def test_sketches_are_the_smallest_word_pair_hashes() -> None:
    sketches = payload_sketches(["", "one", "two words", "the same item, the same item"])
    assert sketches.shape == (4, SKETCH)
    assert (sketches[0] == NO_HASH).all()  # nothing to hash
    assert sketches[1][0] != NO_HASH  # one word: itself
    assert (sketches[1][1:] == NO_HASH).all()
    assert (np.diff(sketches[3][sketches[3] != NO_HASH].astype(np.float64)) > 0).all()  # ascending, distinct
    assert (payload_sketches(["Two Words"]) == sketches[2]).all()  # case does not matter


def _stage_with_prompts(tmp_path: Path, prompts: dict[str, list[str]]) -> Path:
    rows: list[dict[str, Any]] = []
    shingles: list[dict[str, int]] = []
    number = 0
    for account, texts in prompts.items():
        sketches = payload_sketches(texts)
        for k, sketch in enumerate(sketches):
            rows.append(
                {"account_id": account, "ts": START + k * 60_000_000, "sampled": True, "family": 5, "prompt": number}
            )
            shingles.extend({"prompt": number, "hash": int(h)} for h in sketch if h != NO_HASH)
            number += 1
    (tmp_path / "stage").mkdir()
    (tmp_path / "shingles").mkdir()
    pq.write_table(pa.Table.from_pylist(rows, schema=STAGE_SCHEMA), tmp_path / "stage" / "p.parquet")
    pq.write_table(pa.Table.from_pylist(shingles, schema=SHINGLE_SCHEMA), tmp_path / "shingles" / "p.parquet")
    pq.write_table(arrow_schema("accounts").empty_table(), tmp_path / "accounts.parquet")
    return tmp_path


@pytest.mark.corpus
def test_one_item_in_two_wrappers_is_one_task_item(tmp_path: Path, gsm8k_items: list[dict[str, str]]) -> None:
    questions = [item["question"] for item in gsm8k_items]
    prompts = {
        "sweeper-a": [COMMON.format(q=q) for q in questions[:12]],
        "sweeper-b": [OTHER.format(q=q) for q in questions[:12]],  # the same items, another wrapper
        "stranger": [COMMON.format(q=q) for q in questions[12:24]],  # the same wrapper, other items
    }
    for f in range(40):  # both wrappers are many accounts': their word pairs are no item
        wrapper = COMMON if f % 2 else OTHER
        prompts[f"filler-{f:02d}"] = [wrapper.format(q=questions[24 + f * 3 + k]) for k in range(3)]
    work = _stage_with_prompts(tmp_path, prompts)
    con = connect(work, "1GB", 1)
    build_fingerprints(con, str(work / "stage" / "*.parquet"), work / "accounts.parquet")
    con.execute("CREATE TABLE reference (account_id VARCHAR)")
    build_links(con, str(work / "shingles" / "*.parquet"))
    items = con.sql("SELECT account_id, indicator FROM edges WHERE kind = 'item'").pl()
    held = items.group_by("account_id").agg(pl.col("indicator"))
    by_account = {r["account_id"]: set(r["indicator"]) for r in held.iter_rows(named=True)}
    assert len(by_account["sweeper-a"] & by_account["sweeper-b"]) >= 10  # of the 12 items they both asked
    assert not by_account.get("stranger", set()) & by_account["sweeper-a"]  # a shared wrapper is no shared item


def _fingerprints(groups: list[tuple[str, int, dict[str, Any]]]) -> pl.DataFrame:
    """Fingerprints with every behavioural trait, one group of alike accounts after another."""
    rng = np.random.default_rng(7)
    rows = []
    for prefix, count, traits in groups:
        for i in range(count):
            jitter = float(rng.normal(0, 0.05))
            row: dict[str, Any] = {
                "account_id": f"{prefix}-{i:04d}",
                "exchanges": 40,
                "daily_exchanges": traits.get("daily", 3.0) * (1 + jitter),
                "first_days_daily": traits.get("daily", 3.0),
                "days_from_signup": traits.get("signup", 200.0) * (1 + jitter),
                "hours_of_day": 12,
                "longest_idle_hours": 20.0,
                "gap_cv": 1.5,
                "temperatures": 3,
                "max_tokens_values": 3,
                "sampled": 16,
                "fired": traits.get("fired", 0),
                "output_tokens": 8_000,
                "input_tokens": 2_000,
                "reasoning_share": 0.0,
                "ips": 2,
                "user_agents": 1,
                "new_model_share": 0.0,
                "top_template_share": 0.2,
                "end_users": 0,
                "first_ts": START,
                "last_ts": START + 13 * 86_400_000_000,
            }
            for f in FAMILIES:
                row[f"fired_{f}"] = traits.get("fired", 0) if f == "task_sweep" else 0
            rows.append(row)
    return pl.DataFrame(rows)


def test_alike_new_accounts_are_tied_and_ordinary_ones_are_not() -> None:
    fingerprints = _fingerprints(
        [
            ("hydra", 60, {"fired": 6, "signup": 1.0}),  # alike, new, a third of their prompts a sweep
            ("ordinary", 2_000, {}),
            ("heavy", 30, {"fired": 3, "daily": 9.0}),  # candidates among ordinary, established users
        ]
    )
    ids = fingerprints["account_id"]
    reference = ids.str.starts_with("ordinary").to_numpy() | ids.str.starts_with("heavy").to_numpy()
    candidate = ~ids.str.starts_with("ordinary").to_numpy()
    scaled = scaled_traits(fingerprints, reference & ~candidate)
    edges = behaviour_edges(fingerprints, scaled, candidate, reference)
    hydra = edges.filter(pl.col("account_id").str.starts_with("hydra") & pl.col("other").str.starts_with("hydra"))
    assert hydra["weight"].min() == pytest.approx(1.0)  # nothing established near them
    assert hydra.select(pl.concat([pl.col("account_id"), pl.col("other")]).n_unique()).item() == 60
    across = edges.filter(pl.col("account_id").str.starts_with("hydra") != pl.col("other").str.starts_with("hydra"))
    assert across.height == 0
    heavy = edges.filter(pl.col("account_id").str.starts_with("heavy"))
    assert float(heavy["weight"].fill_null(0).sum()) < 0.2 * max(1, heavy.height)  # established neighbourhood


def test_nearest_neighbours_are_the_same_in_threads() -> None:
    rng = np.random.default_rng(3)
    queries = rng.standard_normal((3_000, 8)).astype(np.float32)
    index = np.vstack([queries, rng.standard_normal((2_000, 8)).astype(np.float32)])
    serial = _nearest(queries, index, 5)
    assert (serial[:, 0] == np.arange(3_000)).all()  # each query's nearest is itself
    assert (_nearest(queries, index, 5, threads=2) == serial).all()
    exact = np.argsort(((queries[:50, None, :] - index[None, :, :]) ** 2).sum(-1), axis=1, kind="stable")[:, :5]
    assert (serial[:50] == exact).all()
