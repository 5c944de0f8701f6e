"""What a format reader hands on: a batch in the canonical schema, not yet validated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa


@dataclass(frozen=True)
class Candidate:
    """A batch cast onto a v1 schema, with where each row came from.

    ``rows`` holds each row's 1-based number in ``file`` (the line number for JSON
    Lines); ``raw(i)`` gives row ``i`` as it was read, for the quarantine file.
    """

    batch: pa.RecordBatch
    file: str
    rows: npt.NDArray[np.int64]
    raw: Callable[[int], object]
