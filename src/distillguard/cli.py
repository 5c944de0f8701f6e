"""The ``distillguard`` command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import orjson
from pydantic import ValidationError

from distillguard import __version__
from distillguard.config import Settings, describe_validation_error, load_settings
from distillguard.errors import ConfigError, DistillguardError
from distillguard.forensics.cli import forensics
from distillguard.gateway.settings import load_gateway_settings
from distillguard.ingest.candidates import Candidate
from distillguard.ingest.dataset import Dataset, TableReader
from distillguard.ingest.litellm import read_spend_logs
from distillguard.ingest.openai_pairs import read_openai_pairs
from distillguard.ingest.rejections import RejectionSink
from distillguard.ingest.writer import ParquetTableWriter
from distillguard.json_lines import dumps_line
from distillguard.scan.evaluate import evaluate as evaluate_scan
from distillguard.scan.evaluate import format_evaluation
from distillguard.scan.run import ScanOptions
from distillguard.scan.run import scan as run_scan
from distillguard.schema import TableName
from distillguard.signals.detectors import FIRES_AT, run_signals
from distillguard.watermark.cli import watermark

F = TypeVar("F", bound=Callable[..., object])

EXIT_REJECTED = 1
EXIT_ERROR = 2


def _config_option(function: F) -> F:
    option = click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Settings file (TOML with schema_version); defaults apply without one.",
    )
    return option(function)


def _corpora_option(function: F) -> F:
    option = click.option(
        "--corpora",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="The real-text corpora the simulator fills its text from "
        "[default: $DISTILLGUARD_CORPORA, else shared/data/corpora beside the project].",
    )
    return option(function)


def _settings(config_path: Path | None) -> Settings:
    try:
        return load_settings(config_path)
    except DistillguardError as exc:
        _fail(exc)


def _rules(settings: Settings) -> dict[str, Any]:
    """The validation rules of ``[ingest]``, as keyword arguments of a reader."""
    return {"tiers": settings.ingest.tiers, "spread_days": settings.ingest.timestamp_spread_days}


def _fail(exc: DistillguardError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_ERROR)


def _print_reasons(sink: RejectionSink) -> None:
    if not sink.counts:
        return
    click.echo("\nrejected rows by reason:")
    click.echo(f"  {'table':<10} {'field':<16} {'reason':<20} {'rows':>10}")
    for (table, field, reason), count in sorted(sink.counts.items(), key=lambda kv: (-kv[1], kv[0])):
        click.echo(f"  {table:<10} {field or '-':<16} {reason:<20} {count:>10,}")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.version_option(__version__, prog_name="distillguard")
def main() -> None:
    """Detect and stop distillation attacks on an LLM API."""


@main.command()
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option(
    "--rejected",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write every rejected row (file, row, field, reason, raw) to this JSON Lines file.",
)
@_config_option
def validate(dataset: Path, rejected: Path | None, config_path: Path | None) -> None:
    """Check a dataset against exchange-log v1.

    Prints the rows read and rejected per table and per reason; exits 1 if any row of DATASET is rejected.

    DATASET is a directory of tables (exchanges, accounts, labels as .parquet, a
    directory of parts, or .jsonl[.gz|.zst]) or a single table file.
    """
    settings = _settings(config_path)
    try:
        with RejectionSink(rejected) as sink:
            data = Dataset(dataset, sink, batch_rows=settings.ingest.batch_rows, **_rules(settings))
            click.echo(f"{'table':<10} {'rows':>12} {'accepted':>12} {'rejected':>10}")
            for table in data.tables:
                reader = data.reader(table)
                for _ in reader:
                    pass
                click.echo(f"{table:<10} {reader.rows_in:>12,} {reader.accepted:>12,} {reader.rejected:>10,}")
            _print_reasons(sink)
    except DistillguardError as exc:
        _fail(exc)
    if sink.total:
        where = f"; details in {rejected}" if rejected else "; pass --rejected FILE for the rows"
        click.echo(f"\n{sink.total:,} rows rejected{where}", err=True)
        sys.exit(EXIT_REJECTED)


def _write_table(reader: TableReader, out: Path, table: TableName) -> tuple[int, int]:
    with ParquetTableWriter(out / f"{table}.parquet", table) as writer:
        for batch in reader:
            writer.write(batch)
    return reader.rows_in, reader.accepted


@main.command()
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--from",
    "source_format",
    type=click.Choice(["v1", "litellm", "openai"]),
    required=True,
    help="v1 (any v1 dataset), litellm (SpendLogs export, .jsonl or .csv) or openai (request/response pairs).",
)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Output directory.")
@click.option("--account", default=None, help="openai: account_id for lines that carry none.")
@_config_option
def convert(source: Path, source_format: str, out: Path, account: str | None, config_path: Path | None) -> None:
    """Convert other logs onto exchange-log v1.

    Writes SOURCE as a v1 Parquet dataset in OUT; bad rows go to OUT/rejected.jsonl with file, row, field, reason.
    """
    settings = _settings(config_path)
    batch_rows = settings.ingest.batch_rows
    out.mkdir(parents=True, exist_ok=True)
    try:
        with RejectionSink(out / "rejected.jsonl") as sink:
            readers: list[tuple[TableName, TableReader]] = []
            if source_format == "v1":
                data = Dataset(source, sink, batch_rows=batch_rows, **_rules(settings))
                readers = [(t, data.reader(t)) for t in data.tables]
            else:
                candidates: Iterator[Candidate]
                if source_format == "litellm":
                    candidates = read_spend_logs(source, sink, batch_rows, settings.ingest.litellm)
                else:
                    candidates = read_openai_pairs(source, sink, batch_rows, account)
                readers = [("exchanges", TableReader("exchanges", candidates, sink, **_rules(settings)))]
            for table, reader in readers:
                rows_in, accepted = _write_table(reader, out, table)
                click.echo(f"{table}: {rows_in:,} rows read, {accepted:,} written to {out / f'{table}.parquet'}")
            _print_reasons(sink)
    except DistillguardError as exc:
        _fail(exc)
    if sink.total:
        click.echo(f"\n{sink.total:,} rows rejected; details in {out / 'rejected.jsonl'}", err=True)


@main.command()
@click.option("--prompt", "prompts", multiple=True, help="A prompt to score (repeatable).")
@click.option(
    "--file",
    "prompt_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Score every line of this file as one prompt ('-' is not accepted: pass a path).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "jsonl"]),
    default="text",
    show_default=True,
    help="text: a readable block a prompt; jsonl: one JSON object a prompt (scores, template key, evidence).",
)
def detect(prompts: tuple[str, ...], prompt_file: Path | None, output_format: str) -> None:
    """Score prompts for distillation intent.

    For each prompt: each extraction family's score (it fires at 0.5), the prompt's template and key, the evidence.
    """
    texts = list(prompts)
    if prompt_file is not None:
        texts += prompt_file.read_text(encoding="utf-8").splitlines()
    if not texts:
        raise click.UsageError("give --prompt TEXT or --file FILE")
    try:
        batch = run_signals(texts)
    except DistillguardError as exc:
        _fail(exc)
    for index, text in enumerate(texts):
        row = batch.row(index)
        if output_format == "jsonl":
            click.echo(dumps_line(row).decode())
            continue
        click.echo(f"prompt {index + 1}: {text[:100]!r}")
        click.echo(f"  template {row['template_key']}: {row['template']}")
        for family, score in zip(batch.families, batch.scores[index].tolist(), strict=True):
            mark = "FIRES" if score >= FIRES_AT else ""
            click.echo(f"  {family:<20} {score:6.3f} {mark}")
        for sentence in batch.evidence[index].values():
            click.echo(f"  evidence: {sentence}")


@main.command()
@click.option("--scenario", default=None, help="A built-in scenario (tiny, small, anthropic-2026) or a .toml path.")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="The random seed: the same seed, the same dataset."
)
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=None, help="Where the v1 dataset is written."
)
@_corpora_option
@click.option(
    "--describe",
    "describe_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Print what a simulated dataset holds instead of writing one.",
)
def simulate(
    scenario: str | None, seed: int, out: Path | None, corpora: Path | None, describe_dir: Path | None
) -> None:
    """Write simulated, labelled traffic as a v1 dataset.

    Legitimate personas and distillation campaigns from a scenario, their text from the real corpora, with labels
    and a manifest; --describe prints what a simulated dataset holds.
    """
    from distillguard.simulate.corpus import default_corpora, load_pools  # noqa: PLC0415 (only when asked)
    from distillguard.simulate.describe import describe, render  # noqa: PLC0415
    from distillguard.simulate.generator import simulate as write_simulation  # noqa: PLC0415
    from distillguard.simulate.scenario import load_scenario  # noqa: PLC0415
    from distillguard.simulate.text import TextSource  # noqa: PLC0415

    try:
        if describe_dir is not None:
            click.echo(render(describe(describe_dir)))
            return
        if scenario is None or out is None:
            raise click.UsageError("give --scenario and --out (or --describe DIR)")
        spec = load_scenario(scenario)
        pools = load_pools(corpora if corpora is not None else default_corpora())
        manifest = write_simulation(spec, seed, TextSource(pools), out)
    except DistillguardError as exc:
        _fail(exc)
    exchanges = sum(g["exchanges"] for g in manifest["groups"])
    accounts = sum(g["accounts"] for g in manifest["groups"])
    click.echo(f"{spec.name} (seed {seed}): {accounts:,} accounts, {exchanges:,} exchanges written to {out}")


def _reference_ids(path: Path) -> frozenset[str]:
    """Account ids, one per line (blank lines and ``#`` comments ignored)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        _fail(ConfigError(f"{path}: cannot read the reference list ({exc})"))
    ids = frozenset(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
    if not ids:
        _fail(ConfigError(f"{path}: the reference list names no account"))
    return ids


@main.command()
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Results directory: accounts.parquet, campaigns.json, report.html, summary.json, rejected.jsonl.",
)
@click.option(
    "--target-fpr",
    type=float,
    default=None,
    help="Share of reference accounts allowed over the block line [default: the config's scan.target_fpr, 0.001].",
)
@click.option(
    "--reference",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="File of trusted account ids, one per line (default: verified accounts older than 30 days).",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Processes for the text classifiers, 0 for one per CPU [default: the config's scan.workers, 0].",
)
@click.option("--no-redact", is_flag=True, help="Show the prompts themselves in report.html.")
@click.option("--keep-work", is_flag=True, help="Keep the stage tables and the DuckDB file under OUT/.work.")
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A gateway config whose [policy] the report's actions follow (default: the gateway's defaults).",
)
@_config_option
def scan(
    *,
    dataset: Path,
    out: Path,
    target_fpr: float | None,
    reference: Path | None,
    workers: int | None,
    no_redact: bool,
    keep_work: bool,
    policy_path: Path | None,
    config_path: Path | None,
) -> None:
    """Find distillation campaigns in a v1 dataset.

    Reads DATASET (a v1 dataset directory) and writes the results to OUT.

    OUT holds accounts.parquet (every account: verdict, risk, points, reasons, campaign), campaigns.json (the
    campaigns with their evidence), report.html (the analyst's report), summary.json (counts and times) and
    rejected.jsonl (every row that failed validation, with file, row, field and reason).
    """
    settings = _settings(config_path)
    try:  # an option overrides the config's value, checked by the same model
        scan_settings = settings.scan.model_validate(
            {**settings.scan.model_dump(), **({} if target_fpr is None else {"target_fpr": target_fpr})}
        )
    except ValidationError as exc:
        _fail(ConfigError(describe_validation_error(exc, f"--target-fpr {target_fpr}: not a valid scan setting")))
    fpr = scan_settings.target_fpr
    chosen = settings.scan.workers if workers is None else workers
    options = ScanOptions(
        target_fpr=fpr,
        reference=_reference_ids(reference) if reference else None,
        workers=chosen if chosen > 0 else (os.cpu_count() or 1),
        memory_limit=settings.scan.memory_limit,
        batch_rows=settings.ingest.batch_rows,
        tiers=settings.ingest.tiers,
        spread_days=settings.ingest.timestamp_spread_days,
        redact=settings.scan.redact and not no_redact,
        keep_work=keep_work,
        releases=settings.scan.releases,
    )
    try:
        if policy_path is not None:
            options = replace(options, gateway=load_gateway_settings(policy_path))
        summary = run_scan(dataset, out, options)
    except DistillguardError as exc:
        _fail(exc)
    verdicts = summary["verdicts"]
    click.echo(
        f"{summary['exchanges_accepted']:,} exchanges ({summary['exchanges_rejected']:,} rejected), "
        f"{summary['accounts']:,} accounts ({summary['account_rows_rejected']:,} account rows rejected): "
        f"{verdicts['block']:,} block, {verdicts['review']:,} review; "
        f"{summary['campaigns']} campaigns, {summary['benign_clusters']} benign clusters; "
        f"{summary['seconds']['total']} s"
    )
    if (refused := summary.get("refusals")) is not None:
        click.echo(
            f"{refused['total']:,} requests refused before the gateway's engine; {refused['key_failures']:,} "
            f"without a valid key, from {refused['key_failure_addresses']:,} addresses (summary.json: refusals)"
        )
    click.echo(f"results in {out}: accounts.parquet, campaigns.json, report.html, rejected.jsonl, summary.json")


@main.command()
@click.argument("scan_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--labels",
    "labels",
    type=click.Path(path_type=Path, exists=True),
    required=True,
    help="A dataset with a labels table.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON.")
def evaluate(scan_dir: Path, labels: Path, as_json: bool) -> None:
    """Score a scan's verdicts against labels.

    Recall of attack accounts, legitimate accounts flagged, exchanges covered, campaign agreement.
    """
    try:
        result = evaluate_scan(scan_dir, labels)
    except DistillguardError as exc:
        _fail(exc)
    if as_json:
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return
    for line in format_evaluation(result):
        click.echo(line)


@main.command()
@click.option("--upstream", default=None, help="Base URL of the OpenAI-compatible model server (overrides the config).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Gateway config (TOML): keys, state, policy, tiers, event log.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8080, show_default=True)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Processes (more than one needs Redis)."
)
@click.option(
    "--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"])
)
def serve(
    *, upstream: str | None, config_path: Path | None, host: str, port: int, workers: int, log_level: str
) -> None:
    """Run the gateway in front of a model server (in the foreground).

    An OpenAI-compatible proxy that scores every request, keeps per-account budgets and evidence, applies the last
    scan's verdicts and the policy's action, and logs every exchange as v1 for `scan`. Stop it with Ctrl-C.
    """
    import uvicorn  # noqa: PLC0415 (the server's imports stay out of the other commands)

    from distillguard.gateway.app import SETTINGS_VARIABLE, create_app  # noqa: PLC0415

    try:
        settings = load_gateway_settings(config_path)
        if upstream is not None:
            settings = settings.model_copy(update={"upstream": upstream})
        if workers > 1 and settings.state == "memory://":
            raise ConfigError(
                f'--workers {workers} needs state shared by the worker processes: set state = "redis://..."'
            )
        app = create_app(settings)  # checks everything once, here, before any worker starts
    except DistillguardError as exc:
        _fail(exc)
    click.echo(
        f"distillguard gateway on http://{host}:{port} -> {settings.upstream} ({settings.state}, {workers} worker(s))",
        err=True,
    )
    target: Any = app
    if workers > 1:  # each worker process builds its own app from the settings checked above
        os.environ[SETTINGS_VARIABLE] = settings.model_dump_json()
        target = "distillguard.gateway.app:app_from_environment"
    uvicorn.run(
        target,
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=30,
        http="distillguard.gateway.server:GatewayHttpProtocol",  # a deadline on each request's headers
    )


main.add_command(watermark)
main.add_command(forensics)
