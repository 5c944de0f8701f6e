"""Micro-batching: the turns of concurrent requests scored together by the batch path.

A burst of requests reaches the engine within one turn of the event loop; scored one request
at a time, each pays the whole fixed cost of a call to :func:`run_signals`, and the last of a
burst of 100 waits for 99 of them. :class:`ScoringBatcher` collects the texts of every request
that asks within one pass of the event loop and scores them in one call, which takes the
column path (polars, sparse matrices) from ``tokens.SMALL_BATCH`` texts on; each request gets
its own rows back. A lone request is scored at once, as before, one pass of the loop later.

A batch of ``thread_from`` texts or more is scored in a worker thread, one batch at a time, so
that the event loop goes on reading, forwarding and answering requests meanwhile (the column
path spends much of its time in polars and numpy, which release the interpreter lock); the
requests that ask while it runs make the next batch. Smaller batches are scored on the loop,
where a thread's hand-over would cost more than it frees.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from distillguard.signals.detectors import SignalBatch, run_signals
from distillguard.signals.extraction import ExtractionModel
from distillguard.signals.tokens import SMALL_BATCH

#: Texts scored in one call at most; a larger burst is scored in several, the event loop serving between them.
MAX_BATCH: Final = 256


def rows_of(batch: SignalBatch, start: int, stop: int) -> SignalBatch:
    """The rows ``start:stop`` of a batch's results."""
    return SignalBatch(
        batch.families,
        batch.scores[start:stop],
        batch.templates[start:stop],
        batch.skeletons[start:stop],
        batch.evidence[start:stop],
    )


class ScoringBatcher:
    """Scores the texts of the requests waiting in one pass of the event loop with one call."""

    def __init__(self, model: ExtractionModel, max_batch: int = MAX_BATCH, thread_from: int = SMALL_BATCH) -> None:
        self.model = model
        self.max_batch = max_batch
        self.thread_from = thread_from
        self._waiting: list[tuple[Sequence[str], asyncio.Future[SignalBatch]]] = []
        self._scheduled = False  # a flush is due in the loop
        self._threaded = False  # a batch is being scored in the worker thread
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring")
        self._empty = run_signals([], model)
        self.batches = 0  # calls made, for the metrics
        self.texts = 0  # texts scored

    def close(self) -> None:
        """Stop the worker thread."""
        self._pool.shutdown(wait=True)

    async def score(self, texts: Sequence[str]) -> SignalBatch:
        """``texts`` scored (with the texts of the other requests waiting now)."""
        if not texts:
            return self._empty
        loop = asyncio.get_running_loop()
        future: asyncio.Future[SignalBatch] = loop.create_future()
        self._waiting.append((texts, future))
        if not self._scheduled and not self._threaded:
            self._scheduled = True
            loop.call_soon(self._flush)  # after every request already woken in this pass has asked
        return await future

    def _take(self) -> list[tuple[Sequence[str], asyncio.Future[SignalBatch]]]:
        taken, size = 0, 0
        while taken < len(self._waiting) and (taken == 0 or size + len(self._waiting[taken][0]) <= self.max_batch):
            size += len(self._waiting[taken][0])
            taken += 1
        waiting, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return waiting

    def _flush(self) -> None:
        self._scheduled = False
        waiting = self._take()
        texts = [text for asked, _ in waiting for text in asked]
        loop = asyncio.get_running_loop()
        if len(texts) >= self.thread_from:
            self._threaded = True
            job = loop.run_in_executor(self._pool, run_signals, texts, self.model)
            job.add_done_callback(lambda done: self._scored(waiting, done))
            return
        try:
            batch = run_signals(texts, self.model)
        except Exception as exc:  # a bug in scoring fails its requests (answered 500), not the loop
            self._hand_out(waiting, exc)
        else:
            self._hand_out(waiting, batch)
        self._next(loop)

    def _scored(
        self, waiting: list[tuple[Sequence[str], asyncio.Future[SignalBatch]]], done: asyncio.Future[SignalBatch]
    ) -> None:
        self._threaded = False
        if done.cancelled():
            self._hand_out(waiting, RuntimeError("scoring was cancelled"))
        else:
            error = done.exception()
            self._hand_out(waiting, error if isinstance(error, Exception) else done.result())
        self._next(asyncio.get_running_loop())

    def _next(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._waiting and not self._scheduled and not self._threaded:
            self._scheduled = True
            loop.call_soon(self._flush)  # the rest after the loop has served a pass

    def _hand_out(
        self, waiting: list[tuple[Sequence[str], asyncio.Future[SignalBatch]]], result: SignalBatch | Exception
    ) -> None:
        if isinstance(result, SignalBatch):
            self.batches += 1
            self.texts += len(result.templates)
        start = 0
        for asked, future in waiting:
            if future.done():  # a request cancelled meanwhile (its client left) takes nothing
                pass
            elif isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(rows_of(result, start, start + len(asked)))
            start += len(asked)
