"""The held-out evaluation sets: template families the model is not trained on (but for the promoted sets).

Each set is a data file in ``training/heldout/`` (``set-NN.json``), frozen before the training change it measures;
the README there records when each was committed. Read in name order, so ``HELD_OUT_SETS`` keeps the sets' order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from training.templates import TemplateFamily

HELD_OUT_DIR: Final = Path(__file__).parent / "heldout"


def _read_set(path: Path) -> tuple[str, tuple[TemplateFamily, ...]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    families = tuple(
        TemplateFamily(str(f["family"]), str(f["name"]), tuple(str(w) for w in f["wrappers"]))
        for f in document["families"]
    )
    return str(document["set"]), families


def load_held_out_sets(directory: Path = HELD_OUT_DIR) -> dict[str, tuple[TemplateFamily, ...]]:
    """Every ``set-*.json`` in ``directory``, by set name, in file-name order."""
    return dict(_read_set(path) for path in sorted(directory.glob("set-*.json")))


HELD_OUT_SETS: Final[dict[str, tuple[TemplateFamily, ...]]] = load_held_out_sets()
HELD_OUT_FAMILIES: Final[tuple[TemplateFamily, ...]] = tuple(t for families in HELD_OUT_SETS.values() for t in families)
HELD_OUT_SET: Final[dict[str, str]] = {t.name: name for name, families in HELD_OUT_SETS.items() for t in families}
