"""When, from where and how much: timing, infrastructure and account metadata per group.

Behaviour has no public corpus, so it follows what the reports describe: humans with
diurnal and weekly rhythms, apps and pipelines at a steady 24/7 load, researchers in
bursts, campaigns new at full volume from day one, synchronized across accounts that
share payment methods, hydra clusters rotating residential addresses and replacing
retired accounts.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

Rng = np.random.Generator
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# Share of a human's traffic in each local hour (sleep at night, peaks at work and evening).
_DIURNAL = np.array(
    [
        0.3,
        0.2,
        0.1,
        0.1,
        0.1,
        0.2,
        0.5,
        1.0,
        1.6,
        2.0,
        2.2,
        2.2,
        1.9,
        2.0,
        2.1,
        2.1,
        2.0,
        1.8,
        1.7,
        1.9,
        2.0,
        1.8,
        1.2,
        0.6,
    ]
)
_DIURNAL = _DIURNAL / _DIURNAL.sum()
_WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.45, 0.4])
SECONDS_PER_DAY = 86_400.0


def counts_per_account(rng: Rng, accounts: int, total: float, spread: float) -> I64:
    """Heavy-tailed exchange counts (lognormal shares) summing to about ``total``, at least 1 each."""
    shares = rng.lognormal(0.0, spread, accounts) if spread > 0 else np.ones(accounts)
    counts: I64 = np.maximum(1, np.round(shares / shares.sum() * total)).astype(np.int64)
    return counts


def human_times(rng: Rng, account_of_row: I64, start_day: float, days: float, start_weekday: int) -> F64:
    """Seconds from the scenario start, diurnal and weekly, each account in its own time zone."""
    n = account_of_row.size
    zone = (stable_ints(account_of_row, 24) - 12).astype(np.float64)
    day_count = max(1, int(np.ceil(days)))
    weights = _WEEKDAY[(start_weekday + np.arange(day_count) + int(start_day)) % 7]
    day = rng.choice(day_count, size=n, p=weights / weights.sum()).astype(np.float64)
    hour = rng.choice(24, size=n, p=_DIURNAL).astype(np.float64)
    seconds = (start_day + day) * SECONDS_PER_DAY + ((hour - zone) % 24) * 3_600 + rng.uniform(0, 3_600, n)
    return np.clip(seconds, start_day * SECONDS_PER_DAY, (start_day + days) * SECONDS_PER_DAY - 1)


def class_times(
    rng: Rng, account_of_row: I64, class_of_account: I64, window: tuple[float, float], start_weekday: int
) -> F64:
    """Classes: each meets every school day at its own hour in its school's time zone; a fifth is homework.

    Members of a class work in the same hour on the same days (a lockstep of a benign kind), the rest
    of their traffic follows the human rhythm of each student.
    """
    start_day, days = window
    n = account_of_row.size
    classes = class_of_account[account_of_row]
    zone = (stable_ints(classes, 24) - 12).astype(np.float64)
    hour = (8 + stable_ints(classes * 7 + 1, 8)).astype(np.float64)
    day_count = max(1, int(np.ceil(days)))
    weekdays = (start_weekday + np.arange(day_count) + int(start_day)) % 7
    school_days = np.flatnonzero(weekdays < 5).astype(np.float64)
    if school_days.size == 0:
        school_days = np.arange(day_count, dtype=np.float64)
    day = school_days[rng.integers(0, school_days.size, n)]
    seconds = (start_day + day) * SECONDS_PER_DAY + ((hour - zone) % 24) * 3_600 + rng.uniform(0, 3_000, n)
    homework = rng.random(n) < 0.2
    seconds[homework] = human_times(rng, account_of_row[homework], start_day, days, start_weekday)
    return np.clip(seconds, start_day * SECONDS_PER_DAY, (start_day + days) * SECONDS_PER_DAY - 1)


def steady_times(rng: Rng, n: int, start_day: float, days: float) -> F64:
    """Uniform around the clock: no idle periods."""
    return rng.uniform(start_day * SECONDS_PER_DAY, (start_day + days) * SECONDS_PER_DAY, n)


def lockstep_times(rng: Rng, account_of_row: I64, accounts: int, start_day: float, days: float) -> F64:
    """Shared ticks: every account fires within the same 30-second windows (synchronized load)."""
    n = account_of_row.size
    ticks = max(1, n // max(1, accounts))
    starts = np.sort(rng.uniform(start_day * SECONDS_PER_DAY, (start_day + days) * SECONDS_PER_DAY - 30, ticks))
    return starts[rng.integers(0, ticks, n)] + rng.uniform(0, 30, n)


def burst_times(rng: Rng, account_of_row: I64, start_day: float, days: float) -> F64:
    """An evaluation run: each account sends its items in a few bursts, about a second apart."""
    n = account_of_row.size
    bursts = 3
    burst_of_row = rng.integers(0, bursts, n)
    key = account_of_row * bursts + burst_of_row
    burst_start = start_day * SECONDS_PER_DAY + (
        stable_ints(key, 10_000_000) / 10_000_000 * max(1.0, days - 0.5) * SECONDS_PER_DAY
    )
    order = np.argsort(key, kind="stable")
    rank = np.empty(n, dtype=np.float64)
    sorted_keys = key[order]
    first = np.searchsorted(sorted_keys, sorted_keys, side="left")
    rank[order] = np.arange(n) - first
    return np.minimum(burst_start + rank * rng.uniform(0.5, 1.5, n), (start_day + days) * SECONDS_PER_DAY - 1)


def shift_times(rng: Rng, account_of_row: I64, accounts: int, start_day: float, days: float) -> tuple[F64, F64]:
    """Hydra replacement: a quarter of the accounts live at once; each retires and a fresh one takes over.

    Returns the row times and each account's first moment (for its sign-up time).
    """
    concurrent = max(1, accounts // 4)
    shifts = int(np.ceil(accounts / concurrent))
    length = days / shifts * SECONDS_PER_DAY
    account_start = (start_day * SECONDS_PER_DAY + (np.arange(accounts) // concurrent) * length).astype(np.float64)
    return account_start[account_of_row] + rng.uniform(0, length, account_of_row.size), account_start


def stable_ints(values: I64, modulo: int) -> I64:
    """A stable pseudo-random integer in ``[0, modulo)`` for each value (no generator state)."""
    mixed = (values.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(17)
    return (mixed % np.uint64(modulo)).astype(np.int64)


def ip_pool(seed_text: str, size: int, residential: bool) -> list[str]:
    """Stable addresses for one group: residential pools spread widely, servers sit in one block."""
    out = []
    for i in range(size):
        digest = hashlib.blake2b(f"{seed_text}/{i}".encode(), digest_size=4).digest()
        if residential:
            out.append(f"{digest[0] % 180 + 24}.{digest[1]}.{digest[2]}.{digest[3] % 254 + 1}")
        else:
            out.append(f"{digest[0] % 60 + 130}.{digest[1]}.{i // 250 % 250}.{i % 250 + 1}")
    return out


def fingerprint(text: str) -> str:
    """An opaque payment fingerprint."""
    return "pm_" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
