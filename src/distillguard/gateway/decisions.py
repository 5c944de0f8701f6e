"""The last scan's verdicts, pushed to the gateway as ``accounts.parquet`` and re-read when its content changes.

Only accounts the scan did not allow are held (a few per thousand in a normal population),
each with its campaign and its strongest reasons. A file that cannot be read keeps the
previous table in force; the failure is reported to the caller, which logs it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.errors import ConfigError
from distillguard.schema import ACCOUNTS_RESULT_SCHEMA, VERDICTS, Verdict

REASONS_KEPT: Final = 3
_NEEDED: Final = tuple(n for n in ACCOUNTS_RESULT_SCHEMA.names if n != "risk")  # the contract's columns read back


@dataclass(frozen=True)
class ScanDecision:
    """What the last scan said of one account."""

    verdict: Verdict
    campaign_id: str | None
    reasons: tuple[str, ...]


def read_decisions(path: Path) -> dict[str, ScanDecision]:
    """The review and block rows of a scan's ``accounts.parquet``."""
    try:
        schema = pq.read_schema(path)
        missing = [c for c in _NEEDED if c not in schema.names]
        if missing:
            raise ConfigError(f"{path}: not a scan's accounts.parquet (missing {', '.join(missing)})")
        table = pq.read_table(path, columns=list(_NEEDED))
    except FileNotFoundError:
        raise ConfigError(f"{path}: decisions file not found") from None
    except (OSError, pa.ArrowException) as exc:
        raise ConfigError(f"{path}: not a readable Parquet file ({exc})") from exc
    table = table.filter(pc.not_equal(table.column("verdict"), "allow"))
    out: dict[str, ScanDecision] = {}
    for row in table.to_pylist():
        verdict = row["verdict"]
        if verdict not in VERDICTS or verdict == "allow":
            raise ConfigError(f"{path}: account {row['account_id']}: verdict {verdict!r} is not allow/review/block")
        reasons = tuple(row["reasons"] or ())[:REASONS_KEPT]
        out[row["account_id"]] = ScanDecision(cast(Verdict, verdict), row["campaign_id"], reasons)
    return out


class DecisionTable:
    """The decisions in force; :meth:`reload` swaps in a changed file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._digest = b""
        self._decisions: dict[str, ScanDecision] = {}
        if path is not None and path.exists():
            self.reload()

    def __len__(self) -> int:
        return len(self._decisions)

    def reload(self) -> bool:
        """Re-read the file if it changed; ``True`` when it did. Raises :class:`ConfigError` if unreadable."""
        if self.path is None:
            return False
        try:
            with self.path.open("rb") as handle:  # the content, not the modification time, says it changed
                digest = hashlib.file_digest(handle, "sha256").digest()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot read the decisions file ({exc})") from exc
        if digest == self._digest:
            return False
        decisions = read_decisions(self.path)
        self._decisions, self._digest = decisions, digest
        return True

    def get(self, account: str) -> ScanDecision | None:
        """The scan's decision for ``account``; ``None`` when it was allowed or not seen."""
        return self._decisions.get(account)
