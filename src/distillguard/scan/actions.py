"""What the gateway's policy would do with each account, given the scan's verdict.

The scan decides nothing itself: it hands its verdicts to the gateway (``accounts.parquet``),
whose policy (``[policy]`` in the gateway's configuration, per tier) turns a verdict into an
action. For the report, each account's verdict goes through that very code,
:func:`distillguard.gateway.policy.decide`, as the gateway reads it (a
:class:`~distillguard.gateway.decisions.ScanDecision`) with no online evidence yet, so the
report shows what the gateway will do on the account's next request. Without a gateway
configuration the gateway's defaults apply (review: flag, block: block).
"""

from __future__ import annotations

from typing import cast

import polars as pl

from distillguard.gateway.decisions import ScanDecision
from distillguard.gateway.policy import decide
from distillguard.gateway.settings import GatewaySettings
from distillguard.gateway.state import OnlineView
from distillguard.schema import Verdict
from distillguard.signals.extraction import FAMILIES


def policy_actions(accounts: pl.DataFrame, settings: GatewaySettings) -> pl.Series:
    """The action for each row of ``accounts`` (``verdict``, ``tier``, ``campaign_id``), in row order."""
    tiers = accounts["tier"].fill_null(settings.default_tier) if "tier" in accounts.columns else None
    frame = accounts.select("verdict").with_columns(
        (tiers if tiers is not None else pl.lit(settings.default_tier)).alias("tier")
    )
    pairs = frame.unique().sort("tier", "verdict")
    actions = []
    for tier, verdict in pairs.select("tier", "verdict").iter_rows():
        scan = ScanDecision(cast(Verdict, verdict), None, ()) if verdict != "allow" else None
        actions.append(decide(tier, scan, OnlineView(), families=FAMILIES, fired=(), settings=settings).action)
    table = pairs.with_columns(pl.Series("action", actions, dtype=pl.String))
    return frame.join(table, on=["tier", "verdict"], how="left", maintain_order="left")["action"]
