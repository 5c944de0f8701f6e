"""Watermark key files: one secret, its scheme and parameters, and an id that names it.

A key file is JSON, written readable by its owner only::

    {"format": "distillguard-watermark-key", "version": 1, "scheme": "kgw",
     "key_id": "kgw-5f0c1e2d3a4b6978", "secret": "<64 hex digits>",
     "context_width": 2, "gamma": 0.25, "delta": 2.0,
     "created": "2026-10-01T12:00:00Z", "account": null, "parent_key_id": null}

The id is derived from the secret (so two keys never share one and a renamed file is still
recognised) and is printed with every detection, so keys can rotate while text written under an
old key stays checkable with the old file. A per-account key is derived from a master key with
HMAC-SHA-256 over the account id: text leaked from one account's responses tests positive
under that account's key and not under its neighbours'.

Schemes: ``kgw`` (a keyed green list, Kirchenbauer et al. 2023), ``gumbel`` (distortion-free
Gumbel-max sampling, Aaronson 2022) and ``vllm-gumbel`` (the integer key of vLLM's own
Gumbel-max watermark, so text a vLLM engine marked can be verified here).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal, get_args

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from distillguard.config import describe_validation_error
from distillguard.errors import WatermarkError

Scheme = Literal["kgw", "gumbel", "vllm-gumbel"]
SCHEMES: Final[tuple[Scheme, ...]] = get_args(Scheme)
FORMAT: Final = "distillguard-watermark-key"
VERSION: Final = 1
SECRET_BYTES: Final[dict[Scheme, int]] = {"kgw": 32, "gumbel": 32, "vllm-gumbel": 8}
#: The defaults of a new key: two tokens of context keep the watermark through most single-word
#: edits while giving |V|^2 distinct seeds; a quarter of the vocabulary green with a bias of 2.
DEFAULT_CONTEXT_WIDTH: Final[dict[Scheme, int]] = {"kgw": 2, "gumbel": 2, "vllm-gumbel": 4}
DEFAULT_GAMMA: Final = 0.25
DEFAULT_DELTA: Final = 2.0
MAX_CONTEXT_WIDTH: Final = 16


class _KeyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["distillguard-watermark-key"]
    version: Literal[1]
    scheme: Scheme
    key_id: str = Field(min_length=1, max_length=200)
    secret: str = Field(pattern=r"^[0-9a-f]+$")
    context_width: int = Field(ge=1, le=MAX_CONTEXT_WIDTH)
    gamma: float | None = Field(None, gt=0, lt=1)
    delta: float | None = Field(None, ge=0, le=100)
    created: datetime
    account: str | None = None
    parent_key_id: str | None = None


@dataclass(frozen=True)
class WatermarkKey:
    """A secret and the scheme it keys; ``gamma`` and ``delta`` only for ``kgw``."""

    scheme: Scheme
    secret: bytes
    context_width: int
    gamma: float | None = None
    delta: float | None = None
    created: datetime | None = None
    account: str | None = None
    parent_key_id: str | None = None

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise WatermarkError(f"unknown watermark scheme {self.scheme!r}; choose one of {', '.join(SCHEMES)}")
        if len(self.secret) != SECRET_BYTES[self.scheme]:
            raise WatermarkError(
                f"a {self.scheme} key has a {SECRET_BYTES[self.scheme]}-byte secret, not {len(self.secret)} bytes"
            )
        if not 1 <= self.context_width <= MAX_CONTEXT_WIDTH:
            raise WatermarkError(f"context_width {self.context_width} is outside 1..{MAX_CONTEXT_WIDTH}")
        if self.scheme == "kgw":
            if self.gamma is None or not 0 < self.gamma < 1:
                raise WatermarkError(f"a kgw key needs gamma in (0, 1), not {self.gamma!r}")
            if self.delta is None or not 0 <= self.delta <= 100:
                raise WatermarkError(f"a kgw key needs delta in [0, 100], not {self.delta!r}")
        elif self.gamma is not None or self.delta is not None:
            raise WatermarkError(f"gamma and delta belong to kgw keys, not to {self.scheme}")

    @property
    def key_id(self) -> str:
        """``scheme-`` and 16 hex digits of a hash of the secret."""
        digest = hashlib.sha256(b"distillguard-watermark-key-id\0" + self.secret).hexdigest()
        return f"{self.scheme}-{digest[:16]}"

    @property
    def vllm_key(self) -> int:
        """The integer vLLM's ``--watermark-config`` takes (``vllm-gumbel`` keys only)."""
        if self.scheme != "vllm-gumbel":
            raise WatermarkError(f"{self.key_id} is a {self.scheme} key, not a vllm-gumbel key")
        return int.from_bytes(self.secret, "big")

    def vllm_config(self) -> dict[str, object]:
        """The JSON for ``vllm serve --watermark-config`` that this key verifies."""
        return {"algorithm": "gumbel", "key": self.vllm_key, "context_width": self.context_width}

    def for_account(self, account_id: str) -> WatermarkKey:
        """The key derived for one account: HMAC-SHA-256 of the account id under this key's secret."""
        if self.scheme == "vllm-gumbel":
            raise WatermarkError("vLLM's engine key is one per server; per-account keys need kgw or gumbel")
        if self.account is not None:
            raise WatermarkError(f"{self.key_id} is already the key of account {self.account!r}")
        if not account_id:
            raise WatermarkError("an account id is needed to derive an account key")
        secret = hmac.digest(self.secret, b"distillguard-account\0" + account_id.encode("utf-8"), "sha256")
        return replace(self, secret=secret, account=account_id, parent_key_id=self.key_id)


def generate_key(
    scheme: Scheme,
    *,
    context_width: int | None = None,
    gamma: float | None = None,
    delta: float | None = None,
    vllm_key: int | None = None,
) -> WatermarkKey:
    """A new key with a secret from the operating system's CSPRNG (or vLLM's existing integer key)."""
    if scheme not in SCHEMES:
        raise WatermarkError(f"unknown watermark scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if vllm_key is not None:
        if scheme != "vllm-gumbel":
            raise WatermarkError("an existing vLLM key can only be imported as a vllm-gumbel key")
        if not 0 <= vllm_key < 2**64:
            raise WatermarkError(f"vLLM keys are integers in [0, 2**64), not {vllm_key}")
        secret = vllm_key.to_bytes(8, "big")
    else:
        secret = secrets.token_bytes(SECRET_BYTES[scheme])
    is_kgw = scheme == "kgw"
    return WatermarkKey(
        scheme=scheme,
        secret=secret,
        context_width=context_width if context_width is not None else DEFAULT_CONTEXT_WIDTH[scheme],
        gamma=(gamma if gamma is not None else DEFAULT_GAMMA) if is_kgw else gamma,
        delta=(delta if delta is not None else DEFAULT_DELTA) if is_kgw else delta,
        created=datetime.now(UTC).replace(microsecond=0),
    )


def key_to_json(key: WatermarkKey) -> bytes:
    """The key file's bytes."""
    created = key.created or datetime.now(UTC).replace(microsecond=0)
    record = {
        "format": FORMAT,
        "version": VERSION,
        "scheme": key.scheme,
        "key_id": key.key_id,
        "secret": key.secret.hex(),
        "context_width": key.context_width,
        "gamma": key.gamma,
        "delta": key.delta,
        "created": created.isoformat().replace("+00:00", "Z"),
        "account": key.account,
        "parent_key_id": key.parent_key_id,
    }
    return orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n"


def save_key(key: WatermarkKey, path: Path, *, overwrite: bool = False) -> None:
    """Write ``path`` readable and writable by its owner only; an existing file is kept unless ``overwrite``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        raise WatermarkError(f"{path}: already exists; a key file is never overwritten silently") from None
    except OSError as exc:
        raise WatermarkError(f"{path}: cannot write the key file ({exc.strerror})") from exc
    with os.fdopen(descriptor, "wb") as out:
        out.write(key_to_json(key))


def load_key(path: Path, *, scheme: Scheme | None = None) -> WatermarkKey:
    """The key in ``path``; a :class:`WatermarkError` naming the file and field when it is not one we can use."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise WatermarkError(f"{path}: key file not found") from None
    except OSError as exc:
        raise WatermarkError(f"{path}: cannot read the key file ({exc.strerror})") from exc
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise WatermarkError(f"{path}: not a watermark key file (not JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise WatermarkError(f'{path}: not a watermark key file (no "format": "{FORMAT}")')
    if data.get("version") != VERSION:
        raise WatermarkError(f"{path}: key file version {data.get('version')!r}; this release reads version {VERSION}")
    try:
        record = _KeyFile.model_validate(data)
    except ValidationError as exc:
        raise WatermarkError(describe_validation_error(exc, f"{path}: invalid watermark key file")) from None
    try:
        key = WatermarkKey(
            scheme=record.scheme,
            secret=bytes.fromhex(record.secret),
            context_width=record.context_width,
            gamma=record.gamma,
            delta=record.delta,
            created=record.created,
            account=record.account,
            parent_key_id=record.parent_key_id,
        )
    except ValueError:
        raise WatermarkError(f"{path}: `secret` is not an even number of hex digits") from None
    except WatermarkError as exc:
        raise WatermarkError(f"{path}: {exc}") from None
    if key.key_id != record.key_id:
        raise WatermarkError(f"{path}: key_id {record.key_id!r} does not match its secret ({key.key_id}); edited?")
    if scheme is not None and key.scheme != scheme:
        raise WatermarkError(f"{path}: a {key.scheme} key, but a {scheme} key is needed here")
    return key
