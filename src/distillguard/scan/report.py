"""``report.html``: the analyst's report, one self-contained file (inline CSS and SVG, no scripts, no network).

Campaigns come ranked by confidence, each with its summary (family shares over the prompts
the classifiers sampled, with the sample's size), the evidence that ties it together, a daily
timeline, the capability mix, the model pivot, what the gateway's policy would do with its
accounts, every account with its verdict, action and strongest reasons (in pages of
``PAGE_ACCOUNTS``, folded with ``<details>`` so the page stays readable without a script), and
example prompts. Prompts are redacted by default: the report then shows each example's template
skeleton (the six words at each end of the prompt, the middle masked, numbers masked) and the
classifier's evidence; a prompt of twelve words or fewer is withheld whole, since its skeleton
would be the prompt itself. ``--no-redact`` shows the prompt's first characters. Flagged accounts
outside any campaign follow, then the benign clusters: linked groups judged legitimate, each
with the reason.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Final

import polars as pl

from distillguard.schema import BenignCluster, Campaign

PAGE_ACCOUNTS: Final = 100
EXAMPLES_SHOWN: Final = 5
SINGLES_SHOWN: Final = 100
BENIGN_ACCOUNTS_SHOWN: Final = 50
REASONS_SHOWN: Final = 4
ACCOUNT_COLUMNS: Final = ["account", "verdict", "risk", "gateway action", "strongest reasons"]

_CSS: Final = "\n".join(
    [
        "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:72rem;"
        "color:#1d2430;padding:0 1rem}",
        "h1{font-size:1.6rem;margin-bottom:.2rem}",
        "h2{margin-top:2.2rem;border-bottom:2px solid #d8dee8;padding-bottom:.3rem}",
        "h3{margin:1.2rem 0 .4rem}",
        ".muted{color:#5b6676}",
        ".card{border:1px solid #d8dee8;border-radius:8px;padding:1rem 1.2rem;margin:1.2rem 0}",
        "table{border-collapse:collapse;width:100%;margin:.4rem 0}",
        "th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eef1f5;vertical-align:top}",
        "th{background:#f5f7fa;font-weight:600}",
        ".num{text-align:right;font-variant-numeric:tabular-nums}",
        ".block{color:#fff;background:#b42318;border-radius:4px;padding:0 .4rem}",
        ".review{background:#fdb022;border-radius:4px;padding:0 .4rem}",
        ".allow{background:#e4e7ec;border-radius:4px;padding:0 .4rem}",
        "code{background:#f5f7fa;padding:0 .2rem;border-radius:3px;word-break:break-all}",
        ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:.6rem}",
        ".stat{background:#f5f7fa;border-radius:6px;padding:.5rem .8rem}",
        ".stat b{display:block;font-size:1.3rem}",
        "ul{margin:.2rem 0 .2rem 1.2rem;padding:0}",
        "details{margin:.3rem 0}summary{cursor:pointer;color:#3e63dd}",
    ]
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _verdict(verdict: str) -> str:
    return f'<span class="{_e(verdict)}">{_e(verdict)}</span>'


def _timeline(days: list[dict[str, Any]]) -> str:
    if not days:
        return ""
    width, height = 720, 90
    peak = max(d["exchanges"] for d in days) or 1
    bar = width / len(days)
    bars = "".join(
        f'<rect x="{i * bar:.1f}" y="{height - 14 - (d["exchanges"] / peak) * (height - 20):.1f}" '
        f'width="{max(bar - 1, 1):.1f}" height="{(d["exchanges"] / peak) * (height - 20):.1f}" fill="#3e63dd">'
        f"<title>{_e(d['day'])}: {d['exchanges']:,} exchanges</title></rect>"
        for i, d in enumerate(days)
    )
    labels = (
        f'<text x="0" y="{height - 2}" font-size="10" fill="#5b6676">{_e(days[0]["day"])}</text>'
        f'<text x="{width}" y="{height - 2}" font-size="10" fill="#5b6676" text-anchor="end">'
        f"{_e(days[-1]['day'])}</text>"
    )
    return (
        f'<svg role="img" aria-label="exchanges per day" viewBox="0 0 {width} {height}" width="100%" '
        f'height="{height}">{bars}{labels}</svg>'
    )


def _table(rows: list[list[str]], header: list[str], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{_e(h)}</th>" for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _codes(values: list[str], separator: str) -> str:
    return separator.join(f"<code>{_e(x)}</code>" for x in values) or "none shared"


def _account_rows(frame: pl.DataFrame) -> list[list[str]]:
    return [
        [
            f"<code>{_e(r['account_id'])}</code>",
            _verdict(r["verdict"]),
            f"{r['risk']:.3f}",
            _e(r.get("action") or "-"),
            "<ul>" + "".join(f"<li>{_e(x)}</li>" for x in (r["reasons"] or [])[:REASONS_SHOWN]) + "</ul>",
        ]
        for r in frame.iter_rows(named=True)
    ]


def _account_pages(members: pl.DataFrame) -> str:
    """Every account, riskiest first, in folded pages of ``PAGE_ACCOUNTS`` (the first one open)."""
    pages = []
    for start in range(0, members.height, PAGE_ACCOUNTS):
        page = members.slice(start, PAGE_ACCOUNTS)
        label = f"accounts {start + 1:,}-{start + page.height:,} of {members.height:,}"
        pages.append(
            f"<details{' open' if start == 0 else ''}><summary>{label}</summary>"
            f"{_table(_account_rows(page), ACCOUNT_COLUMNS, {2})}</details>"
        )
    return "".join(pages)


def _actions(actions: dict[str, int]) -> str:
    return ", ".join(f"{_e(a)} {n:,}" for a, n in sorted(actions.items())) or "-"


def _redacted(skeleton: str) -> str:
    """A long prompt's skeleton (fixed ends, middle masked); a short prompt is its skeleton whole, so it is withheld."""
    return skeleton if " … " in skeleton else f"(short prompt of {len(skeleton.split())} words withheld)"


def _examples(examples: pl.DataFrame, redact: bool) -> str:
    if examples.height == 0:
        return '<p class="muted">No sampled prompt of these accounts fired a classifier.</p>'
    items = []
    for r in examples.iter_rows(named=True):
        text = _redacted(r["skeleton"]) if redact else r["prompt"]
        items.append(
            f"<li><b>{_e(r['family'])}</b> ({r['score']:.2f}) <code>{_e(text)}</code>"
            + (f'<br><span class="muted">{_e(r["evidence"])}</span>' if r["evidence"] else "")
            + "</li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def _campaign(campaign: Campaign, accounts: pl.DataFrame, examples: pl.DataFrame, redact: bool) -> str:
    members = accounts.filter(pl.col("campaign_id") == campaign["campaign_id"]).sort("risk", descending=True)
    ind = campaign["indicators"]
    caps = "".join(f"<tr><td>{_e(k)}</td><td class=num>{v:,}</td></tr>" for k, v in campaign["capabilities"].items())
    models = "".join(f"<tr><td>{_e(k)}</td><td class=num>{v:,}</td></tr>" for k, v in campaign["models"].items())
    pivot = campaign.get("model_pivot")
    pivot_html = (
        f"<p>Model pivot: {_e(pivot['model'])} released {_e(pivot['released'])}, first used by the campaign "
        f"{pivot['hours_after_release']} h later; {100 * pivot['share_after_release']:.0f}% of its traffic "
        "after the release.</p>"
        if pivot
        else ""
    )
    chosen = examples.join(members.select("account_id"), on="account_id", how="semi").head(EXAMPLES_SHOWN)
    return f"""
<div class="card" id="{_e(campaign["campaign_id"])}">
<h3>{_e(campaign["campaign_id"])} <span class="muted">confidence {campaign["confidence"]:.3f}</span></h3>
<p>{_e(campaign["summary"])}</p>
<div class="grid">
<div class="stat"><b>{len(campaign["accounts"]):,}</b>accounts</div>
<div class="stat"><b>{campaign["exchanges"]:,}</b>exchanges</div>
<div class="stat"><b>{_e(campaign["first_seen"][:10])}</b>first seen</div>
<div class="stat"><b>{_e(campaign["last_seen"][:10])}</b>last seen</div>
<div class="stat"><b>{campaign.get("sampled_prompts", {}).get("prompts", 0):,}</b>prompts sampled</div>
</div>
<h4>Timeline (exchanges per day)</h4>{_timeline(campaign.get("timeline", []))}
<div class="grid"><div><h4>Capabilities (exchanges, estimated from the sample)</h4><table>{caps}</table></div>
<div><h4>Models</h4><table>{models}</table>{pivot_html}</div></div>
<h4>Indicators</h4>
<p>Links: {_e(", ".join(f"{k}: {v:,}" for k, v in campaign["links"].items()))}</p>
<p>Payment fingerprints: {_codes(ind["payment_fingerprints"][:12], ", ")}</p>
<p>Client addresses: {_codes(ind["ips"][:12], ", ")}</p>
<p>Templates: {_codes(ind["templates"], "<br>")}</p>
<h4>Example prompts{" (redacted to their templates)" if redact else ""}</h4>{_examples(chosen, redact)}
<h4>Accounts ({members.height:,}, riskiest first); the gateway's policy: {_actions(campaign.get("actions", {}))}</h4>
{_account_pages(members)}
</div>"""


def _contamination(calibration: dict[str, Any]) -> str:
    """How the reference was cleaned, and where its lines would sit without it."""
    excluded = calibration.get("reference_excluded", 0)
    naive = calibration.get("naive_block_points")
    if naive is None:
        return ""
    return _e(
        f"{excluded:,} reference accounts left out as campaign members, quantiles trimmed by "
        f"{100 * calibration.get('trimmed', 0):g}%; on the whole reference the lines would be "
        f"{naive:.2f} and {calibration.get('naive_review_points', 0):.2f}."
    )


def _benign(cluster: BenignCluster) -> str:
    shown = cluster["accounts"][:BENIGN_ACCOUNTS_SHOWN]
    more = len(cluster["accounts"]) - len(shown)
    return (
        f'<div class="card" id="{_e(cluster["cluster_id"])}"><h3>{_e(cluster["cluster_id"])}</h3>'
        f"<p>{_e(cluster['reason'])}</p><details><summary>{len(cluster['accounts']):,} accounts</summary>"
        f"<p>{_codes(shown, ', ')}{f' and {more:,} more (campaigns.json)' if more > 0 else ''}</p></details></div>"
    )


def render_report(
    summary: dict[str, Any],
    accounts: pl.DataFrame,
    campaigns: list[Campaign],
    examples: pl.DataFrame,
    *,
    redact: bool,
    benign: list[BenignCluster] | None = None,
) -> str:
    """The report as one HTML document."""
    verdicts = summary["verdicts"]
    calibration = summary["calibration"]
    singles = (
        accounts.filter((pl.col("verdict") != "allow") & pl.col("campaign_id").is_null())
        .sort("risk", descending=True)
        .head(SINGLES_SHOWN)
    )
    ranked = _table(
        [
            [
                f'<a href="#{_e(c["campaign_id"])}">{_e(c["campaign_id"])}</a>',
                f"{c['confidence']:.3f}",
                f"{len(c['accounts']):,}",
                f"{c['exchanges']:,}",
                _e(next(iter(c.get("sampled_prompts", {}).get("families", {})), "-")),
                _actions(c.get("actions", {})),
                _e(c["first_seen"][:10]),
                _e(c["last_seen"][:10]),
            ]
            for c in campaigns
        ],
        [
            "campaign",
            "confidence",
            "accounts",
            "exchanges",
            "main family (sampled)",
            "gateway action",
            "first seen",
            "last seen",
        ],
        {1, 2, 3},
    )
    benign = benign or []
    rejected = summary["exchanges_rejected"]
    rejected_note = f" ({rejected:,} rejected, see rejected.jsonl)" if rejected else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>distillguard scan report</title><style>{_CSS}</style></head><body>
<h1>Distillation scan</h1>
<p class="muted">{_e(summary["dataset"])}</p>
<div class="grid">
<div class="stat"><b>{summary["exchanges_accepted"]:,}</b>exchanges scanned{rejected_note}</div>
<div class="stat"><b>{summary["accounts"]:,}</b>accounts</div>
<div class="stat"><b>{len(campaigns):,}</b>campaigns</div>
<div class="stat"><b>{verdicts["block"]:,} / {verdicts["review"]:,}</b>accounts to block / review</div>
</div>
<p class="muted">Calibrated on {calibration["reference_accounts"]:,} {_e(calibration["reference"])} reference accounts
at a target
false-positive rate of {100 * calibration["target_fpr"]:g}%: block from {calibration["block_points"]:.2f} points
({calibration["reference_blocked"]} reference accounts above), review from {calibration["review_points"]:.2f}.
{_contamination(calibration)}</p>
<h2>Campaigns, ranked</h2>{ranked if campaigns else "<p>No campaign found.</p>"}
{"".join(_campaign(c, accounts, examples, redact) for c in campaigns)}
<h2>Flagged accounts outside campaigns</h2>
{_table(_account_rows(singles), ACCOUNT_COLUMNS, {2}) if singles.height else "<p>None.</p>"}
<h2>Benign clusters</h2>
<p class="muted">Linked groups judged legitimate together (an office, a company's cards, a class, apps on one
framework, strangers behind one VPN): reported so that an analyst sees why they are not campaigns. Their
accounts are judged on their own evidence.</p>
{"".join(_benign(b) for b in benign) if benign else "<p>None.</p>"}
</body></html>
"""


def write_report(
    path: Path,
    summary: dict[str, Any],
    accounts: pl.DataFrame,
    campaigns: list[Campaign],
    examples: pl.DataFrame,
    *,
    redact: bool,
    benign: list[BenignCluster] | None = None,
) -> None:
    """Write ``report.html``."""
    page = render_report(summary, accounts, campaigns, examples, redact=redact, benign=benign)
    path.write_text(page, encoding="utf-8")
