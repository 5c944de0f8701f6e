"""A plain keyword baseline, kept only to measure the classifier against.

One hand-written regular expression per family, the rule a team would write first.
``docs/signals.md`` reports where it wins and where the learned model does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from distillguard.signals.extraction import FAMILIES

KEYWORDS: Final[dict[str, re.Pattern[str]]] = {
    "cot_elicitation": re.compile(
        r"chain[- ]of[- ]thought|reasoning (behind|process|that led)|step[- ]by[- ]step (reasoning|rationale)"
        r"|articulate .*reasoning|reconstruct .*reasoning",
        re.I,
    ),
    "reasoning_coercion": re.compile(
        r"verbatim|debug mode|system prompt|working memory|internal (reasoning|thinking|thoughts)"
        r"|thinking (tokens|content|block)|思考过程|思维链|推理过程|思考プロセス|推論",
        re.I,
    ),
    "rubric_grading": re.compile(
        r"scale of 1 ?(to|-) ?10|rate the (following )?response|impartial judge|which (response|answer) is better"
        r"|rubric|reward",
        re.I,
    ),
    "censorship_rewrite": re.compile(
        r"(safe|sanitized|compliant|politically correct|approved) (version|answer|rewrite|response)"
        r"|content regulations|政治正确|符合.*法规",
        re.I,
    ),
    "tool_trajectory": re.compile(r"\"parameters\"|tool calls?|function calls?|trajectory|available tools", re.I),
    "task_sweep": re.compile(r"training data|dataset|data generation|transparent reasoning|task_id|item_id", re.I),
}


def keyword_scores(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """1.0 where a family's expression matches, else 0.0; ``(len(texts), families)``."""
    out = np.zeros((len(texts), len(FAMILIES)), dtype=np.float32)
    for column, family in enumerate(FAMILIES):
        pattern = KEYWORDS[family]
        out[:, column] = [1.0 if pattern.search(t) else 0.0 for t in texts]
    return out
