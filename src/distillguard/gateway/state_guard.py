"""The state store's calls, bounded: a time budget per request, a breaker while it is down, one log line per interval.

A request makes several state calls (its turns, its evidence, the shared template, its budget,
its tokens); each would wait up to the store's socket timeout, so a frozen store used to hold
a request for several times ``state_timeout_s``. Here every request gets one
:class:`StateBudget` of ``state_timeout_s`` for all its calls together, and each call is
cancelled when the budget is spent. A failed call opens the breaker: for ``state_retry_s`` the
calls fail at once (the engine fails open or closed without waiting), then one call at a time
tries the store again while the others still fail at once. An outage is logged when it starts,
then once per ``state_log_seconds`` with the number of calls that failed meanwhile, and once
more when the store answers again. A store in the process (``memory://``) never waits: its
calls go straight through.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from distillguard.errors import StateUnavailableError

LOG = logging.getLogger("distillguard.gateway")
T = TypeVar("T")


class StateBudget:
    """What is left of one request's time for state calls."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds


class StateGuard:
    """Bounds and watches the calls to one state store (``url`` names it in the log)."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float,
        retry_s: float,
        log_every_s: float,
        failure: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url.rsplit("@", maxsplit=1)[-1]  # no credentials in the log
        self.bounded = url != "memory://"  # a store in the process answers at once: nothing to bound
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.log_every_s = log_every_s
        self.failure = failure
        self._clock = clock
        self._closed_until = 0.0  # the breaker is open (calls fail at once) before this time
        self._down_since: float | None = None
        self._probing = False  # one call is trying the store while it is down
        self._logged_at = 0.0
        self._failed_since_log = 0

    def budget(self) -> StateBudget:
        """A fresh budget for one request."""
        return StateBudget(self.timeout_s)

    @property
    def down(self) -> bool:
        """Whether the last call failed (the outage is not over)."""
        return self._down_since is not None

    async def call(self, budget: StateBudget, make: Callable[[], Awaitable[T]]) -> T:
        """``make()``'s result within the budget; :class:`StateUnavailableError` when it fails or runs out."""
        if not self.bounded:
            return await make()
        now = self._clock()
        probe = self._down_since is not None
        if probe and (now < self._closed_until or self._probing):
            self._failed(now, None)
            raise StateUnavailableError(f"{self.url}: unavailable (tried again every {self.retry_s:g} s)")
        if budget.left <= 0:
            raise StateUnavailableError(f"{self.url}: this request's {self.timeout_s:g} s for state calls is spent")
        self._probing = self._probing or probe
        try:
            async with asyncio.timeout(budget.left):
                result = await make()
        except TimeoutError:
            error = StateUnavailableError(f"{self.url}: no answer within {self.timeout_s:g} s")
            self._spend(budget, now)
            self._failed(self._clock(), error)
            raise error from None
        except StateUnavailableError as exc:
            self._spend(budget, now)
            self._failed(self._clock(), exc)
            raise
        finally:
            if probe:
                self._probing = False
        self._spend(budget, now)
        if self._down_since is not None:
            self._recovered(self._clock())
        return result

    def _spend(self, budget: StateBudget, started: float) -> None:
        budget.left -= self._clock() - started

    def _failed(self, now: float, error: StateUnavailableError | None) -> None:
        if error is not None:
            self._closed_until = now + self.retry_s
        self._failed_since_log += 1
        if self._down_since is None:
            self._down_since = self._logged_at = now
            LOG.warning(
                "state store unavailable, failing %s: %s (calls fail at once for %g s after each failure; "
                "reported again in %g s)",
                self.failure,
                error,
                self.retry_s,
                self.log_every_s,
            )
            self._failed_since_log = 0
        elif now - self._logged_at >= self.log_every_s:
            LOG.warning(
                "state store %s still unavailable after %.0f s, failing %s: %d state calls failed in the last %.0f s",
                self.url,
                now - self._down_since,
                self.failure,
                self._failed_since_log,
                now - self._logged_at,
            )
            self._logged_at, self._failed_since_log = now, 0

    def _recovered(self, now: float) -> None:
        assert self._down_since is not None
        LOG.warning(
            "state store %s answers again after %.1f s unavailable (%d state calls failed since the last report)",
            self.url,
            now - self._down_since,
            self._failed_since_log,
        )
        self._down_since, self._failed_since_log = None, 0
