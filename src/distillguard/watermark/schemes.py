"""The watermark schemes: what each scores per (context, token) pair and how its sum is tested.

Every scheme answers the same four questions, so detection, pooling and the processors are
written once (:mod:`distillguard.watermark.detect`, :mod:`distillguard.watermark.sampling`):

- ``uniform(contexts, tokens)``: the keyed number ``r`` in (0, 1) of each pair;
- ``pair_scores(contexts, tokens)``: each pair's contribution to the statistic;
- ``p_values(statistics, counts)``: the exact tail probability of each sum under the null;
- ``vocabulary(context, vocab_size)``: every token's ``r`` after one context, for sampling.

``kgw`` (green list): token ``t`` is green after context ``c`` when ``r(c, t) < gamma``;
generation adds ``delta`` to the green logits; the statistic counts green pairs.
``gumbel`` (distortion-free): generation picks ``argmax_t r(c, t) ** (1 / p_t)``, which draws
``t`` with probability ``p_t`` exactly; the statistic sums ``-log(1 - r)``.
"""

from __future__ import annotations

from typing import Final, Literal, Protocol

import numpy as np
import numpy.typing as npt

from distillguard.errors import WatermarkError
from distillguard.watermark.keyed_hash import KeyedUniform
from distillguard.watermark.keys import WatermarkKey
from distillguard.watermark.stats import binomial_tail, gamma_tail
from distillguard.watermark.vllm_gumbel import VllmGumbel

Floats = npt.NDArray[np.float64]
Dedupe = Literal["pair", "context"]


class Scheme(Protocol):
    """What detection and sampling need from a scheme."""

    @property
    def key(self) -> WatermarkKey:
        """The key the scheme is under."""
        ...

    @property
    def context_width(self) -> int:
        """``h``: the tokens before a position that seed its numbers."""
        ...

    @property
    def statistic_name(self) -> str:
        """``green_tokens`` or ``score``."""
        ...

    @property
    def dedupe(self) -> Dedupe:
        """Which pairs count: ``pair`` or ``context``.

        ``pair``: each distinct (context, token) pair counts once (the null is then exact);
        ``context``: each distinct context counts once, with its first token (vLLM's rule).
        """
        ...

    @property
    def distortion_free(self) -> bool:
        """Whether sampling keeps the model's distribution (averaged over keys)."""
        ...

    def uniform(self, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> Floats:
        """The keyed number of each (context row, token)."""
        ...

    def pair_scores(self, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> Floats:
        """Each pair's contribution to the statistic."""
        ...

    def p_values(self, statistics: npt.ArrayLike, counts: npt.ArrayLike) -> Floats:
        """The tail probability of each statistic over ``counts`` distinct pairs."""
        ...

    def vocabulary(self, context: npt.ArrayLike, vocab_size: int) -> Floats:
        """``r`` of every token after ``context``."""
        ...


class GreenList:
    """The keyed green-list scheme (Kirchenbauer et al. 2023) with a context of ``h`` tokens."""

    statistic_name: Final = "green_tokens"
    dedupe: Final[Dedupe] = "pair"
    distortion_free: Final = False

    def __init__(self, key: WatermarkKey) -> None:
        if key.scheme != "kgw" or key.gamma is None or key.delta is None:
            raise WatermarkError(f"{key.key_id} is a {key.scheme} key, not a kgw key")
        self.key = key
        self.context_width = key.context_width
        self.gamma: float = key.gamma
        self.delta: float = key.delta
        self._uniform = KeyedUniform(key.secret, "kgw")

    def uniform(self, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> Floats:
        """``r`` of each pair."""
        return self._uniform.pairs(contexts, tokens)

    def pair_scores(self, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> Floats:
        """1.0 for a green pair, 0.0 for a red one."""
        return (self.uniform(contexts, tokens) < self.gamma).astype(np.float64)

    def p_values(self, statistics: npt.ArrayLike, counts: npt.ArrayLike) -> Floats:
        """``P(Binomial(n, gamma) >= green)``."""
        return binomial_tail(statistics, counts, self.gamma)

    def vocabulary(self, context: npt.ArrayLike, vocab_size: int) -> Floats:
        """``r`` of every token after ``context``."""
        return self._uniform.vocabulary(context, vocab_size)

    def vocabularies(self, contexts: npt.ArrayLike, vocab_size: int) -> Floats:
        """``r`` of every token after each context row (rows x vocabulary)."""
        return self._uniform.vocabularies(contexts, vocab_size)

    def green_masks(self, contexts: npt.ArrayLike, vocab_size: int) -> npt.NDArray[np.bool_]:
        """Which tokens are green after each context row (rows x vocabulary)."""
        return self.vocabularies(contexts, vocab_size) < self.gamma


class GumbelMax:
    """Distortion-free Gumbel-max sampling (Aaronson 2022) with a context of ``h`` tokens."""

    statistic_name: Final = "score"
    dedupe: Final[Dedupe] = "pair"
    distortion_free: Final = True

    def __init__(self, key: WatermarkKey) -> None:
        if key.scheme != "gumbel":
            raise WatermarkError(f"{key.key_id} is a {key.scheme} key, not a gumbel key")
        self.key = key
        self.context_width = key.context_width
        self._uniform = KeyedUniform(key.secret, "gumbel")

    def uniform(self, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> Floats:
        """``r`` of each pair."""
        return self._uniform.pairs(contexts, tokens)

    def pair_scores(self, contexts: npt.ArrayLike, tokens: npt.ArrayLike) -> Floats:
        """``-log(1 - r)``: Exp(1) under the null, large where the sampler favoured the token."""
        return -np.log1p(-self.uniform(contexts, tokens))

    def p_values(self, statistics: npt.ArrayLike, counts: npt.ArrayLike) -> Floats:
        """``P(Gamma(n, 1) >= score)``."""
        return gamma_tail(statistics, counts)

    def vocabulary(self, context: npt.ArrayLike, vocab_size: int) -> Floats:
        """``r`` of every token after ``context``."""
        return self._uniform.vocabulary(context, vocab_size)

    def vocabularies(self, contexts: npt.ArrayLike, vocab_size: int) -> Floats:
        """``r`` of every token after each context row (rows x vocabulary)."""
        return self._uniform.vocabularies(contexts, vocab_size)


def scheme_for(key: WatermarkKey) -> Scheme:
    """The scheme a key belongs to."""
    if key.scheme == "kgw":
        return GreenList(key)
    if key.scheme == "gumbel":
        return GumbelMax(key)
    return VllmGumbel(key)
