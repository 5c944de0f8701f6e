"""The training tools' command: its own entry point, writing nothing into the source tree unless told to."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from distillguard.cli import main as user_main
from training.cli import main as training_main

ROOT = Path(__file__).resolve().parents[2]


def test_the_users_command_has_the_users_verbs_only() -> None:
    assert set(user_main.commands) >= {"validate", "convert", "detect", "simulate", "scan", "evaluate", "serve"}
    assert not set(user_main.commands) & set(training_main.commands)


@pytest.mark.parametrize("name", sorted(training_main.commands))
def test_no_default_output_is_inside_the_source_tree_or_the_docs(name: str) -> None:
    command = training_main.commands[name]
    paths = [p.default for p in command.params if isinstance(p, click.Option) and isinstance(p.default, Path)]
    assert paths, f"{name} has no output path option"
    for path in paths:
        resolved = (ROOT / path).resolve() if not path.is_absolute() else path
        for protected in ("src", "docs", "training", "tests"):
            assert not resolved.is_relative_to(ROOT / protected), f"{name}: default {path} writes into {protected}/"
