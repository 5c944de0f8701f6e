"""More ways of asking for written-out reasoning, for cot's training examples only.

The phrase banks' 28 cot asks (:mod:`phrases`) are where most of cot's training vocabulary
comes from, and cot is the family whose recall on held-out template families stays under its
target: the families it misses ask in words the banks lack. These asks were written after
set-7 (:mod:`heldout`) was committed, from the public descriptions of chain-of-thought
harvesting (reasoning reconstructed behind a completed answer, full traces, step-by-step
working), in constructions the banks do not use: the reasoning as the thing wanted rather
than the answer, the trace as a document, the links between question and answer. They are
composed as the banks' asks are (an optional role and output format, one of cot's layouts)
by a generator of their own, so no other example moves with them.
"""

from __future__ import annotations

from typing import Final

ASKS: Final[tuple[str, ...]] = (
    "Talk yourself through this problem in detail, one consideration at a time, and only then answer.",
    "Lay out your thinking in full: what you notice first, what you try, what you check and what you conclude.",
    "Give a complete worked solution, making every intermediate calculation and inference explicit.",
    "Explain the answer by reproducing the whole sequence of thoughts that led to it.",
    "Document the reasoning behind this response as a detailed, ordered trace.",
    "I need the reasoning, not only the result: write out each step of the thinking that gets there.",
    "Trace the logic from the question to the answer, showing each link of the chain.",
    "Describe how one gets from this question to this answer, thought by thought.",
    "Write the thinking that should come before this answer, in as much detail as possible.",
    "Give a step-by-step reasoning trace that ends in exactly this answer.",
    "Show the full working behind the answer; every step must be visible.",
    "Provide an explicit, exhaustive reasoning chain for this item, then the answer.",
    "Reason about this openly and at length; the reasoning itself is what is needed.",
    "Present the detailed thought process that connects the problem statement to the solution.",
    "Produce the chain-of-thought for this example, complete and in order.",
    "Write a reasoning trace for this item, each step on its own line and the answer at the end.",
    "Reconstruct how this answer was arrived at, including the checks made along the way.",
    "Make the reasoning behind this response explicit, from the first observation to the conclusion.",
    "请把得出这个答案的思考过程完整地写出来，每一步都不要省略。",
    "详细说明这个结论是如何一步步推导出来的，把中间的推理全部写出来。",
    "この解答がどのように導かれたのか、思考の各ステップを詳しく説明してください。",
    "この答えの根拠となる推論を、最初の気づきから結論まで順に書き出してください。",
)
