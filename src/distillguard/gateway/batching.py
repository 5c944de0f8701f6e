"""Micro-batching: the turns of concurrent requests scored together by the batch path.

A burst of requests reaches the engine within one turn of the event loop; scored one request
at a time, each pays the whole fixed cost of a call to :func:`run_signals`, and the last of a
burst of 100 waits for 99 of them. :class:`ScoringBatcher` collects the texts of every request
that asks within one pass of the event loop and scores them in one call, which takes the
column path (polars, sparse matrices) from ``tokens.SMALL_BATCH`` texts on; each request gets
its own rows back. A lone request is scored at once, as before, one pass of the loop later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final

from distillguard.signals.detectors import SignalBatch, run_signals
from distillguard.signals.extraction import ExtractionModel

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

    def __init__(self, model: ExtractionModel, max_batch: int = MAX_BATCH) -> None:
        self.model = model
        self.max_batch = max_batch
        self._waiting: list[tuple[Sequence[str], asyncio.Future[SignalBatch]]] = []
        self._scheduled = False
        self._empty = run_signals([], model)
        self.batches = 0  # calls made, for the metrics
        self.texts = 0  # texts scored

    async def score(self, texts: Sequence[str]) -> SignalBatch:
        """``texts`` scored (with the texts of the other requests waiting now)."""
        if not texts:
            return self._empty
        loop = asyncio.get_running_loop()
        future: asyncio.Future[SignalBatch] = loop.create_future()
        self._waiting.append((texts, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)  # after every request already woken in this pass has asked
        return await future

    def _flush(self) -> None:
        taken, size = 0, 0
        while taken < len(self._waiting) and (taken == 0 or size + len(self._waiting[taken][0]) <= self.max_batch):
            size += len(self._waiting[taken][0])
            taken += 1
        waiting, self._waiting = self._waiting[:taken], self._waiting[taken:]
        if self._waiting:
            asyncio.get_running_loop().call_soon(self._flush)  # the rest after the loop has served a pass
        else:
            self._scheduled = False
        texts = [text for asked, _ in waiting for text in asked]
        try:
            batch = run_signals(texts, self.model)
        except Exception as exc:  # a bug in scoring fails its requests (answered 500), not the loop
            for _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.texts += len(texts)
        start = 0
        for asked, future in waiting:
            if not future.done():  # a request cancelled meanwhile (its client left) takes nothing
                future.set_result(rows_of(batch, start, start + len(asked)))
            start += len(asked)
