"""Real prompts in other languages (``users_multilingual.jsonl``): the part that trains and calibrates, and the rest.

Users write in every language, so a language must never be evidence on its own; the positives of several families
were written in many languages, and these are the negatives that teach the model that the language of a prompt is
not what makes it an extraction attempt. Whole sources are held out, to measure the false-positive rate by language
on prompts from sources no fit or calibration has seen: M-IFEval (Spanish, French and Japanese prompts written in the
language), the Japanese Vicuna questions, KoMT-Bench (Korean) and the Thai and Hindi MT-Bench translations (two
scripts nothing else trains). The language-confusion sets are the only source of Chinese, Arabic and Russian prompts,
languages the positives use: half of each, by a stable hash of the text, trains, the other half is held out. Every
other source (MT-Bench translated by people into 14 more languages) trains.

Written before any model was fitted with these prompts; the held-out part is looked at once per candidate model.
"""

from __future__ import annotations

from typing import Final

from distillguard.simulate.corpus import UserPrompt
from training.splits import in_eval_split

HELD_OUT_SOURCES: Final = (
    "shisa-ai/M-IFEval:",
    "ku-nlp/ja-vicuna-qa-benchmark:",
    "LG-AI-EXAONE/KoMT-Bench:",
    "ServiceNow/FastChat:fastchat/llm_judge/data/mt_bench_thai/",
    "ServiceNow/FastChat:fastchat/llm_judge/data/mt_bench_hindi/",
)
HALF_HELD_OUT_SOURCES: Final = ("for-ai/language-confusion:",)
HALF: Final = 0.5


def held_out(prompt: UserPrompt) -> bool:
    """Whether ``prompt`` is in the held-out part (never fitted, never calibrated on)."""
    if prompt.source.startswith(HELD_OUT_SOURCES):
        return True
    return prompt.source.startswith(HALF_HELD_OUT_SOURCES) and in_eval_split(prompt.text + "#multilingual", HALF)


def origin_of(prompt: UserPrompt) -> str:
    """The example origin of a multilingual prompt: ``users:multilingual:<language>``."""
    return f"users:multilingual:{prompt.language}"
