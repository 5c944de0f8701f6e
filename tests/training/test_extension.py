"""The extension fit: new columns only, over the family's own logit, and nothing else moves."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from distillguard.signals.extraction import FAMILIES, ExtractionModel
from distillguard.signals.featurize import featurize
from distillguard.simulate.corpus import load_pools
from tests.conftest import CORPORA
from tests.training.test_training import _examples, _trained
from training import build
from training.build import build_examples, train
from training.cot_asks import LANGUAGE_ASKS
from training.extension import fit_with_offset, new_columns
from training.languages import LANGUAGES
from training.splits import in_eval_split

COT = FAMILIES.index("cot_elicitation")


def test_new_columns_are_the_extensions_alone() -> None:
    matrix = sparse.csr_matrix(np.array([[1, 1, 0, 0, 0], [0, 1, 1, 0, 1], [0, 0, 0, 1, 1]], dtype=np.float32))
    extension = np.array([False, True, True])
    assert new_columns(matrix, extension).tolist() == [2, 3, 4]
    assert new_columns(matrix, np.array([False, False, True])).tolist() == [3]
    assert new_columns(matrix, np.array([False, False, False])).tolist() == []


def test_without_an_offset_the_fit_is_a_plain_logistic_regression() -> None:
    rng = np.random.default_rng(3)
    x = sparse.csr_matrix((rng.random((200, 12)) < 0.3).astype(np.float64))
    truth = rng.normal(size=12)
    positive = (x @ truth + rng.normal(scale=0.5, size=200)) > 0.3
    weights = rng.uniform(0.5, 3.0, size=200)
    ours = fit_with_offset(x, positive, np.zeros(200), weights, 0.7)
    reference = LogisticRegression(C=0.7, fit_intercept=False, tol=1e-10, max_iter=10_000)
    reference.fit(x, positive, sample_weight=weights)
    np.testing.assert_allclose(ours, reference.coef_[0], atol=1e-4)


def test_an_offset_is_what_the_weights_need_not_add() -> None:
    x = sparse.csr_matrix(np.eye(4))
    positive = np.array([True, True, False, False])
    weights = np.ones(4)
    plain = fit_with_offset(x, positive, np.zeros(4), weights, 1.0)
    helped = fit_with_offset(x, positive, np.array([3.0, 3.0, -3.0, -3.0]), weights, 1.0)
    hindered = fit_with_offset(x, positive, np.array([-3.0, -3.0, 3.0, 3.0]), weights, 1.0)
    assert np.all(np.abs(helped) < np.abs(plain))
    assert np.all(np.abs(hindered) > np.abs(plain))
    assert np.all(np.sign(plain) == np.sign(hindered))


def test_the_language_asks_are_the_twelve_languages_and_new_to_them() -> None:
    codes = {lang.code for lang in LANGUAGES if "cot_elicitation" in lang.asks}
    assert set(LANGUAGE_ASKS) == codes
    for lang in LANGUAGES:
        if lang.code in LANGUAGE_ASKS:
            assert not set(LANGUAGE_ASKS[lang.code]) & set(lang.asks["cot_elicitation"]), lang.code


@cache
def _plain() -> ExtractionModel:
    """The model trained without the language asks (everything else the same)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "LANGUAGE_ASKS_SHARE", 0)
        return train(build_examples(load_pools(CORPORA), per_family=30, seed=3))


@pytest.mark.corpus
def test_cots_extension_moves_only_its_own_columns() -> None:
    """Trained without the language asks, every weight but the new columns' is the same; the new columns are those
    no other fitted example uses (the held-back real prompts are not fitted)."""
    extended, plain = _trained(), _plain()
    moved = np.flatnonzero(extended.weights[:, COT] != plain.weights[:, COT])
    assert len(moved) > 100
    other = np.delete(np.arange(len(FAMILIES)), COT)
    np.testing.assert_array_equal(extended.weights[:, other], plain.weights[:, other])
    np.testing.assert_array_equal(extended.bias, plain.bias)
    examples = _examples()
    mine = [e.text for e in examples if e.origin == "language_asks"]
    assert len(mine) == 30 * build.LANGUAGE_ASKS_SHARE
    held_back = [e.origin.startswith("users:") and in_eval_split(e.text + "#v", 0.2) for e in examples]
    others = [
        e.text
        for e, back in zip(examples, held_back, strict=True)
        if e.origin != "language_asks" and e.split == "train" and not back
    ]
    assert not featurize(others).matrix(ends=True, embedded=False)[:, moved].nnz
    assert featurize(mine).matrix(ends=True, embedded=False)[:, moved].nnz


@pytest.mark.corpus
def test_the_language_asks_fire_more_and_their_benign_twins_do_not() -> None:
    model, plain = _trained(), _plain()
    items = ["What is 17 times 23?", "Natalia sold clips to 48 of her friends in April. How many in May?"]
    asks = [f"{ask}\n{item}" for asks in LANGUAGE_ASKS.values() for ask in asks for item in items]
    benign = [
        b.replace("{q}", item).replace("{a}", "391")
        for lang in LANGUAGES
        if lang.code in LANGUAGE_ASKS
        for b in lang.benign
        for item in items
    ]
    fired = (model.score(asks)[:, COT] >= 0.5).mean()
    assert fired > (plain.score(asks)[:, COT] >= 0.5).mean() + 0.2
    assert (model.score(benign)[:, COT] >= 0.5).mean() < 0.1
