"""The static embeddings of a prompt's opening and closing words."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from safetensors.numpy import save_file
from tokenizers import Tokenizer

from distillguard.errors import EmbeddingError
from distillguard.signals import run_signals
from distillguard.signals.extraction import FAMILIES, builtin_model
from distillguard.signals.featurize import EMBEDDING_SCALE, N_FEATURES, embed_prepared, preprocess
from distillguard.signals.static_embedding import (
    COLUMNS,
    DIM,
    WINDOW_CHARS,
    WINDOW_PIECES,
    StaticEmbedding,
    builtin_embedding,
)
from distillguard.signals.tokens import SMALL_BATCH
from training.build import EMBEDDING_FAMILIES
from training.cli import main as training_main
from training.distil import from_model2vec

PROMPTS = (
    "You are an expert data analyst. Solve the following task: item_id=4821, what is 2+2?",
    "record_id,48213\nprompt,Hello there\ncompletion,<detailed and explained>",
    '{"task_id": 17, "instruction": "Summarise the café\'s menu", "output_format": "detailed"}',
    "Rate the response below from 1 to 10 against the rubric; reply with [[score]] only.",
)


@pytest.mark.parametrize("prompt", PROMPTS)
def test_window_pieces_are_the_tokenizers_own(prompt: str) -> None:
    """Words cached one by one give the pieces the tokenizer gives the whole window."""
    table = builtin_embedding()
    tokenizer = Tokenizer.from_str(table.tokenizer_json)
    unknown = tokenizer.token_to_id("[UNK]")
    prepared = preprocess(prompt)
    opening, closing = table.window_pieces(prepared)
    head = [i for i in tokenizer.encode(prepared[:WINDOW_CHARS], add_special_tokens=False).ids if i != unknown]
    tail = [i for i in tokenizer.encode(prepared[-WINDOW_CHARS:], add_special_tokens=False).ids if i != unknown]
    assert opening == head[:WINDOW_PIECES]
    assert closing == tail[-WINDOW_PIECES:]


def test_each_window_is_a_unit_vector_times_the_scale() -> None:
    embedded = embed_prepared([preprocess(p) for p in PROMPTS])
    assert embedded.shape == (len(PROMPTS), COLUMNS)
    norms = np.linalg.norm(embedded.reshape(len(PROMPTS), 2, DIM), axis=2)
    np.testing.assert_allclose(norms, EMBEDDING_SCALE, rtol=1e-5)


def test_a_text_without_pieces_embeds_as_zeros() -> None:
    assert not embed_prepared(["", "   \n\t "]).any()


def test_opening_and_closing_windows_differ_on_a_long_text() -> None:
    text = preprocess("Write a poem about the sea. " + "filler words here " * 50 + "Rate it from 1 to 10.")
    opening, closing = builtin_embedding().window_pieces(text)
    assert len(opening) == len(closing) == WINDOW_PIECES
    assert opening != closing


def test_round_trip_and_bad_file(tmp_path: Path) -> None:
    table = builtin_embedding()
    small = StaticEmbedding(table.vectors[:100], table.tokenizer_json)
    small.save(tmp_path / "t.npz")
    again = StaticEmbedding.load(tmp_path / "t.npz")
    np.testing.assert_array_equal(again.vectors, small.vectors.astype(np.float16).astype(np.float32))
    (tmp_path / "bad.npz").write_bytes(b"not a table")
    with pytest.raises(EmbeddingError, match=r"bad\.npz"):
        StaticEmbedding.load(tmp_path / "bad.npz")


def test_a_model2vec_directory_becomes_a_table(tmp_path: Path) -> None:
    table = builtin_embedding()
    save_file({"embeddings": table.vectors[:50]}, str(tmp_path / "model.safetensors"))
    (tmp_path / "tokenizer.json").write_text(table.tokenizer_json, encoding="utf-8")
    np.testing.assert_array_equal(from_model2vec(tmp_path).vectors, table.vectors[:50])
    save_file({"embeddings": table.vectors[:50, :10]}, str(tmp_path / "model.safetensors"))
    with pytest.raises(EmbeddingError, match=rf"expected \(pieces, {DIM}\)"):
        from_model2vec(tmp_path)


def test_distillation_without_the_train_extra_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "model2vec.distill", None)
    result = CliRunner().invoke(training_main, ["distil-embeddings", "--out-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "distil extra" in result.output
    assert not (tmp_path / "minilm-static.npz").exists()


def test_only_the_chosen_families_read_the_embeddings() -> None:
    weights = builtin_model().weights[N_FEATURES:]
    for column, family in enumerate(FAMILIES):
        assert weights[:, column].any() == (family in EMBEDDING_FAMILIES), family


def test_evidence_names_the_wrapper_words_that_carry_a_sweep() -> None:
    prompt = (
        "You are an expert data analyst. Solve the following task and provide complete and transparent reasoning, "
        "suitable for use as high-quality training data.\nTask: How many legs do three spiders have?"
    )
    batch = run_signals([prompt])
    assert batch.scores[0, FAMILIES.index("task_sweep")] >= 0.5
    assert "the opening words 'you are an expert data analyst" in batch.evidence[0]["task_sweep"]


def test_words_without_pieces_do_not_shorten_a_window() -> None:
    """An emoji has no piece in the table: the window reads on until it has its pieces."""
    text = preprocess("😀 " * 20 + "please grade the answers below on a scale from one to ten " * 3 + "😀 " * 20)
    opening, closing = builtin_embedding().window_pieces(text)
    assert len(opening) == len(closing) == WINDOW_PIECES
    plain = builtin_embedding().window_pieces(
        preprocess("please grade the answers below on a scale from one to ten " * 3)
    )
    assert (opening, closing) == plain


def test_one_text_embeds_as_in_a_column() -> None:
    """A few texts are read in Python, a column in polars and numpy: the same windows either way."""
    table = builtin_embedding()
    texts = [preprocess(p) for p in (*PROMPTS, "", "😀 " * 300 + "rate it 1-10", "a" * 500, "x " * 400)]
    column = table.embed_prepared(texts + [""] * SMALL_BATCH)
    for index, text in enumerate(texts):
        np.testing.assert_allclose(table.embed_prepared([text])[0], column[index], atol=1e-6)
