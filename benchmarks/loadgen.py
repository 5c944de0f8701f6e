"""Open-loop HTTP load at a fixed rate, latency measured from each request's scheduled time.

A separate process from the servers it loads. Request ``i`` is due at ``start + i / rate``
(with ``--burst N``, in bursts: ``N`` requests due at once every ``N / rate`` seconds); its
latency runs from that moment to the last byte of the response, so a server that falls behind
is charged for the queue it causes (no coordinated omission). HTTP/1.1 keep-alive
connections, opened as needed up to ``--connections``; plain asyncio streams, so the generator
itself costs little CPU. Prints one JSON object.

    python benchmarks/loadgen.py --url http://127.0.0.1:8080/v1/chat/completions \
        --rate 500 --seconds 20 --key sk-... --bodies prompts.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def request(self, raw: bytes) -> int:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status


@dataclass(frozen=True)
class Plan:
    url: str
    rate: float
    seconds: float
    warmup: float
    key: str
    connections: int
    burst: int = 1

    def due(self, start: float, index: int) -> float:
        """When request ``index`` is due: alone, or with the rest of its burst."""
        return start + (index - index % self.burst) / self.rate

    def requests(self, bodies: list[bytes]) -> list[bytes]:
        parts = urlsplit(self.url)
        return [
            (
                f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {self.key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nUser-Agent: loadgen/1\r\n\r\n"
            ).encode()
            + body
            for body in bodies
        ]


def summary(
    plan: Plan, latencies: list[float], statuses: dict[int, int], kinds: dict[str, int], elapsed: float
) -> dict[str, object]:
    values = np.array(latencies) * 1000
    measured = len(values)

    def pct(q: float) -> float | None:
        return round(float(np.percentile(values, q)), 3) if measured else None

    return {
        "rate": plan.rate,
        "burst": plan.burst,
        "seconds": plan.seconds,
        "requests": measured,
        "achieved_rps": round(measured / elapsed, 1) if elapsed > 0 else None,
        "elapsed_s": round(elapsed, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": sum(kinds.values()),
        "error_kinds": kinds,
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(float(values.max()), 3) if measured else None,
    }


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    finished: float = 0.0  # when the last measured request completed

    def done(self, due: float, status: int) -> None:
        now = time.perf_counter()
        self.latencies.append(now - due)
        self.finished = max(self.finished, now)
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def run(plan: Plan, bodies: list[bytes]) -> dict[str, object]:
    parts = urlsplit(plan.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = plan.requests(bodies)
    idle: list[Connection] = []
    opened = 0
    tally = Tally()
    start = time.perf_counter() + 0.2

    async def connect() -> Connection:
        nonlocal opened
        opened += 1
        reader, writer = await asyncio.open_connection(host, port)
        return Connection(reader, writer)

    async def one(index: int, due: float) -> None:
        nonlocal opened
        connection = idle.pop() if idle else None
        raw = requests[index % len(requests)]
        try:
            if connection is None:
                if opened >= plan.connections:
                    while not idle:
                        await asyncio.sleep(0.0005)
                    connection = idle.pop()
                else:
                    connection = await connect()
            try:
                status = await asyncio.wait_for(connection.request(raw), 30)
            except (ConnectionError, asyncio.IncompleteReadError):
                # a kept-alive connection the server closed while idle: once more on a new one
                connection.writer.close()
                opened -= 1
                connection = await connect()
                status = await asyncio.wait_for(connection.request(raw), 30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            tally.kinds[type(exc).__name__] = tally.kinds.get(type(exc).__name__, 0) + 1
            if connection is not None:
                connection.writer.close()
                opened -= 1
            return
        idle.append(connection)
        if due - start >= plan.warmup:
            tally.done(due, status)

    tasks = []
    for index in range(int(plan.rate * (plan.seconds + plan.warmup))):
        due = plan.due(start, index)
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    elapsed = tally.finished - (start + plan.warmup) if tally.latencies else 0.0
    return summary(plan, tally.latencies, tally.statuses, tally.kinds, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--key", default="none")
    parser.add_argument("--bodies", type=Path, required=True, help="JSON Lines, one request body a line")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--burst", type=int, default=1, help="Requests due at once (open loop, same mean rate)")
    args = parser.parse_args()
    bodies = [line.encode() for line in args.bodies.read_text(encoding="utf-8").splitlines() if line]
    job = run(Plan(args.url, args.rate, args.seconds, args.warmup, args.key, args.connections, args.burst), bodies)
    try:
        import uvloop  # noqa: PLC0415 (optional: a faster event loop for the generator)
    except ImportError:
        result = asyncio.run(job)
    else:
        result = uvloop.run(job)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
