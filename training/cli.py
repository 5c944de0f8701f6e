"""``python -m training``: rebuild, evaluate and ship the extraction model (run from the checkout).

Nothing is written into the source tree unless asked: every output goes under ``--out-dir`` (``build/training`` by
default). Shipping a model is the runbook in ``docs/signals.md``: copy the file into the package and update its hash.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from distillguard.errors import DistillguardError
from distillguard.simulate.corpus import default_corpora

F = TypeVar("F", bound=Callable[..., object])
DEFAULT_OUT = Path("build/training")


def _fail(exc: DistillguardError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


def _corpora_option(function: F) -> F:
    option = click.option(
        "--corpora",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="The real-text corpora [default: $DISTILLGUARD_CORPORA, else ../shared/data/corpora beside the project].",
    )
    return option(function)


def _out_option(function: F) -> F:
    option = click.option(
        "--out-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=DEFAULT_OUT,
        show_default=True,
        help="Where the model, the table and the reports are written.",
    )
    return option(function)


def _corpora(corpora: Path | None) -> Path:
    try:
        return corpora if corpora is not None else default_corpora()
    except DistillguardError as exc:
        _fail(exc)


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file (what ``distillguard.signals.shipped`` checks a shipped file against)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
def main() -> None:
    """Training tools of distillguard's extraction model (the train extra; not part of the package)."""


@main.command("train-signals")
@_corpora_option
@_out_option
@click.option("--seed", type=int, default=13, show_default=True, help="The examples' random seed.")
def train_signals(corpora: Path | None, out_dir: Path, seed: int) -> None:
    """Rebuild the extraction model from real text.

    Writes the model (extraction.npz) and its held-out evaluation (signals-eval.json) under --out-dir.
    """
    from training.run import train_and_evaluate  # noqa: PLC0415 (loaded only when training)

    out, report = out_dir / "extraction.npz", out_dir / "signals-eval.json"
    try:
        result = train_and_evaluate(_corpora(corpora), out, report, seed)
    except DistillguardError as exc:
        _fail(exc)
    click.echo(f"model written to {out} (sha256 {sha256_of(out)}); evaluation in {report}")
    header = ("family", "precision", "held-out recall", "FPR real users", "cross-val recall")
    click.echo(f"{header[0]:<20} {header[1]:>9} {header[2]:>16} {header[3]:>16} {header[4]:>17}")
    folds = result["cross_validation"]["families"]
    for family, m in result["classifier"]["families"].items():
        held = f"{m['held_out_hits']}/{m['held_out_total']}"
        fpr = f"{m['fp_real_users']}/{m['real_users']}"
        crossed = f"{folds[family]['hits']}/{folds[family]['total']}"
        click.echo(f"{family:<20} {m['precision']:>9.3f} {held:>16} {fpr:>16} {crossed:>17}")


@main.command("eval-published")
@_corpora_option
@_out_option
@click.option(
    "--cache",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path.home() / ".cache" / "distillguard" / "wheels",
    show_default=True,
    help="Where the pinned wheels are kept (downloaded from PyPI when missing).",
)
@click.option("--per-template", type=click.IntRange(min=1), default=200, show_default=True, help="Examples a template.")
@click.option("--seed", type=int, default=13, show_default=True, help="The examples' random seed.")
def eval_published(corpora: Path | None, out_dir: Path, cache: Path, per_template: int, seed: int) -> None:
    """Score the shipped model on published tools' templates.

    The templates are read out of the tools' pinned PyPI wheels; the report is published-eval.json under --out-dir.
    """
    from training.published_eval import run_published  # noqa: PLC0415 (needs the train extra)

    report = out_dir / "published-eval.json"
    try:
        result = run_published(_corpora(corpora), cache, report, per_template=per_template, seed=seed)
    except DistillguardError as exc:
        _fail(exc)
    click.echo(f"evaluation in {report}")
    click.echo(f"{'template':<48} {'family':<16} {'user message':>13} {'or system':>14} {'keywords':>9}")
    keywords = result["keyword_baseline"]["templates"]
    for key, m in result["classifier"]["templates"].items():
        family = m["family"] or "legitimate"
        hits = ("hits_user", "hits_either") if m["family"] else ("any_user", "any_either")
        words = keywords[key][hits[0]]
        click.echo(f"{key:<48} {family:<16} {m[hits[0]]:>7}/{m['total']:<5} {m[hits[1]]:>8}/{m['total']:<5} {words:>9}")
    click.echo(f"{'application (its prompts alone)':<48} {'prompts':>8} {'any family fires':>17} {'keywords':>9}")
    apps = result["applications"]
    for package, m in apps["classifier"].items():
        click.echo(f"{package:<48} {m['prompts']:>8} {m['any']:>17} {apps['keyword_baseline'][package]['any']:>9}")


@main.command("distil-embeddings")
@_out_option
def distil_embeddings(out_dir: Path) -> None:
    """Rebuild the static embedding table.

    Distils the packaged all-MiniLM-L6-v2 (the distil extra) into minilm-static.npz under --out-dir.
    """
    from training.distil import distil_minilm  # noqa: PLC0415 (loaded only when training)

    out = out_dir / "minilm-static.npz"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        distil_minilm().save(out)
    except DistillguardError as exc:
        _fail(exc)
    click.echo(f"static embedding table written to {out} (sha256 {sha256_of(out)})")
