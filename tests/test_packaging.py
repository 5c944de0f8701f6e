"""The wheel ships what runs in production: no training code, no evaluation sets, no experiment reports."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling is not installed (the dev extra installs it)")
    out = tmp_path_factory.mktemp("wheel")
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        str(out),
        str(ROOT),
    ]
    subprocess.run(command, check=True, capture_output=True)
    (built,) = out.glob("distillguard-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_holds_the_package_and_its_shipped_files(wheel_files: list[str]) -> None:
    assert "distillguard/cli.py" in wheel_files
    assert "distillguard/signals/models/extraction.npz" in wheel_files
    assert "distillguard/signals/models/minilm-static.npz" in wheel_files
    assert "distillguard/simulate/scenarios/tiny.toml" in wheel_files


def test_the_wheel_holds_no_training_code_nor_evaluation_sets(wheel_files: list[str]) -> None:
    package_files = [f for f in wheel_files if not f.startswith("distillguard-")]  # the .dist-info folder aside
    assert all(f.startswith("distillguard/") for f in package_files), package_files
    assert not [f for f in package_files if "training" in f or "heldout" in f]
    assert not [f for f in package_files if f.endswith(".json")], "reports and evaluation sets stay out of the wheel"


def test_no_held_out_wrapper_is_written_anywhere_in_the_wheel(wheel: Path) -> None:
    """What the evaluation measures must not ship: no file of the wheel quotes a held-out wrapper."""
    sets = sorted((ROOT / "training" / "heldout").glob("set-*.json"))
    assert sets, "the held-out sets are data files in training/heldout/"
    wrappers = [
        w for path in sets for f in json.loads(path.read_text(encoding="utf-8"))["families"] for w in f["wrappers"]
    ]
    probes = [w.split("{", 1)[0].strip()[:60] for w in wrappers]
    probes = [p for p in probes if len(p) >= 40]  # a distinctive opening, long enough not to occur by chance
    assert len(probes) > 100
    with zipfile.ZipFile(wheel) as archive:
        texts = [archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if not n.endswith(".npz")]
    found = [p for p in probes if any(p in text for text in texts)]
    assert not found, found[:5]
