"""``python -m distillguard``: the same as the ``distillguard`` command."""

from distillguard.cli import main

main()
