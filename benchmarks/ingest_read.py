"""Read and validate a generated v1 dataset: rows/s and peak memory.

    python -m benchmarks.ingest_read --rows 1000000 --dir bench-data/ingest

Generates (once) a v1 exchanges table of ``--rows`` rows as Parquet and as JSON Lines
(zstd), with prompts drawn from the real corpora in ../shared/data when present, then
reads each through the full validating reader in a fresh process and prints a table.
Peak memory is the child's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from distillguard.ingest import RejectionSink, write_jsonl, write_parquet
from distillguard.ingest.dataset import Dataset
from distillguard.schema import MESSAGE, arrow_schema

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "corpora"
CHUNK = 250_000


def _prompts() -> list[str]:
    path = CORPORA / "users_nq_open_dev.jsonl"
    if path.exists():
        nq = [json.loads(line)["question"] for line in path.read_text().splitlines()]
        gsm = [json.loads(line)["question"] for line in (CORPORA / "sweep_gsm8k_train.jsonl").read_text().splitlines()]
        return nq + gsm
    return [f"Explain item {i} step by step, with care and in full detail." for i in range(5_000)]


def _chunk(start: int, n: int, prompts: pa.Array, rng: np.random.Generator) -> pa.RecordBatch:
    pick = rng.integers(0, len(prompts), n)
    content = prompts.take(pa.array(pick))
    roles = pa.array(["user"] * n)
    messages = pa.ListArray.from_arrays(
        pa.array(np.arange(n + 1, dtype=np.int32)), pa.StructArray.from_arrays([roles, content], fields=list(MESSAGE))
    )
    ids = pa.array([f"req-{i:09d}" for i in range(start, start + n)])
    micros = (1_767_225_600_000_000 + np.sort(rng.integers(0, 30 * 86_400_000_000, n))).astype("datetime64[us]")
    accounts = pa.array([f"acct-{a}" for a in rng.integers(0, 50_000, n)])
    columns = {
        "request_id": ids,
        "timestamp": pa.array(micros, pa.timestamp("us", tz="UTC")),
        "account_id": accounts,
        "model": pa.array(rng.choice(["atlas-2", "atlas-2-pro", "atlas-3"], n)),
        "messages": messages,
        "response": content,
        "input_tokens": pa.array(rng.integers(5, 400, n)),
        "output_tokens": pa.array(rng.integers(5, 2_000, n)),
        "temperature": pa.array(rng.choice([0.0, 0.7, 1.0], n)),
        "max_tokens": pa.array(rng.choice([256, 1024, 4096], n)),
        "status": pa.array(np.full(n, 200, dtype=np.int32)),
        "ip": pa.array([f"198.51.{a % 256}.{a // 256 % 256}" for a in rng.integers(0, 65_536, n)]),
        "user_agent": pa.array(rng.choice(["python-httpx/0.27", "OpenAI/Python 1.51.0"], n)),
        "surface": pa.array(["api"] * n),
    }
    schema = arrow_schema("exchanges")
    return pa.RecordBatch.from_arrays([columns.get(f.name, pa.nulls(n, f.type)) for f in schema], schema=schema)


def generate(rows: int, directory: Path) -> None:
    rng = np.random.default_rng(7)
    prompts = pa.array(_prompts())
    batches = [_chunk(s, min(CHUNK, rows - s), prompts, rng) for s in range(0, rows, CHUNK)]
    write_parquet(batches, directory / "parquet" / "exchanges.parquet", "exchanges")
    write_jsonl(batches, directory / "jsonl" / "exchanges.jsonl.zst")


def read_once(path: Path) -> None:
    """Child mode: read and validate ``path``, print JSON with rows, seconds, peak RSS."""
    start = time.perf_counter()
    with RejectionSink() as sink:
        reader = Dataset(path, sink).reader("exchanges")
        for _ in reader:
            pass
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"rows": reader.rows_in, "rejected": reader.rejected, "seconds": seconds, "peak": peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("bench-data/ingest"))
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        read_once(args.read)
        return
    directory = args.dir / str(args.rows)
    if not (directory / "parquet" / "exchanges.parquet").exists():
        generate(args.rows, directory)
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"{'format':<18} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'peak RSS':>10} {'on disk':>9}")
    for name, path in (("parquet", "parquet/exchanges.parquet"), ("jsonl.zst", "jsonl/exchanges.jsonl.zst")):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.ingest_read", "--read", str(directory / path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out)
        size = (directory / path).stat().st_size
        print(
            f"{name:<18} {r['rows']:>10,} {r['seconds']:>8.2f} {r['rows'] / r['seconds']:>10,.0f} "
            f"{r['peak'] / 2**20:>8.0f}MB {size / 2**20:>7.0f}MB"
        )


if __name__ == "__main__":
    main()
