"""The scan's parts on hand-made inputs: calibration, evidence, links, campaigns, evaluation, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score

from distillguard.cli import main
from distillguard.gateway.settings import GatewaySettings
from distillguard.scan.actions import policy_actions
from distillguard.scan.calibrate import BLOCK_FLOOR, REVIEW_FLOOR, TRIM, reference_mask, thresholds, tier_medians
from distillguard.scan.evaluate import evaluate, format_evaluation
from distillguard.scan.evidence import payment_reference_share, score_accounts
from distillguard.scan.fingerprints import build_fingerprints, connect
from distillguard.scan.links import build_links
from distillguard.scan.rows import STAGE_SCHEMA
from distillguard.scan.run import _account_results
from distillguard.schema import arrow_schema
from distillguard.signals.extraction import FAMILIES
from tests.conftest import exchange, write_jsonl

MINUTE = 60_000_000
START = 1_770_000_000_000_000


def test_block_line_is_the_trimmed_reference_quantile() -> None:
    rng = np.random.default_rng(0)
    points = rng.exponential(2.0, 100_000)
    reference = np.ones(points.size, dtype=bool)
    limits = thresholds(points, reference, 0.001)
    assert limits.block == pytest.approx(np.quantile(points, 1 - 0.001 - TRIM), rel=0.01)
    assert limits.review == pytest.approx(np.quantile(points, 1 - 0.01 - TRIM), rel=0.02)
    assert limits.naive_block == pytest.approx(np.quantile(points, 0.999), rel=0.01)  # untrimmed, for the summary
    assert limits.reference_blocked <= (0.001 + TRIM) * points.size


def test_a_contaminated_reference_moves_the_lines_little() -> None:
    """Attack accounts passing as established ones: up to TRIM of the reference, and campaign members, move nothing."""
    rng = np.random.default_rng(1)
    clean = np.concatenate([np.zeros(8_000), rng.exponential(1.5, 12_000)])
    reference = np.ones(clean.size, dtype=bool)
    before = thresholds(clean, reference, 0.001)
    dirty = clean.copy()
    isolated = rng.choice(dirty.size, int(0.0015 * dirty.size), replace=False)  # relays judged one by one
    dirty[isolated] = 9.0
    members = np.zeros(dirty.size, dtype=bool)
    members[rng.choice(dirty.size, int(0.02 * dirty.size), replace=False)] = True  # a campaign on aged accounts
    dirty[members] = 12.0
    after = thresholds(dirty, reference, 0.001, excluded=members)
    assert before.naive_block is not None
    assert after.block <= before.naive_block  # never above the line the clean reference itself would draw
    assert after.block == pytest.approx(before.block, rel=0.15)
    assert after.review == pytest.approx(before.review, rel=0.05)
    assert after.naive_block is not None
    assert after.naive_block >= 12.0  # without exclusion and trimming the line rises to the attackers' own points
    assert after.reference_excluded == members.sum()


def test_only_reference_accounts_set_the_line() -> None:
    points = np.array([0.0] * 1_000 + [50.0] * 500)
    reference = np.array([True] * 1_000 + [False] * 500)
    limits = thresholds(points, reference, 0.001)
    assert limits.block == BLOCK_FLOOR  # a clean reference: the floor, not the attackers' own level
    assert limits.review == REVIEW_FLOOR
    assert limits.reference_accounts == 1_000


def test_risk_is_one_half_on_the_block_line() -> None:
    limits = thresholds(np.zeros(10), np.ones(10, dtype=bool), 0.001)
    frame = pl.DataFrame({"points": [0.0, limits.block, 3 * limits.block]})
    risk = frame.select(limits.risk(pl.col("points"))).to_series().to_list()
    verdict = frame.select(limits.verdict(pl.col("points"))).to_series().to_list()
    assert risk[0] == 0.0
    assert risk[1] == pytest.approx(0.5)
    assert 0.5 < risk[2] < 1.0
    assert verdict == ["allow", "block", "block"]


def _fingerprint(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "account_id": "a",
        "exchanges": 10,
        "daily_exchanges": 1.0,
        "first_days_daily": 1.0,
        "days_from_signup": 300.0,
        "tier": "free",
        "verified": True,
        "sampled": 10,
        "fired": 0,
        "ips": 2,
        "subnets": 2,
        "user_agents": 1,
        "hours_of_day": 8,
        "longest_idle_hours": 30.0,
        "span_days": 10.0,
        "temperatures": 3,
        "max_tokens_values": 3,
        "payment_accounts": 1,
        "new_model_share": 0.0,
        "exchanges_since_release": 0,
        "hours_to_new_model": None,
        "top_template_share": 0.1,
        "created_at": None,
    }
    for family in FAMILIES:
        row[f"fired_{family}"] = 0
    row.update(values)
    return row


def test_evidence_adds_up_and_reasons_come_strongest_first() -> None:
    rows = [
        _fingerprint(account_id="quiet"),
        _fingerprint(
            account_id="campaign",
            exchanges=900,
            daily_exchanges=60.0,
            first_days_daily=60.0,
            days_from_signup=0.5,
            tier="payg",
            sampled=20,
            fired=18,
            fired_cot_elicitation=18,
            ips=150,
            subnets=140,
            user_agents=4,
            payment_accounts=9,
            temperatures=1,
            max_tokens_values=1,
        ),
        _fingerprint(account_id="heavy", daily_exchanges=80.0, first_days_daily=80.0),
    ]
    fingerprints = pl.DataFrame(rows, infer_schema_length=None)
    medians = pl.DataFrame({"tier": ["free", "payg", None], "tier_median": [1.0, 5.0, 1.0]})
    scored = score_accounts(fingerprints, medians).sort("account_id")
    by_id = {r["account_id"]: r for r in scored.iter_rows(named=True)}
    assert by_id["quiet"]["points"] == 0.0
    assert by_id["quiet"]["reasons"] == []
    assert by_id["heavy"]["points"] == pytest.approx(2.0)  # volume alone is capped below any verdict
    assert by_id["heavy"]["reasons"][0].startswith("volume 80.0x the median free account")
    campaign = by_id["campaign"]
    assert campaign["points"] > 8
    assert campaign["reasons"][0].startswith("extraction prompts: 90% of 20 sampled prompts, mostly cot_elicitation")
    assert any("new account at full use from day one" in r for r in campaign["reasons"])
    assert any("payment method shared with 8 other accounts" in r for r in campaign["reasons"])


def test_reference_is_verified_and_established_unless_listed() -> None:
    frame = pl.DataFrame(
        {
            "account_id": ["old", "new", "unverified"],
            "verified": [True, True, False],
            "days_from_signup": [200.0, 2.0, 400.0],
            "created_at": [1, 2, 3],
            "tier": ["free", "free", "free"],
            "daily_exchanges": [1.0, 50.0, 3.0],
        }
    )
    assert reference_mask(frame, None).to_list() == [True, False, False]
    assert reference_mask(frame, frozenset({"new"})).to_list() == [False, True, False]
    medians = tier_medians(frame, reference_mask(frame, None))
    assert medians.filter(pl.col("tier") == "free")["tier_median"].to_list() == [1.0]


def _stage(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    rows: list[dict[str, Any]] = []
    ticks = np.sort(rng.choice(14 * 24 * 60, 300, replace=False))  # shared minutes of a lockstep group
    for a in range(6):
        chosen = ticks[rng.random(ticks.size) < 0.7]
        rows.extend({"account_id": f"sync-{a}", "ts": START + int(t) * MINUTE + a * 1_000_000} for t in chosen)
    for a in range(30):
        chosen = rng.choice(14 * 24 * 60, 200, replace=False)
        rows.extend({"account_id": f"solo-{a}", "ts": START + int(t) * MINUTE} for t in chosen)
    frame = pl.DataFrame(rows).with_columns(
        pl.lit("m").alias("model"),
        pl.lit("203.0.113.9").alias("ip"),
        pl.lit(True).alias("sampled"),
    )
    table = pa.Table.from_pylist(frame.to_dicts(), schema=STAGE_SCHEMA)
    (tmp_path / "stage").mkdir()
    pq.write_table(table, tmp_path / "stage" / "part-00000.parquet")
    pq.write_table(arrow_schema("accounts").empty_table(), tmp_path / "accounts.parquet")
    return tmp_path


def test_lockstep_accounts_share_a_sync_indicator(tmp_path: Path) -> None:
    work = _stage(tmp_path)
    con = connect(work, "1GB", 1)
    build_fingerprints(con, str(work / "stage" / "*.parquet"), work / "accounts.parquet")
    con.execute("CREATE TABLE reference (account_id VARCHAR)")  # no reference accounts: weights are Fraudar's
    build_links(con)
    sync = con.sql("SELECT account_id, indicator FROM edges WHERE kind = 'sync'").pl()
    assert set(sync["account_id"].to_list()) == {f"sync-{a}" for a in range(6)}
    similarity = con.sql("SELECT min(similarity), max(similarity) FROM sync_members").fetchall()[0]
    assert 0.0 <= similarity[0] <= similarity[1] <= 1.0
    exact = con.sql(
        """
        WITH w AS (SELECT DISTINCT account_id, ts // 60000000 AS w FROM stage WHERE account_id IN ('sync-0', 'sync-1'))
        SELECT count(*) FILTER (WHERE n = 2) / count(*) FROM (SELECT w, count(*) AS n FROM w GROUP BY w)
        """
    ).fetchall()[0][0]
    estimate = con.sql(
        "SELECT " + " + ".join(f"(a.h{i} = b.h{i})::INTEGER" for i in range(32)) + " FROM signatures a, signatures b "
        "WHERE a.account_id = 'sync-0' AND b.account_id = 'sync-1'"
    ).fetchall()[0][0]
    assert estimate / 32 == pytest.approx(exact, abs=0.25)  # 32 MinHashes estimate the windows' Jaccard
    ip = con.sql("SELECT count(DISTINCT account_id) FROM edges WHERE kind = 'ip'").fetchall()
    assert ip[0][0] == 36  # everyone shares the one address; its weight is what keeps it weak
    weight = con.sql("SELECT any_value(weight) FROM edges WHERE kind = 'ip'").fetchall()[0][0]
    assert weight == pytest.approx(1 / np.log(36 + 5))


def test_evaluate_counts_and_rand_index(tmp_path: Path) -> None:
    scan_dir, data = tmp_path / "scan", tmp_path / "data"
    scan_dir.mkdir()
    data.mkdir()
    accounts = pl.DataFrame(
        {
            "account_id": ["a1", "a2", "b1", "b2", "l1", "l2", "l3", "l4"],
            "risk": [0.9, 0.9, 0.8, 0.2, 0.1, 0.6, 0.3, 0.0],
            "verdict": ["block", "block", "block", "allow", "allow", "block", "review", "allow"],
            "campaign_id": ["x", "x", "y", None, None, None, None, None],
            "reasons": [["r"]] * 8,
        }
    )
    accounts.write_parquet(scan_dir / "accounts.parquet")
    pl.DataFrame({"account_id": accounts["account_id"], "exchanges": [10, 10, 5, 5, 1, 1, 1, 1]}).write_parquet(
        scan_dir / "fingerprints.parquet"
    )
    pl.DataFrame(
        {
            "account_id": accounts["account_id"],
            "campaign_id": ["A", "A", "B", "B", None, None, None, None],
            "role": ["c", "c", "c", "c", "app", "app", "chat_user", "chat_user"],
        }
    ).write_parquet(data / "labels.parquet")
    result = evaluate(scan_dir, data)
    assert result["attack_accounts_flagged"] == {"count": 3, "of": 4, "rate": 0.75}
    assert result["legitimate_accounts_flagged"] == {"count": 1, "of": 4, "rate": 0.25}
    assert result["precision"]["count"] == 3
    assert result["attack_exchanges_in_flagged_accounts"] == {
        "count": 25,
        "of": 30,
        "rate": pytest.approx(25 / 30, abs=1e-6),
    }
    assert result["with_review"]["legitimate_accounts"]["count"] == 2
    assert result["legitimate_by_role"]["app"]["count"] == 1
    assert result["campaign_recall"]["B"] == {"count": 1, "of": 2, "rate": 0.5}
    expected = adjusted_rand_score(["A", "A", "B", "B"], ["x", "x", "y", "alone"])
    assert result["campaign_ari"] == pytest.approx(expected, abs=1e-4)
    assert 0.0 < result["campaign_ari"] < 1.0
    assert result["legitimate_by_role_with_review"]["chat_user"] == {"count": 1, "of": 2, "rate": 0.5}
    assert result["legitimate_in_campaigns"]["count"] == 0
    assert result["merges"] == []


def test_evaluate_counts_merged_operations_and_legitimate_members(tmp_path: Path) -> None:
    scan_dir, data = tmp_path / "scan", tmp_path / "data"
    scan_dir.mkdir()
    data.mkdir()
    ids = [f"a{i}" for i in range(6)] + [f"b{i}" for i in range(5)] + ["l1", "l2"]
    pl.DataFrame(
        {
            "account_id": ids,
            "risk": [0.9] * 13,
            "verdict": ["block"] * 13,
            "campaign_id": ["x"] * 11 + ["x", None],  # two operations and a legitimate account found as one
            "reasons": [["r"]] * 13,
        }
    ).write_parquet(scan_dir / "accounts.parquet")
    (scan_dir / "campaigns.json").write_text(
        json.dumps({"campaigns": [], "benign_clusters": [{"accounts": ["l2", "a0"]}]})
    )
    pl.DataFrame(
        {
            "account_id": ids,
            "campaign_id": ["A"] * 6 + ["B"] * 5 + [None, None],
            "role": ["c"] * 11 + ["office", "office"],
        }
    ).write_parquet(data / "labels.parquet")
    result = evaluate(scan_dir, data)
    assert result["merges"] == [{"found": "x", "campaigns": ["A", "B"], "accounts": 11}]
    assert result["legitimate_in_campaigns"] == {"count": 1, "by_role": {"office": 1}}
    assert result["benign_clusters"] == {"clusters": 1, "accounts": 2, "by_role": {"campaign:A": 1, "office": 1}}
    lines = "\n".join(format_evaluation(result))
    assert "x holds A + B" in lines
    assert "legitimate accounts inside campaigns" in lines


def test_scan_quarantines_bad_rows_and_counts_them(tmp_path: Path) -> None:
    rows = [exchange(i, f"What is {i} plus {i}?", str(2 * i)) for i in range(40)]
    rows[5]["timestamp"] = "yesterday"
    del rows[9]["account_id"]
    rows[12]["timestamp"] = "9999-12-31T23:59:59Z"  # would stretch its campaign's dates by 8,000 years
    write_jsonl(tmp_path / "data" / "exchanges.jsonl", rows)
    write_jsonl(tmp_path / "data" / "accounts.jsonl", [{"account_id": "acct-0", "tier": "free"}, {"account_id": ""}])
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "data"), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "37 exchanges (3 rejected), 7 accounts (1 account rows rejected)" in result.output
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    assert sorted((r["table"], r["row"], r["field"]) for r in rejected) == [
        ("accounts", 2, "account_id"),
        ("exchanges", 6, "timestamp"),
        ("exchanges", 10, "account_id"),
        ("exchanges", 13, "timestamp"),
    ]
    assert all(r["file"].endswith(".jsonl") and r["reason"] for r in rejected)
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["exchanges_rejected"], summary["account_rows_rejected"]) == (3, 1)
    assert pl.read_parquet(out / "accounts.parquet").height == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target-fpr", "0.7"], "--target-fpr 0.7"),
        (["--target-fpr", "0"], "--target-fpr 0"),
    ],
)
def test_scan_refuses_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    write_jsonl(tmp_path / "data" / "exchanges.jsonl", [exchange(0, "hi", "hello")])
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "data"), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_scan_without_exchanges_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    pq.write_table(arrow_schema("accounts").empty_table(), tmp_path / "data" / "accounts.parquet")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "data"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no `exchanges` table" in result.output


def test_reference_list_must_name_accounts(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "data" / "exchanges.jsonl", [exchange(0, "hi", "hello")])
    empty = tmp_path / "ref.txt"
    empty.write_text("# nobody\n\n")
    result = CliRunner().invoke(
        main, ["scan", str(tmp_path / "data"), "--out", str(tmp_path / "o"), "--reference", str(empty)]
    )
    assert result.exit_code == 2
    assert "names no account" in result.output


def test_a_coordinated_model_move_is_a_shared_indicator(tmp_path: Path) -> None:
    day, hour = 24 * 60 * MINUTE, 60 * MINUTE
    release = START + 5 * day
    rows: list[dict[str, Any]] = [
        {"account_id": "early-adopter", "ts": release, "model": "new"},
        *({"account_id": "early-adopter", "ts": START + i * hour, "model": "old"} for i in range(30)),
    ]
    for a in range(5):  # five accounts move half their traffic in the same hour, a day after the release
        rows.extend({"account_id": f"mover-{a}", "ts": START + i * hour, "model": "old"} for i in range(100))
        rows.extend(
            {
                "account_id": f"mover-{a}",
                "ts": release + day + a * MINUTE + i * hour,
                "model": "new" if i % 2 else "old",
            }
            for i in range(1, 60)
        )
    for a in range(5):  # five that drift slowly and only a little: no coordinated move
        rows.extend({"account_id": f"drifter-{a}", "ts": START + i * hour, "model": "old"} for i in range(200))
        rows.append({"account_id": f"drifter-{a}", "ts": release + (a + 3) * day, "model": "new"})
    frame = pl.DataFrame(rows).with_columns(pl.lit(True).alias("sampled"))
    (tmp_path / "stage").mkdir()
    pq.write_table(pa.Table.from_pylist(frame.to_dicts(), schema=STAGE_SCHEMA), tmp_path / "stage" / "p.parquet")
    pq.write_table(arrow_schema("accounts").empty_table(), tmp_path / "accounts.parquet")
    con = connect(tmp_path, "1GB", 1)
    build_fingerprints(con, str(tmp_path / "stage" / "*.parquet"), tmp_path / "accounts.parquet")
    con.execute("CREATE TABLE reference (account_id VARCHAR)")
    build_links(con)
    pivots = con.sql("SELECT account_id, indicator FROM edges WHERE kind = 'pivot'").pl()
    assert sorted(pivots["account_id"].to_list()) == [f"mover-{a}" for a in range(5)]
    assert pivots["indicator"].unique().to_list() == ["pivot:25"]  # first used 25 h after the release


def test_points_that_differ_in_the_last_bit_are_the_same_points() -> None:
    # Sums over rows in another order (worker processes, another polars or DuckDB) differ in the last bit.
    scored = pl.DataFrame(
        {"account_id": ["a", "b"], "points": [11.422567822242932, 11.422567822242936], "reasons": [["x"], ["x"]]}
    )
    members = pl.DataFrame({"account_id": ["a", "b"], "campaign_id": ["c-1", "c-1"], "bonus": [0.1 + 0.2, 0.3]})
    reasons = pl.DataFrame({"campaign_id": ["c-1"], "campaign_reason": ["member of campaign c-1"]})
    frame, points = _account_results(scored, members, reasons)
    assert points[0] == points[1] == pytest.approx(11.722567822)
    assert frame["reasons"].to_list() == [["member of campaign c-1", "x"]] * 2


def test_shared_exits_and_company_cards_are_not_an_accounts_own_evidence() -> None:
    rows = [
        _fingerprint(account_id="proxy", exchanges=60, ips=40, subnets=40, shared_exit_ips=0),
        _fingerprint(account_id="vpn", exchanges=60, ips=40, subnets=40, shared_exit_ips=38),  # a VPN's exits
        _fingerprint(account_id="card", payment_accounts=12, payment_reference_share=0.0),
        _fingerprint(account_id="company", payment_accounts=12, payment_reference_share=0.75),
    ]
    medians = pl.DataFrame({"tier": ["free", None], "tier_median": [1.0, 1.0]})
    scored = score_accounts(pl.DataFrame(rows, infer_schema_length=None), medians)
    by_id = {r["account_id"]: r for r in scored.iter_rows(named=True)}
    assert by_id["proxy"]["p_ip_churn"] > 1.5
    assert by_id["proxy"]["p_address_rotation"] == 0.75
    assert by_id["vpn"]["p_ip_churn"] == 0.0  # two addresses of its own
    assert by_id["vpn"]["p_address_rotation"] == 0.0
    assert by_id["company"]["p_shared_payment"] == pytest.approx(0.25 * by_id["card"]["p_shared_payment"])
    assert "75% of them established and verified" in " ".join(by_id["company"]["reasons"])


def test_payment_reference_share_counts_the_other_holders() -> None:
    frame = pl.DataFrame(
        {
            "payment_fingerprint": ["pm_a", "pm_a", "pm_a", "pm_a", "pm_b", None],
            "payment_accounts": [4, 4, 4, 4, 1, 1],
        }
    )
    shares = payment_reference_share(frame, pl.Series([True, True, True, False, True, True])).to_list()
    assert shares == pytest.approx([2 / 3, 2 / 3, 2 / 3, 1.0, 0.0, 0.0])


def test_the_report_actions_come_from_the_gateway_policy() -> None:
    settings = GatewaySettings.model_validate(
        {"policy": {"review": "strip_reasoning", "block": "block", "tiers": {"enterprise": {"block": "challenge"}}}}
    )
    accounts = pl.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "verdict": ["block", "block", "review", "allow"],
            "tier": ["payg", "enterprise", None, "free"],
        }
    )
    assert policy_actions(accounts, settings).to_list() == ["block", "challenge", "strip_reasoning", "allow"]
    assert policy_actions(accounts.drop("tier"), GatewaySettings()).to_list() == ["block", "block", "flag", "allow"]
