"""The scan end to end on a simulated dataset: the contract's outputs, detection, parallel = serial."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from distillguard.cli import main
from distillguard.scan.evaluate import evaluate
from distillguard.scan.run import ScanOptions, scan
from distillguard.schema import ACCOUNTS_RESULT_SCHEMA, CAMPAIGN_ADDED_FIELDS, CAMPAIGN_CONTRACT_FIELDS
from distillguard.simulate.corpus import load_pools
from distillguard.simulate.generator import simulate
from distillguard.simulate.scenario import load_scenario
from distillguard.simulate.text import TextSource
from tests.conftest import CORPORA, corpus_path

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus_path("sweep_gsm8k_train.jsonl")
    out = tmp_path_factory.mktemp("tiny")
    simulate(load_scenario("tiny"), 5, TextSource(load_pools(CORPORA)), out)
    return out


@pytest.fixture(scope="module")
def scanned(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scan")
    result = CliRunner().invoke(main, ["scan", str(tiny), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "campaigns" in result.output
    return out


def test_accounts_follow_the_contract(tiny: Path, scanned: Path) -> None:
    table = pq.read_table(scanned / "accounts.parquet")
    assert table.schema.equals(ACCOUNTS_RESULT_SCHEMA)
    accounts = pl.from_arrow(table)
    assert isinstance(accounts, pl.DataFrame)
    seen = pl.read_parquet(tiny / "exchanges" / "*.parquet", columns=["account_id"])["account_id"].unique()
    assert sorted(accounts["account_id"].to_list()) == sorted(seen.to_list())
    assert accounts["risk"].is_between(0.0, 1.0).all()
    assert set(accounts["verdict"].unique().to_list()) <= {"allow", "review", "block"}
    blocked = accounts.filter(pl.col("verdict") == "block")
    assert blocked.height > 0
    assert (blocked["risk"] >= 0.5).all()  # the block line sits at risk 0.5
    assert blocked["reasons"].list.len().min() >= 2  # type: ignore[operator]
    members = accounts.filter(pl.col("campaign_id").is_not_null())
    assert members["reasons"].list.first().str.starts_with("member of campaign").all()


def test_campaigns_follow_the_contract(scanned: Path) -> None:
    campaigns = json.loads((scanned / "campaigns.json").read_text())["campaigns"]
    assert campaigns
    accounts = pl.read_parquet(scanned / "accounts.parquet")
    for campaign in campaigns:
        assert {
            "campaign_id",
            "accounts",
            "exchanges",
            "first_seen",
            "last_seen",
            "models",
            "capabilities",
            "indicators",
            "confidence",
            "summary",
        } <= set(campaign)  # the contract's fields (exchange-log v1), spelled out here, not imported
        assert set(campaign) == {*CAMPAIGN_CONTRACT_FIELDS, *CAMPAIGN_ADDED_FIELDS}
        assert set(campaign["coverage"]) == {"items", "repeated"}
        assert campaign["coverage"]["repeated"] <= campaign["coverage"]["items"]
        assert set(campaign["indicators"]) >= {"ips", "payment_fingerprints", "templates"}
        assert 0.0 <= campaign["confidence"] <= 1.0
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", campaign["first_seen"])
        assert campaign["first_seen"] <= campaign["last_seen"]
        assert sum(campaign["models"].values()) == campaign["exchanges"]
        assert sum(campaign["capabilities"].values()) == pytest.approx(
            campaign["exchanges"], abs=len(campaign["capabilities"])
        )
        listed = accounts.filter(pl.col("campaign_id") == campaign["campaign_id"])["account_id"].sort().to_list()
        assert listed == campaign["accounts"]
        assert campaign["summary"].startswith(f"{len(campaign['accounts']):,} accounts sent")


def test_the_report_is_self_contained(scanned: Path) -> None:
    page = (scanned / "report.html").read_text()
    assert page.startswith("<!doctype html>")
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    campaigns = json.loads((scanned / "campaigns.json").read_text())["campaigns"]
    for campaign in campaigns:
        assert f'id="{campaign["campaign_id"]}"' in page
    assert "<svg" in page  # the timelines


def test_the_report_lists_every_campaign_account_with_the_policys_action(scanned: Path) -> None:
    page = (scanned / "report.html").read_text()
    campaigns = json.loads((scanned / "campaigns.json").read_text())["campaigns"]
    accounts = pl.read_parquet(scanned / "accounts.parquet")
    for campaign in campaigns:
        for account in campaign["accounts"]:  # all of them, in folded pages, not the riskiest few
            assert f"<td><code>{account}</code></td>" in page
        blocked = accounts.filter(pl.col("campaign_id") == campaign["campaign_id"], pl.col("verdict") == "block")
        assert campaign["actions"].get("block", 0) == blocked.height  # the gateway's default policy blocks a block
    assert page.count("<details") >= len(campaigns)
    assert "gateway action" in page
    assert "Benign clusters" in page


def test_summaries_say_what_they_measured(scanned: Path) -> None:
    campaigns = json.loads((scanned / "campaigns.json").read_text())["campaigns"]
    for campaign in campaigns:
        sampled = campaign["sampled_prompts"]
        assert 0 < sampled["prompts"] <= campaign["exchanges"]
        assert sum(sampled["families"].values()) <= sampled["prompts"]
        assert f"Of their {sampled['prompts']:,} sampled prompts" in campaign["summary"]
        top, count = next(iter(sampled["families"].items()))
        assert f"{100 * count / sampled['prompts']:.0f}% {top.replace('_', ' ')}" in campaign["summary"]
    confidences = [c["confidence"] for c in campaigns]
    assert confidences == sorted(confidences, reverse=True)
    assert len(set(confidences)) == len(confidences)  # it ranks: no two campaigns read alike
    assert max(confidences) < 1.0


def _example_texts(page: str) -> list[str]:
    return re.findall(r"<li><b>[a-z_]+</b> \([0-9.]+\) <code>(.*?)</code>", page, flags=re.S)


def test_the_report_redacts_prompts_by_default(tiny: Path, scanned: Path, tmp_path: Path) -> None:
    redacted = _example_texts((scanned / "report.html").read_text())
    result = CliRunner().invoke(main, ["scan", str(tiny), "--out", str(tmp_path), "--workers", "1", "--no-redact"])
    assert result.exit_code == 0, result.output
    plain = _example_texts((tmp_path / "report.html").read_text())
    assert redacted
    assert len(plain) == len(redacted)
    for text in redacted:  # a skeleton (six words, the mask, six words), or a short prompt withheld
        assert (" … " in text and len(text.split()) <= 2 * 6 + 1) or re.fullmatch(
            r"\(short prompt of \d+ words withheld\)", text
        )
    assert max(len(t.split()) for t in plain) > 2 * 6 + 1


def test_detection_on_the_tiny_scenario(tiny: Path, scanned: Path) -> None:
    result = evaluate(scanned, tiny)
    assert result["attack_accounts_flagged"]["rate"] >= 0.9
    assert result["legitimate_accounts_flagged"]["count"] <= 1
    for role in ("app", "eval_researcher", "batch_pipeline", "aggregator"):
        assert result["legitimate_by_role"][role]["count"] == 0, role
    assert result["campaign_ari"] >= 0.8


def test_evaluate_prints_the_figures(tiny: Path, scanned: Path) -> None:
    result = CliRunner().invoke(main, ["evaluate", str(scanned), "--labels", str(tiny)])
    assert result.exit_code == 0, result.output
    assert "attack accounts flagged (recall)" in result.output
    assert "adjusted Rand index" in result.output
    as_json = CliRunner().invoke(main, ["evaluate", str(scanned), "--labels", str(tiny), "--json"])
    assert json.loads(as_json.output)["accounts"] > 0


def test_worker_processes_give_the_same_results(tiny: Path, scanned: Path, tmp_path: Path) -> None:
    scan(tiny, tmp_path, ScanOptions(workers=2))
    serial = pl.read_parquet(scanned / "accounts.parquet").sort("account_id")
    parallel = pl.read_parquet(tmp_path / "accounts.parquet").sort("account_id")
    assert serial.equals(parallel)
    assert not (tmp_path / ".work").exists()  # the stage tables are removed unless --keep-work


def test_summary_counts_and_times(scanned: Path) -> None:
    summary = json.loads((scanned / "summary.json").read_text())
    assert summary["exchanges_read"] == summary["exchanges_accepted"] + summary["exchanges_rejected"]
    assert summary["calibration"]["reference"] == "established"
    assert summary["calibration"]["reference_blocked"] <= max(1, summary["calibration"]["reference_accounts"] // 1000)
    assert set(summary["seconds"]) >= {"stage", "fingerprints", "links", "scores", "results", "total"}


def test_a_release_calendar_times_the_model_pivot(tiny: Path, scanned: Path, tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text('schema_version = 1\n[scan.releases]\n"atlas-3" = 2026-02-06T00:00:00Z\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["scan", str(tiny), "--out", str(out), "--workers", "1", "--config", str(config)])
    assert result.exit_code == 0, result.output
    pivots = [c["model_pivot"] for c in json.loads((out / "campaigns.json").read_text())["campaigns"]]
    timed = [p for p in pivots if p and p["share_after_release"] >= 0.3]
    assert len(timed) == 1  # the agentic campaign moves half its traffic a day after the release
    assert timed[0]["released"] == "2026-02-06T00:00:00Z"
    assert 23.0 <= timed[0]["hours_after_release"] <= 26.0
    # without the calendar the model's first appearance stands for its release: the campaign is first
    before = [c["model_pivot"] for c in json.loads((scanned / "campaigns.json").read_text())["campaigns"]]
    assert min(p["hours_after_release"] for p in before if p and p["share_after_release"] >= 0.3) < 1.0


def test_release_times_need_an_offset(tiny: Path, tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text('schema_version = 1\n[scan.releases]\n"atlas-3" = 2026-02-06T00:00:00\n')
    result = CliRunner().invoke(main, ["scan", str(tiny), "--out", str(tmp_path / "o"), "--config", str(config)])
    assert result.exit_code == 2
    assert "scan.releases.atlas-3" in result.output


def test_the_report_follows_a_gateway_policy(tiny: Path, tmp_path: Path) -> None:
    gateway = tmp_path / "gateway.toml"
    gateway.write_text('schema_version = 1\n[policy]\nreview = "strip_reasoning"\nblock = "challenge"\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["scan", str(tiny), "--out", str(out), "--workers", "1", "--policy", str(gateway)]
    )
    assert result.exit_code == 0, result.output
    campaigns = json.loads((out / "campaigns.json").read_text())["campaigns"]
    assert all(set(c["actions"]) <= {"challenge", "strip_reasoning", "allow"} for c in campaigns)
    assert sum(c["actions"].get("challenge", 0) for c in campaigns) > 0
    assert "challenge" in (out / "report.html").read_text()
