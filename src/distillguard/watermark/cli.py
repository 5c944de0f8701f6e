"""``distillguard watermark``: make keys, and test texts for a watermark.

    distillguard watermark keygen --out KEYFILE [--scheme kgw|gumbel|vllm-gumbel] [--vllm-key N]
    distillguard watermark detect --key KEYFILE [--tokenizer NAME_OR_PATH] --file TEXTS.jsonl
                                  [--pool] [--account ID] [--format jsonl|table]

``detect`` reads one ``{"text": ...}`` object a line (an ``id`` field is echoed back) and writes
one line per text, or one pooled line (``--pool``), each with ``p_value``, ``tokens_scored`` and
the scheme's statistic. Bad input (a missing or empty file, a line that is not a JSON object
with a string ``text``, an unknown tokenizer, a key file of another scheme) exits 2 with the
file, line and field at fault.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, NoReturn

import click
import orjson

from distillguard.errors import WatermarkError
from distillguard.json_lines import dumps_line
from distillguard.watermark.detect import Detection, detect_many
from distillguard.watermark.keys import SCHEMES, Scheme, WatermarkKey, generate_key, load_key, save_key
from distillguard.watermark.schemes import scheme_for
from distillguard.watermark.tokenizer import DEFAULT_TOKENIZER, TextTokenizer, load_tokenizer

EXIT_ERROR: Final = 2
BATCH: Final = 2_000


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group("watermark")
def watermark() -> None:
    """Watermark keys and detection (the key and the tokenizer suffice; no model)."""


@watermark.command()
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Key file to write.")
@click.option("--scheme", type=click.Choice(SCHEMES), default="kgw", show_default=True)
@click.option("--context-width", type=int, default=None, help="Tokens of context per position (kgw/gumbel: 2).")
@click.option("--gamma", type=float, default=None, help="kgw: share of the vocabulary that is green (0.25).")
@click.option("--delta", type=float, default=None, help="kgw: bias added to green logits (2.0).")
@click.option("--vllm-key", type=int, default=None, help="vllm-gumbel: the integer key a vLLM server already uses.")
def keygen(  # noqa: PLR0917 - click passes each option by position
    out: Path,
    scheme: Scheme,
    context_width: int | None,
    gamma: float | None,
    delta: float | None,
    vllm_key: int | None,
) -> None:
    """Write a new secret key (owner-readable only) and print its id."""
    try:
        key = generate_key(scheme, context_width=context_width, gamma=gamma, delta=delta, vllm_key=vllm_key)
        save_key(key, out)
    except WatermarkError as exc:
        _fail(str(exc))
    click.echo(f"{key.key_id} written to {out}")
    if scheme == "vllm-gumbel":
        config = orjson.dumps(key.vllm_config()).decode()
        click.echo(f"vllm serve MODEL --watermark-config '{config}'   # keep this secret too")


def _read_texts(path: Path) -> Iterator[tuple[int, Any, str]]:
    """``(line number, id, text)`` of each line of a JSON Lines file; exits 2 on the first bad line."""
    try:
        handle = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    except OSError as exc:
        _fail(f"{path}: cannot read ({exc.strerror})")
    seen = 0
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                _fail(f"{path} line {number}: not JSON ({exc})")
            if not isinstance(record, dict):
                _fail(f"{path} line {number}: expected an object with a `text` field")
            text = record.get("text")
            if not isinstance(text, str):
                kind = "missing" if text is None else f"a {type(text).__name__}, not a string"
                _fail(f"{path} line {number}: `text` is {kind}")
            seen += 1
            yield number, record.get("id"), text
    if seen == 0:
        _fail(f"{path}: no texts (the file is empty)")


def _table_line(detection: Detection, label: str) -> str:
    return (
        f"{label:<12} p={detection.p_value:<11.3g} tokens_scored={detection.tokens_scored:<6} "
        f"{detection.statistic_name}={detection.statistic:.4g}"
    )


def _load(key_path: Path, account: str | None, tokenizer_name: str) -> tuple[WatermarkKey, TextTokenizer]:
    try:
        key = load_key(key_path)
    except WatermarkError as exc:
        message = str(exc)
        try:
            data = orjson.loads(key_path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            data = None
        if isinstance(data, dict) and "key" in data and "algorithm" in data:
            message += (
                "; this looks like vLLM's --watermark-config: import it with "
                f"`distillguard watermark keygen --scheme vllm-gumbel --vllm-key {data['key']} --out KEYFILE`"
            )
        _fail(message)
    try:
        if account is not None:
            key = key.for_account(account)
        return key, load_tokenizer(tokenizer_name)
    except WatermarkError as exc:
        _fail(str(exc))


@watermark.command()
@click.option("--key", "key_path", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option(
    "--tokenizer",
    "tokenizer_name",
    default=DEFAULT_TOKENIZER,
    show_default=True,
    help="smollm2 (shipped), a tokenizer.json, a directory holding one, or a .gguf model file.",
)
@click.option("--file", "path", type=click.Path(path_type=Path, dir_okay=False), required=True, help="JSON Lines.")
@click.option("--pool", is_flag=True, help="One test over all the texts (pairs de-duplicated across them).")
@click.option("--account", default=None, help="Test under this account's key, derived from KEYFILE.")
@click.option("--format", "output_format", type=click.Choice(["jsonl", "table"]), default="jsonl", show_default=True)
def detect(  # noqa: PLR0917 - click passes each option by position
    key_path: Path, tokenizer_name: str, path: Path, pool: bool, account: str | None, output_format: str
) -> None:
    """Test each text (or the pool) for the key's watermark: exact p-values."""
    key, tokenizer = _load(key_path, account, tokenizer_name)
    scheme = scheme_for(key)
    out = sys.stdout.buffer
    if pool:
        sequences = []
        count = 0
        for _, _, text in _read_texts(path):
            sequences.extend(tokenizer.encode([text]))
            count += 1
        pooled = detect_many(scheme, sequences, pool=True)[0]
        if output_format == "table":
            click.echo(_table_line(pooled, f"pool of {count}"))
        else:
            out.write(dumps_line({"pooled": True, "texts": count, **pooled.record()}) + b"\n")
        return
    batch: list[tuple[int, Any, str]] = []

    def flush() -> None:
        detections = detect_many(scheme, tokenizer.encode([text for _, _, text in batch]))
        for (number, text_id, _), detection in zip(batch, detections, strict=True):
            if output_format == "table":
                click.echo(_table_line(detection, f"line {number}"))
            else:
                head: dict[str, Any] = {"line": number} if text_id is None else {"line": number, "id": text_id}
                out.write(dumps_line({**head, **detection.record()}) + b"\n")
        batch.clear()

    for item in _read_texts(path):
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
    flush()
