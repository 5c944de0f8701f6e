"""``distillguard forensics``: radioactivity and suspect-model probes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from distillguard.errors import DistillguardError, ForensicsError, ModelUnavailableError
from distillguard.forensics.models import ChatModel, PredictingModel, close_model, open_model
from distillguard.forensics.spec import ModelSpec, parse_spec

_SPEC_HELP = "a model directory, a .gguf file, http://host:port/v1[#MODEL], smollm2 or gemma3-270m; LABEL=SPEC names it"


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _spec(text: str) -> ModelSpec:
    try:
        return parse_spec(text)
    except ForensicsError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


def key_tokenizer(name: str) -> Any:
    """The tokenizer the key's text is read with, named as ``watermark detect --tokenizer`` names it."""
    from distillguard.forensics.gguf_tokenizer import as_transformers  # noqa: PLC0415
    from distillguard.watermark.tokenizer import load_tokenizer  # noqa: PLC0415

    return as_transformers(load_tokenizer(name).tokenizer)


def _read_lines(path: Path, field: str) -> list[str]:
    """Texts from JSON Lines (``{field: ...}`` a line) or plain text (one a line); errors name the line."""
    texts: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ForensicsError(f"{path}: cannot be read ({exc})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if path.suffix == ".jsonl":
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ForensicsError(f"{path} line {number}: not JSON ({exc})") from exc
            text = value.get(field) if isinstance(value, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise ForensicsError(f"{path} line {number}: `{field}` is missing or not a non-empty string")
            texts.append(text)
        else:
            texts.append(line)
    if not texts:
        raise ForensicsError(f"{path}: holds no {field}s")
    return texts


@click.group("forensics")
def forensics() -> None:
    """Evidence against a suspect model: radioactivity of our watermark, identity, agreement, style."""


@forensics.command("radioactivity")
@click.option("--key", "key_path", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Key file.")
@click.option("--suspect", "suspects", multiple=True, required=True, help=f"Suspect model (repeatable): {_SPEC_HELP}.")
@click.option("--mode", type=click.Choice(["open", "closed", "both"]), default="both", show_default=True)
@click.option(
    "--texts",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Open mode: texts to feed the suspect, JSON Lines {'text': ...} or one a line (see docs/forensics.md).",
)
@click.option(
    "--prompts",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Closed mode: prompts for the suspect, JSON Lines {'prompt': ...} or one a line.",
)
@click.option(
    "--tokenizer",
    default="smollm2",
    show_default=True,
    help="The teacher's tokenizer: smollm2 (shipped), a tokenizer.json, a directory holding one, or a .gguf file.",
)
@click.option("--max-new-tokens", type=int, default=128, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True)
@click.option("--timeout", "timeout_s", type=float, default=120.0, show_default=True, help="Seconds per request.")
def radioactivity(  # noqa: PLR0917 (click passes each option as an argument)
    key_path: Path,
    suspects: tuple[str, ...],
    mode: str,
    texts: Path | None,
    prompts: Path | None,
    tokenizer: str,
    max_new_tokens: int,
    seed: int,
    device: str,
    timeout_s: float,
) -> None:
    """Test whether each suspect was trained on text carrying the key's watermark (one JSON line each).

    Exit 0 when every suspect was tested, 1 when some could not be (their lines carry the error),
    2 on bad input.
    """
    from distillguard.forensics.radioactivity import closed_mode, open_mode  # noqa: PLC0415
    from distillguard.watermark.keys import load_key  # noqa: PLC0415
    from distillguard.watermark.schemes import scheme_for  # noqa: PLC0415

    specs = [_spec(text) for text in suspects]
    modes = ["open", "closed"] if mode == "both" else [mode]
    try:
        scheme = scheme_for(load_key(key_path))
        if "open" in modes and texts is None:
            raise ForensicsError("open mode needs --texts: our own watermarked texts to feed the suspect")
        if "closed" in modes and prompts is None:
            raise ForensicsError("closed mode needs --prompts: what to ask the suspect")
        marked = _read_lines(texts, "text") if texts is not None and "open" in modes else []
        asked = _read_lines(prompts, "prompt") if prompts is not None and "closed" in modes else []
        reader = key_tokenizer(tokenizer)
    except DistillguardError as exc:
        _fail(str(exc))
        return
    failed = False
    for spec in specs:
        try:
            model = open_model(spec, device=device, timeout_s=timeout_s)
        except DistillguardError as exc:
            failed = True
            click.echo(orjson.dumps({"suspect": spec.label, "error": str(exc)}).decode())
            continue
        for chosen in modes:
            try:
                if chosen == "open":
                    if not isinstance(model, PredictingModel):
                        raise ModelUnavailableError(f"{spec.label}: this model gives no next-token predictions")
                    result = open_mode(scheme, model, marked, reader)
                else:
                    result = closed_mode(scheme, model, asked, reader, max_new_tokens=max_new_tokens, seed=seed)
                click.echo(orjson.dumps(result.record()).decode())
            except DistillguardError as exc:
                failed = True
                click.echo(orjson.dumps({"suspect": spec.label, "mode": chosen, "error": str(exc)}).decode())
        close_model(model)
    sys.exit(1 if failed else 0)


def _opener(spec: ModelSpec, device: str, timeout_s: float) -> Any:
    def opened() -> ChatModel:
        return open_model(spec, device=device, timeout_s=timeout_s)

    return opened


@forensics.command("probe")
@click.option("--suspect", required=True, help=f"The suspect model: {_SPEC_HELP}.")
@click.option("--teacher", required=True, help="Our model, the suspected teacher.")
@click.option("--reference", "references", multiple=True, required=True, help="An independent model (repeatable).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Report directory.")
@click.option("--name", "names", multiple=True, help="A name of the teacher or its maker (repeatable; else learnt).")
@click.option("--samples", type=int, default=2, show_default=True, help="Sampled answers per identity/style probe.")
@click.option("--max-new-tokens", type=int, default=64, show_default=True)
@click.option("--limit", type=int, default=None, help="Only the first N probes of each section (a quick run).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True)
@click.option("--timeout", "timeout_s", type=float, default=120.0, show_default=True, help="Seconds per request.")
def probe(  # noqa: PLR0917 (click passes each option as an argument)
    suspect: str,
    teacher: str,
    references: tuple[str, ...],
    out: Path,
    names: tuple[str, ...],
    samples: int,
    max_new_tokens: int,
    limit: int | None,
    seed: int,
    device: str,
    timeout_s: float,
) -> None:
    """Probe a suspect for identity, agreement and style against the teacher; write forensics.json/.html.

    Exit 0 when the tests ran (whatever they found), 1 when the suspect, the teacher or every
    reference failed, 2 on bad input.
    """
    from distillguard.forensics.probes import ProbeSettings, analyse, collect  # noqa: PLC0415
    from distillguard.forensics.report import write_report  # noqa: PLC0415

    settings = ProbeSettings(samples=samples, max_new_tokens=max_new_tokens, seed=seed, limit=limit)
    suspect_spec, teacher_spec = _spec(suspect), _spec(teacher)
    reference_specs = [_spec(text) for text in references]
    gathered = [
        collect(_opener(spec, device, timeout_s), settings, label=spec.label)
        for spec in (suspect_spec, teacher_spec, *reference_specs)
    ]
    for answers in gathered:
        status = f"error: {answers.error}" if answers.error else f"{answers.seconds:.0f} s"
        click.echo(f"{answers.label}: {status}", err=True)
    report = analyse(gathered[0], gathered[1], gathered[2:], names=names, seed=seed)
    record = write_report(report, out)
    if report.error:
        click.echo(f"error: {report.error}; see {out / 'forensics.html'}", err=True)
        sys.exit(1)
    for test in record["tests"]:
        click.echo(f"{test['name']}: p = {test['p_value']:.3g}  {test['evidence']}")
    combined = record["combined"]
    click.echo(f"global p = {combined['global_p_value']:.3g} ({combined['method']}); report in {out}")
