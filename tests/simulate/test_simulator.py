"""The simulator: deterministic per seed, exact labels, the behaviours it promises, valid v1."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from distillguard.cli import main
from distillguard.errors import ConfigError
from distillguard.ingest import Dataset, RejectionSink
from distillguard.simulate.behaviour import ip_pool
from distillguard.simulate.corpus import load_pools
from distillguard.simulate.describe import describe
from distillguard.simulate.generator import simulate
from distillguard.simulate.paraphrase import paraphrase, rewording
from distillguard.simulate.scenario import Scenario, builtin_scenarios, load_scenario
from distillguard.simulate.text import TextSource
from tests.conftest import CORPORA, corpus_path


@pytest.fixture(scope="module")
def source() -> TextSource:
    corpus_path("sweep_gsm8k_train.jsonl")
    return TextSource(load_pools(CORPORA))


@pytest.fixture(scope="module")
def tiny(source: TextSource, tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Path]:
    scenario = load_scenario("tiny")
    out = tmp_path_factory.mktemp("tiny")
    simulate(scenario, 7, source, out)
    return scenario, out


def exchanges(directory: Path) -> pl.DataFrame:
    return pl.read_parquet(directory / "exchanges" / "*.parquet")


def test_same_seed_same_dataset(tiny: tuple[Scenario, Path], source: TextSource, tmp_path: Path) -> None:
    scenario, first = tiny
    simulate(scenario, 7, source, tmp_path)
    for table in ("accounts.parquet", "labels.parquet"):
        assert pq.read_table(first / table).equals(pq.read_table(tmp_path / table))
    assert exchanges(first).equals(exchanges(tmp_path))


def test_other_seed_other_dataset(tiny: tuple[Scenario, Path], source: TextSource, tmp_path: Path) -> None:
    scenario, first = tiny
    simulate(scenario, 8, source, tmp_path)
    assert not exchanges(first).select("timestamp").equals(exchanges(tmp_path).select("timestamp"))


def test_the_dataset_is_valid_v1(tiny: tuple[Scenario, Path]) -> None:
    _, out = tiny
    with RejectionSink() as sink:
        data = Dataset(out, sink)
        rows = {t: sum(b.num_rows for b in data.reader(t)) for t in data.tables}
        assert sink.total == 0
    assert rows["accounts"] == rows["labels"]


def test_labels_are_exact(tiny: tuple[Scenario, Path]) -> None:
    scenario, out = tiny
    labels = pl.read_parquet(out / "labels.parquet")
    accounts = pl.read_parquet(out / "accounts.parquet")
    assert sorted(labels["account_id"]) == sorted(accounts["account_id"])
    joined = exchanges(out).join(labels, on="account_id", how="left")
    assert joined["role"].null_count() == 0
    per_campaign = dict(joined.filter(pl.col("campaign_id").is_not_null()).group_by("campaign_id").len().iter_rows())
    for campaign in scenario.campaigns:
        assert per_campaign[campaign.id] == pytest.approx(campaign.exchanges, rel=0.02)
    legit_roles = set(labels.filter(pl.col("campaign_id").is_null())["role"])
    assert legit_roles == {p.kind for p in scenario.personas}


def test_campaign_accounts_are_new_and_share_payment(tiny: tuple[Scenario, Path]) -> None:
    scenario, out = tiny
    accounts = pl.read_parquet(out / "accounts.parquet").join(pl.read_parquet(out / "labels.parquet"), on="account_id")
    for campaign in scenario.campaigns:
        mine = accounts.filter(pl.col("campaign_id") == campaign.id)
        assert mine["payment_fingerprint"].n_unique() == min(campaign.payment_fingerprints, campaign.accounts)
        if not campaign.replace_banned:
            earliest = scenario.start + timedelta(days=campaign.start_day - campaign.warmup_days - 3)
            assert mine["created_at"].min() >= earliest  # type: ignore[operator]
    legit = accounts.filter(pl.col("campaign_id").is_null())
    assert legit["payment_fingerprint"].n_unique() == legit.height


def test_pivot_to_the_released_model(tiny: tuple[Scenario, Path]) -> None:
    scenario, out = tiny
    assert scenario.release is not None
    (campaign,) = [c for c in scenario.campaigns if c.pivot_share > 0]
    labels = pl.read_parquet(out / "labels.parquet").filter(pl.col("campaign_id") == campaign.id)
    mine = exchanges(out).join(labels, on="account_id")
    pivot = scenario.start + timedelta(days=scenario.release.day, hours=campaign.pivot_hours)
    before = mine.filter(pl.col("timestamp") < pivot)
    after = mine.filter(pl.col("timestamp") >= pivot)
    assert (before["model"] == scenario.release.model).sum() == 0
    share = float((after["model"] == scenario.release.model).mean())  # type: ignore[arg-type]
    assert share == pytest.approx(campaign.pivot_share, abs=0.08)


def test_lockstep_accounts_fire_together(tiny: tuple[Scenario, Path]) -> None:
    scenario, out = tiny
    (campaign,) = [c for c in scenario.campaigns if c.rhythm == "lockstep"]
    labels = pl.read_parquet(out / "labels.parquet").filter(pl.col("campaign_id") == campaign.id)
    mine = exchanges(out).join(labels, on="account_id")
    windows = mine.select(pl.col("timestamp").dt.truncate("1m")).n_unique()
    # every tick carries about one exchange per account, so windows are far fewer than exchanges
    assert windows < mine.height / 4


def test_chat_users_sleep_and_pipelines_do_not(tiny: tuple[Scenario, Path]) -> None:
    _, out = tiny
    labels = pl.read_parquet(out / "labels.parquet")
    rows = exchanges(out).join(labels, on="account_id").with_columns(pl.col("timestamp").dt.hour().alias("hour"))
    pipeline_hours = rows.filter(pl.col("role") == "batch_pipeline")["hour"].value_counts()
    assert pipeline_hours.height == 24
    assert pipeline_hours["count"].min() > 0.5 * pipeline_hours["count"].mean()  # type: ignore[operator]


def test_describe_reads_back_the_counts(tiny: tuple[Scenario, Path]) -> None:
    scenario, out = tiny
    rows = describe(out)
    assert len(rows) == len(scenario.personas) + len(scenario.campaigns)
    assert sum(r["exchanges"] for r in rows) == exchanges(out).height
    hydra = next(r for r in rows if r["campaign_id"] == "camp-hydra")
    assert hydra["sources"]["alpaca"] > 0.5  # the sweep text, with camouflage from real users beside it
    result = CliRunner().invoke(main, ["simulate", "--describe", str(out)])
    assert result.exit_code == 0, result.output
    assert "camp-hydra" in result.output
    assert "from campaigns" in result.output


def test_builtin_scenarios_load() -> None:
    assert {"tiny", "small", "anthropic-2026"} <= set(builtin_scenarios())
    for name in builtin_scenarios():
        assert load_scenario(name).name == name


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "schema_version = 1\nname = 'x'\nstart = '2026-01-01T00:00:00Z'\ndays = 1\nmodels = ['m']\nextra = 1\n",
            "extra",
        ),
        ("schema_version = 1\nname = 'x'\nstart = '2026-01-01T00:00:00'\ndays = 1\nmodels = ['m']\n", "start"),
        (
            "schema_version = 1\nname = 'x'\nstart = '2026-01-01T00:00:00Z'\ndays = 2\nmodels = ['m']\n"
            "[[campaigns]]\nid = 'c'\nkind = 'hydra'\naccounts = 3\nexchanges = 10\ndays = 5\n",
            "runs past",
        ),
        (
            "schema_version = 1\nname = 'x'\nstart = '2026-01-01T00:00:00Z'\ndays = 2\nmodels = ['m']\n"
            "[[campaigns]]\nid = 'c'\nkind = 'hydra'\naccounts = 3\nexchanges = 10\ndays = 1\npivot_share = 0.5\n",
            "no \\[release\\]",
        ),
        (
            "schema_version = 1\nname = 'x'\nstart = '2026-01-01T00:00:00Z'\ndays = 2\nmodels = ['m']\n"
            "[[personas]]\nkind = 'wizard'\naccounts = 3\ndaily_exchanges = 1\n",
            "personas.0.kind = 'wizard'",
        ),
    ],
)
def test_bad_scenario_file(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match) as caught:
        load_scenario(str(path))
    assert "mine.toml" in str(caught.value)


def test_unknown_scenario_name() -> None:
    with pytest.raises(ConfigError, match="no scenario named 'huge'"):
        load_scenario("huge")


def test_warm_up_comes_before_the_campaign_and_looks_benign(tiny: tuple[Scenario, Path]) -> None:
    scenario, out = tiny
    (campaign,) = [c for c in scenario.campaigns if c.warmup_days > 0]
    labels = pl.read_parquet(out / "labels.parquet").filter(pl.col("campaign_id") == campaign.id)
    mine = exchanges(out).join(labels, on="account_id")
    start = scenario.start + timedelta(days=campaign.start_day)
    early = mine.filter(pl.col("timestamp") < start)
    assert early.height == pytest.approx(campaign.warmup_share * mine.height, rel=0.35)
    assert early["timestamp"].min() >= start - timedelta(days=campaign.warmup_days)  # type: ignore[operator]
    accounts = pl.read_parquet(out / "accounts.parquet").join(labels, on="account_id")
    assert accounts["created_at"].max() < early["timestamp"].min()  # type: ignore[operator]


REASONING_ONLY = (
    "schema_version = 1\nname = 'cot'\nstart = '2026-01-01T00:00:00Z'\ndays = 2\nmodels = ['m']\n"
    "[[personas]]\nkind = 'chat_user'\naccounts = 5\ndaily_exchanges = 2\n"
    "[[campaigns]]\nid = 'cot'\nkind = 'reasoning'\naccounts = 4\nexchanges = 300\ndays = 2\n"
)


def test_a_reasoning_campaign_sends_the_given_reasoning_wrappers(tmp_path: Path) -> None:
    (tmp_path / "cot.toml").write_text(REASONING_ONLY)
    bank = ("MARK-ONE {q}\nGiven: {a}", "{q}\nMARK-TWO with a second answer: {b}")
    source = TextSource(load_pools(CORPORA), reasoning=bank)
    simulate(load_scenario(str(tmp_path / "cot.toml")), 3, source, tmp_path / "out")
    labels = pl.read_parquet(tmp_path / "out" / "labels.parquet").filter(pl.col("campaign_id") == "cot")
    sent = exchanges(tmp_path / "out").join(labels, on="account_id")
    prompts = sent["messages"].list.last().struct.field("content")
    assert sent.height == pytest.approx(300, rel=0.02)
    one, two = prompts.str.starts_with("MARK-ONE "), prompts.str.contains("\nMARK-TWO with a second answer: ")
    assert (one | two).all()
    assert one.sum() > 100
    assert two.sum() > 100
    with pytest.raises(ValueError, match="reasoning wrappers are empty"):
        TextSource(load_pools(CORPORA), reasoning=())


def test_paraphrase_is_per_account_and_stable() -> None:
    wrapper = "Please explain the complete reasoning step by step for the following question."
    versions = {paraphrase(wrapper, rewording(f"acct-{i}")) for i in range(40)}
    assert len(versions) > 20
    assert paraphrase(wrapper, rewording("acct-1")) == paraphrase(wrapper, rewording("acct-1"))


def test_some_chat_users_share_an_office(tiny: tuple[Scenario, Path]) -> None:
    _, out = tiny
    labels = pl.read_parquet(out / "labels.parquet").filter(pl.col("role") == "chat_user")
    rows = exchanges(out).join(labels, on="account_id")
    shared = rows.group_by("ip").agg(pl.col("account_id").n_unique().alias("n")).filter(pl.col("n") > 1)
    assert shared.height > 0
    assert shared["n"].max() <= 10  # type: ignore[operator]


def test_apps_call_from_server_blocks(tiny: tuple[Scenario, Path]) -> None:
    _, out = tiny
    labels = pl.read_parquet(out / "labels.parquet")
    rows = exchanges(out).join(labels, on="account_id")
    per_role = rows.group_by("role").agg(pl.col("ip").n_unique().alias("ips"), pl.col("account_id").n_unique())
    apps = per_role.filter(pl.col("role") == "app").row(0, named=True)
    assert apps["ips"] <= 2 * apps["account_id"]  # a few fixed server addresses, whatever the volume


# The hard negatives and evasive campaigns of the scan's community detection (docs/simulator.md).
HARD_AND_EVASIVE = """
schema_version = 1
name = "hard"
start = "2026-02-02T00:00:00Z"
days = 14
models = ["m"]

[[personas]]
kind = "classroom"
accounts = 40
daily_exchanges = 3
tier = "education"
office_size = 20

[[personas]]
kind = "vpn_user"
accounts = 50
daily_exchanges = 2
exit_pool = 12

[[personas]]
kind = "chat_user"
role = "office"
accounts = 30
daily_exchanges = 2
office_share = 1.0
office_size = 10
company_cards = true

[[personas]]
kind = "model_grader"
accounts = 4
daily_exchanges = 20
tier = "startup"

[[personas]]
kind = "agent_framework"
accounts = 6
daily_exchanges = 20
tier = "startup"

[[campaigns]]
id = "quiet-sweep"
kind = "hydra"
accounts = 30
exchanges = 1500
days = 14
rhythm = "human"
payment_fingerprints = 30
sticky_ips = 2
client = "per_account"
parameters = "varied"
coverage = "queue"
ip_pool_name = "proxy-co"

[[campaigns]]
id = "shifted"
kind = "reasoning"
accounts = 20
exchanges = 800
days = 12
shifts = 4
rhythm = "human"
ip_pool = 50
ip_pool_name = "proxy-co"
aged_share = 1.0
"""


@pytest.fixture(scope="module")
def hard(source: TextSource, tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, pl.DataFrame, pl.DataFrame]:
    folder = tmp_path_factory.mktemp("hard")
    (folder / "hard.toml").write_text(HARD_AND_EVASIVE)
    scenario = load_scenario(str(folder / "hard.toml"))
    simulate(scenario, 3, source, folder / "out")
    labels = pl.read_parquet(folder / "out" / "labels.parquet")
    accounts = pl.read_parquet(folder / "out" / "accounts.parquet").join(labels, on="account_id")
    rows = exchanges(folder / "out").join(labels, on="account_id")
    rows = rows.with_columns(pl.col("messages").list.last().struct.field("content").alias("prompt"))
    return scenario, accounts, rows


def test_a_class_shares_its_school_address_its_homework_and_its_hour(
    hard: tuple[Scenario, pl.DataFrame, pl.DataFrame],
) -> None:
    scenario, accounts, rows = hard
    pupils = rows.filter(pl.col("role") == "classroom")
    per_ip = pupils.group_by("ip").agg(pl.col("account_id").n_unique().alias("n"))
    assert sorted(per_ip["n"].to_list()) == [20, 20]  # two classes, each behind its school's one address
    class_of = pupils.with_columns(pl.col("account_id").str.slice(-6).cast(pl.Int64).floordiv(20).alias("class"))
    items = class_of.group_by("class").agg(pl.col("prompt").n_unique().alias("distinct"), pl.len())
    assert (items["distinct"] < 0.25 * items["len"]).all()  # one assignment: the class repeats its items
    hours = class_of.group_by("class", pl.col("timestamp").dt.hour()).len().sort("len", descending=True)
    top = hours.group_by("class").agg(pl.col("len").first(), pl.col("len").sum().alias("all"))
    assert (top["len"] > 0.4 * top["all"]).all()  # most of it in the class's hour
    created = accounts.filter(pl.col("role") == "classroom")["created_at"]
    assert created.min() >= scenario.start - timedelta(days=20)  # type: ignore[operator]


def test_vpn_users_share_a_small_pool_of_exits(hard: tuple[Scenario, pl.DataFrame, pl.DataFrame]) -> None:
    _, _, rows = hard
    vpn = rows.filter(pl.col("role") == "vpn_user")
    assert vpn["ip"].n_unique() <= 12
    per_account = vpn.group_by("account_id").agg(pl.col("ip").n_unique().alias("ips"), pl.len())
    busy = per_account.filter(pl.col("len") >= 10)
    assert busy.height > 10
    assert (busy["ips"] >= 5).all()  # each user's address changes from request to request


def test_colleagues_pay_with_company_cards(hard: tuple[Scenario, pl.DataFrame, pl.DataFrame]) -> None:
    _, accounts, rows = hard
    office = accounts.filter(pl.col("role") == "office")
    assert office["payment_fingerprint"].n_unique() == 3  # three offices of ten
    per_ip = rows.filter(pl.col("role") == "office").group_by("ip").agg(pl.col("account_id").n_unique())
    assert per_ip.height == 3


def test_graders_and_agent_frameworks_send_their_fixed_templates(
    hard: tuple[Scenario, pl.DataFrame, pl.DataFrame],
) -> None:
    _, _, rows = hard
    graders = rows.filter(pl.col("role") == "model_grader")
    assert (
        graders["prompt"].str.contains(r"^(\[User Question\]|<\|The Start of|\[Instruction\])").all()
    )  # MT-bench's judges
    apps = rows.filter(pl.col("role") == "agent_framework")
    assert apps["prompt"].str.contains("Thought").all()
    tools = apps.group_by("account_id").agg(pl.col("tools").n_unique().alias("sets"))
    assert (tools["sets"] == 1).all()  # each app keeps its own tools
    assert apps["tools"].n_unique() > 1


def test_an_unlinked_campaign_shares_nothing_but_its_queue(hard: tuple[Scenario, pl.DataFrame, pl.DataFrame]) -> None:
    _, accounts, rows = hard
    sweep = rows.filter(pl.col("campaign_id") == "quiet-sweep")
    per_ip = sweep.group_by("ip").agg(pl.col("account_id").n_unique().alias("n"))
    assert per_ip["n"].max() == 1  # sticky residential addresses of its own
    per_account = sweep.group_by("account_id").agg(
        pl.col("ip").n_unique().alias("ips"),
        pl.col("user_agent").n_unique().alias("agents"),
        pl.col("temperature").n_unique().alias("temperatures"),
    )
    assert (per_account["ips"] <= 2).all()
    assert (per_account["agents"] == 1).all()
    assert per_account["temperatures"].max() > 1  # type: ignore[operator]
    assert sweep["prompt"].n_unique() == sweep.height  # the queue: no item twice across its accounts
    assert accounts.filter(pl.col("campaign_id") == "quiet-sweep")["payment_fingerprint"].n_unique() == 30


def test_shifts_start_and_stop_together_and_providers_share_a_pool(
    hard: tuple[Scenario, pl.DataFrame, pl.DataFrame],
) -> None:
    scenario, accounts, rows = hard
    shifted = rows.filter(pl.col("campaign_id") == "shifted")
    spans = shifted.group_by("account_id").agg(pl.col("timestamp").min().alias("first"), pl.col("timestamp").max())
    spans = spans.with_columns(pl.col("account_id").str.slice(-6).cast(pl.Int64).floordiv(5).alias("shift"))
    for shift, group in spans.group_by("shift"):
        begin = scenario.start + timedelta(days=3 * int(shift[0]))
        assert group["first"].min() >= begin  # type: ignore[operator]
        assert group["timestamp"].max() < begin + timedelta(days=3)  # type: ignore[operator]
    mine = accounts.filter(pl.col("campaign_id") == "shifted")
    assert mine["verified"].all()  # bought aged and verified
    assert mine["created_at"].max() <= scenario.start - timedelta(days=60)  # type: ignore[operator]
    assert set(ip_pool("proxy-co", 50, residential=True)) >= set(shifted["ip"].to_list())  # the provider's pool


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ("shifts = 30\n", "more shifts than accounts"),
        ("shifts = 2\nreplace_banned = true\n", "replace_banned"),
        ("shifts = 2\nstart_day = 1\nwarmup_days = 1\n", "warmup_days"),
        ("coverage = 'ordered'\n", "coverage"),
    ],
)
def test_bad_campaign_knobs(tmp_path: Path, extra: str, match: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        "schema_version = 1\nname = 'x'\nstart = '2026-01-01T00:00:00Z'\ndays = 5\nmodels = ['m']\n"
        "[[campaigns]]\nid = 'c'\nkind = 'hydra'\naccounts = 3\nexchanges = 10\ndays = 4\n" + extra
    )
    with pytest.raises(ConfigError, match=match):
        load_scenario(str(path))
