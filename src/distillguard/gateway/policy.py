"""One request's decision: the last scan's verdict, the account's online evidence, the policy's action.

The verdict is the strongest of three: what the last ``scan`` said of the account (campaign
members and other flagged accounts, pushed as ``accounts.parquet``), what the account's recent
requests say on their own (a high, sustained share of one extraction family; with template
reuse as well, a block), and whether the prompt's extraction template came from many accounts
at once. The action is the policy's for the account's tier and that verdict. Every decision
carries readable reasons, strongest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from distillguard.gateway.decisions import ScanDecision
from distillguard.gateway.settings import GatewaySettings
from distillguard.gateway.state import OnlineView
from distillguard.schema import Action, Verdict

RANK: Final[dict[Verdict, int]] = {"allow": 0, "review": 1, "block": 2}


@dataclass(frozen=True)
class Decision:
    """What the gateway does with one request, and why."""

    verdict: Verdict
    action: Action
    reasons: tuple[str, ...]
    campaign_id: str | None = None


def online_verdict(view: OnlineView, families: tuple[str, ...], settings: GatewaySettings) -> tuple[Verdict, str]:
    """The verdict of the account's recent requests alone, with its reason ('' for allow)."""
    online = settings.online
    if view.requests < online.min_requests or not view.families:
        return "allow", ""
    top = max(range(len(view.families)), key=view.share)
    share = view.share(top)
    reuse = view.reuse_share
    described = (
        f"{share:.0%} of the account's last ~{view.requests:.0f} requests (decayed) are {families[top]}, "
        f"{reuse:.0%} reuse one of its templates"
    )
    if share >= online.block_share and reuse >= online.block_template_share:
        return "block", described
    if share >= online.review_share:
        return "review", described
    return "allow", ""


def _weigh(verdict: Verdict, candidate: Verdict, reason: str, reasons: list[str]) -> Verdict:
    """The stronger of ``verdict`` and ``candidate``; ``reason`` goes first when the candidate wins, else last."""
    stronger = RANK[candidate] > RANK[verdict]
    reasons.insert(0 if stronger else len(reasons), reason)
    return candidate if stronger else verdict


def decide(
    tier: str,
    scan: ScanDecision | None,
    view: OnlineView,
    *,
    families: tuple[str, ...],
    fired: tuple[str, ...],
    settings: GatewaySettings,
    senders: int = 0,
    template: str = "",
) -> Decision:
    """The decision for one request of an account of ``tier``.

    ``senders`` is how many accounts sent this prompt's template, when an extraction family fired
    on it, within the shared-template window: many accounts on one extraction wrapper at once is
    the cross-account sign the gateway can see live (the scan weighs it with everything else).
    """
    reasons: list[str] = []
    verdict: Verdict = "allow"
    campaign = None
    if scan is not None and scan.verdict != "allow":
        verdict = scan.verdict
        campaign = scan.campaign_id
        head = f"last scan: {scan.verdict}" + (f" (campaign {scan.campaign_id})" if scan.campaign_id else "")
        reasons.append(head)
        reasons.extend(scan.reasons)
    live, why = online_verdict(view, families, settings)
    if live != "allow":
        verdict = _weigh(verdict, live, f"online {live}: {why}", reasons)
    online = settings.online
    if fired and senders >= online.shared_template_accounts:
        shared = online.shared_template_verdict
        why = (
            f"online {shared}: template {template} ({', '.join(fired)}) came from {senders} accounts "
            f"in the last {online.shared_template_window_minutes:g} minutes"
        )
        verdict = _weigh(verdict, shared, why, reasons)
    if fired:
        reasons.append("this prompt: " + ", ".join(fired))
    return Decision(verdict, settings.policy.action(tier, verdict), tuple(reasons), campaign)
