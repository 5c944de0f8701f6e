"""forensics.json and forensics.html: the probe run written for an analyst (self-contained page)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import orjson

from distillguard.forensics.probes import ProbeReport

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;"
    "vertical-align:top}th{background:#f3f3f3}.low{color:#a00;font-weight:bold}.err{color:#a00}"
    "details{margin:.5em 0}pre{white-space:pre-wrap;font-size:.85em}"
)


def _p(value: float) -> str:
    text = f"{value:.3g}"
    return f'<span class="low">{text}</span>' if value < 0.01 else text


def render_html(record: dict[str, Any]) -> str:
    """The report as one HTML page."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(t['name'])}</td><td>{e(t['null'])}</td><td>{_p(t['p_value'])}</td>"
        f"<td>{_p(record['combined']['holm_adjusted'].get(t['name'], 1.0))}</td><td>{e(t['evidence'])}</td></tr>"
        for t in record["tests"]
    )
    models = "".join(
        f"<tr><td>{e(m['label'])}</td><td>{m['seconds']}</td>"
        f"<td class='err'>{e(m['error'] or '')}</td><td>{sum(len(v) for v in m['answers'].values())}</td></tr>"
        for m in record["models"]
    )
    samples = "".join(
        f"<details><summary>{e(m['label'])}: sample answers</summary><pre>"
        + e(
            "\n\n".join(
                f"[{probe_id}] {text}"
                for section in ("identity", "agreement", "style")
                for probe_id, text in m["answers"].get(section, [])[:6]
            )
        )
        + "</pre></details>"
        for m in record["models"]
    )
    combined = record["combined"]
    verdict = (
        f"<p class='err'>{e(record['error'])}</p>"
        if record.get("error")
        else f"<p>Global p-value {_p(combined['global_p_value'])} over {combined['tests']} tests "
        f"({e(combined['method'])}).</p>"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>distillguard forensics: "
        f"{e(record['suspect'])}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Suspect {e(record['suspect'])} against teacher {e(record['teacher'])}</h1>"
        f"<p>References: {e(', '.join(record['references']))}</p>{verdict}"
        "<table><tr><th>test</th><th>null hypothesis</th><th>p-value</th><th>Holm-adjusted</th><th>evidence</th></tr>"
        f"{rows}</table><h2>Models</h2><table><tr><th>model</th><th>seconds</th><th>error</th><th>answers</th></tr>"
        f"{models}</table>{samples}</body></html>"
    )


def write_report(report: ProbeReport, out: Path) -> dict[str, Any]:
    """Write forensics.json and forensics.html into ``out``; return the record."""
    out.mkdir(parents=True, exist_ok=True)
    record = report.record()
    (out / "forensics.json").write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    (out / "forensics.html").write_text(render_html(record), encoding="utf-8")
    return record
