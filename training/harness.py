r"""Evaluation harnesses' zero-shot layouts: an item and an empty answer slot, as hard negatives.

A researcher's harness sends a benchmark item in a fixed layout ("Problem: ...\nAnswer:") and
nothing else. Without these the layout alone, whose words and ends cot's reconstruct-the-answer
wrappers share, fired ``cot_elicitation`` on most MATH items that lm-evaluation-harness's MATH
task sends (``eval-published``). Training and evaluation draw from disjoint lists; none asks for
reasoning, and none is few-shot (solved examples first), which cost rubric its recall when tried.
Only cot's fit sees them (``build.ONLY_FOR``): a sweep whose wrapper is a bare layout
looks just like them, and the account-level stages, not one prompt, tell the two apart.
"""

from __future__ import annotations

from typing import Final

HARNESS: Final[dict[str, tuple[str, ...]]] = {
    "train": (
        "Problem:\n{q}\n\nSolution:",
        "Question: {q}\nFinal answer:",
        "Q: {q}\nA:",
        "{q}\nAnswer:",
        "Input: {q}\nOutput:",
        "Task: {q}\nResponse:",
        "Problem {n}. {q}\nAnswer:",
        "### Question\n{q}\n### Answer\n",
        "Question {n}: {q}\nYour answer:",
        "{q}\n\nThe answer is",
        "Exercise: {q}\nAnswer:",
        "Query: {q}\nResult:",
    ),
    "eval": (
        "Problem: {q}\nAnswer:",
        "Question: {q}\nAnswer:",
        "Item: {q}\nCorrect answer:",
        "Prompt: {q}\nCompletion:",
        "Question:\n{q}\nAnswer:\n",
        "{q}\nA:",
    ),
}
