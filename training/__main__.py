"""``python -m training`` from the checkout."""

from training.cli import main

main()
