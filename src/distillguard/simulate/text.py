"""Text for simulated exchanges, drawn from the real corpora, by persona and campaign kind.

Every generator returns prompts (and, for multi-turn chat, an earlier turn), the
responses, and the name of the text source of each row, so the manifest can report the
share of each source per group. Arrays are built a column at a time.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from distillguard.simulate import wrappers
from distillguard.simulate.corpus import Pools

Rng = np.random.Generator

APP_SYSTEM_PROMPTS = (
    "You are ShopBot, the assistant of an online shoe store. Answer in two sentences and never discuss prices "
    "of other stores.",
    "You are a support agent for a banking app. Be concise, polite and never ask for passwords.",
    "You summarise customer reviews for a product team. Output one neutral sentence.",
    "You are a travel planner. Reply with a short itinerary in bullet points.",
)
APP_TEMPLATES = (
    "Summarize this customer message in one sentence: {q}",
    "A customer asks: {q}\nWrite a short, friendly reply.",
    "Classify the intent of this message as question, complaint or other: {q}",
)
PIPELINE_TEMPLATES = (
    "Extract the named entities (people, places, organisations) from the text as JSON: {q}",
    "Classify the topic of the following text into one of: science, sport, politics, culture, other.\n{q}",
    "Rewrite the following sentence in plain English for a grade-6 reader: {q}",
)
STUDENT_TEMPLATES = (
    "Can you explain step by step how to solve this? {q}",
    "I don't understand this homework question, can you walk me through it: {q}",
    "Please check my reasoning and explain where I went wrong. The problem: {q}",
)
TRANSLATOR_TEMPLATES = (
    "Translate the following into French, keeping the tone: {q}",
    "Please translate this to Japanese: {q}",
    "Translate into Spanish and explain any idioms you had to adapt: {q}",
    "把下面这段话翻译成中文：{q}",  # noqa: RUF001 (Chinese punctuation)
)
RESEARCH_SUFFIXES = ("\nLet's think step by step.", "\nAnswer with the final number after '####'.", "")
# Open-source agent frameworks send one fixed prompt around every user's task, with the app's own tools.
# The first is the ReAct prompt published with LangChain (hub "hwchase17/react"); the second is written here
# in the manner of code-acting agents.
AGENT_FRAMEWORK_PROMPTS = (
    "Answer the following questions as best you can. You have access to the following tools:\n\n{tools}\n\n"
    "Use the following format:\n\nQuestion: the input question you must answer\nThought: you should always "
    "think about what to do\nAction: the action to take, should be one of [{tool_names}]\nAction Input: the "
    "input to the action\nObservation: the result of the action\n... (this Thought/Action/Action Input/"
    "Observation can repeat N times)\nThought: I now know the final answer\nFinal Answer: the final answer to "
    "the original input question\n\nBegin!\n\nQuestion: {q}\nThought:",
    "You are an expert assistant who solves tasks by writing Python code that calls the tools below. At each "
    "step write a short 'Thought:' and then a 'Code:' block ending with '<end_code>'.\nTools:\n{tools}\n\n"
    "Task: {q}",
)
ASSIGNMENT_ITEMS = 40  # the items a class works through together


@dataclass(frozen=True)
class Texts:
    """Prompt, response and source, one per row; the optional columns default to none for every row."""

    prompts: list[str]
    responses: list[str]
    sources: list[str]
    earlier: list[str | None] = field(default_factory=list)
    system: list[str | None] = field(default_factory=list)
    tools: list[list[str] | None] = field(default_factory=list)
    earlier_reply: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.prompts)
        for name in ("earlier", "system", "tools", "earlier_reply"):
            if not getattr(self, name):
                object.__setattr__(self, name, [None] * n)


class TextSource:
    """Pools of real text, indexed once, drawn from by every generator.

    ``reasoning`` is the campaigns' bank of reasoning wrappers (slots ``{q}``, ``{a}``, ``{b}``): the
    simulator's own by default; a benchmark may hand it others (wrappers the classifier misses).
    """

    def __init__(self, pools: Pools, *, reasoning: tuple[str, ...] = wrappers.REASONING) -> None:
        if not reasoning:
            raise ValueError("the reasoning wrappers are empty")
        self.reasoning = reasoning
        self._queue: _Queue | None = None
        users = [
            (name, text)
            for name in ("sharegpt", "nq", "hh_rlhf", "arena_hard", "mt_bench")
            for text in pools.users.get(name, [])
        ]
        self.user_names = [n for n, _ in users]
        self.user_texts = [t for _, t in users]
        items = [(name, i) for name in ("gsm8k", "math", "humaneval", "mbpp") for i in pools.items[name]]
        self.item_names = [n for n, _ in items]
        self.item_q = [i.question for _, i in items]
        self.item_a = [i.answer or "def solution():\n    ..." for _, i in items]
        qa = [("gsm8k", i) for i in pools.items["gsm8k"]] + [("arena_answers", i) for i in pools.items["arena_answers"]]
        self.qa_names = [n for n, _ in qa]
        self.qa_q = [i.question for _, i in qa]
        self.qa_a = [i.answer[:2_000] for _, i in qa]
        instr = [(name, i.question) for name in ("alpaca", "self_instruct", "wizardlm") for i in pools.items[name]]
        self.instr_names = [n for n, _ in instr]
        self.instr = [q for _, q in instr]
        self.censored = [i.question for i in pools.items["deccp_censored"]]
        self.tools = pools.tools["bfcl_simple"] + pools.tools["bfcl_multiple"]
        self.judges = pools.judge_prompts
        self.code = [i.question for name in ("humaneval", "mbpp") for i in pools.items[name]]

    def _answers(self, rng: Rng, n: int) -> list[str]:
        """Real answers (GSM8K solutions, Arena-Hard GPT-4 answers) for response slots."""
        return [self.qa_a[i] for i in self._pick(rng, n, len(self.qa_a))]

    def _pick(self, rng: Rng, n: int, size: int) -> list[int]:
        picks: list[int] = rng.integers(0, size, n).tolist()
        return picks

    def _pick_items(self, rng: Rng, n: int, size: int) -> list[int]:
        """The task items a campaign sends: at random, or the next ones of its queue."""
        return self._pick(rng, n, size) if self._queue is None else self._queue.take(n, size)

    def queued(self, key: str, start: int) -> TextSource:
        """A view of this source that draws task items from one shuffled queue (``key``), from position ``start`` on.

        A campaign splitting a dataset among its accounts asks each item once until the whole set is done:
        its accounts' items never repeat across accounts (complementary coverage).
        """
        view = copy.copy(self)
        view._queue = _Queue(key, start)
        return view

    def chat(self, rng: Rng, n: int) -> Texts:
        """Real user prompts; a third of them follow an earlier turn."""
        picks = self._pick(rng, n, len(self.user_texts))
        earlier_picks = self._pick(rng, n, len(self.user_texts))
        multi = (rng.random(n) < 0.33).tolist()
        answers = self._pick(rng, n, len(self.qa_a))
        replies = self._answers(rng, n)
        return Texts(
            [self.user_texts[i] for i in picks],
            [self.qa_a[a] for a in answers],
            [self.user_names[i] for i in picks],
            earlier=[self.user_texts[e] if m else None for e, m in zip(earlier_picks, multi, strict=True)],
            earlier_reply=[r if m else None for r, m in zip(replies, multi, strict=True)],
        )

    def templated(self, rng: Rng, n: int, templates: tuple[str, ...], source: str, system: str | None) -> Texts:
        """A fixed template around real user text (apps, pipelines, students)."""
        picks = self._pick(rng, n, len(self.user_texts))
        which = self._pick(rng, n, len(templates))
        answers = self._pick(rng, n, len(self.qa_a))
        return Texts(
            [templates[w].format(q=self.user_texts[i][:600]) for w, i in zip(which, picks, strict=True)],
            [self.qa_a[a][:400] for a in answers],
            [f"{source}+{self.user_names[i]}" for i in picks],
            system=[system] * n,
        )

    def research(self, rng: Rng, n: int) -> Texts:
        """Benchmark items, sent the way evaluation harnesses send them."""
        picks = self._pick(rng, n, len(self.item_q))
        suffix = self._pick(rng, n, len(RESEARCH_SUFFIXES))
        return Texts(
            [self.item_q[i] + RESEARCH_SUFFIXES[s] for i, s in zip(picks, suffix, strict=True)],
            [self.item_a[i] for i in picks],
            [self.item_names[i] for i in picks],
        )

    def student(self, rng: Rng, n: int) -> Texts:
        """Homework questions with requests for step-by-step help."""
        picks = self._pick(rng, n, len(self.item_q))
        which = self._pick(rng, n, len(STUDENT_TEMPLATES))
        return Texts(
            [STUDENT_TEMPLATES[w].format(q=self.item_q[i]) for w, i in zip(which, picks, strict=True)],
            [self.item_a[i] for i in picks],
            [f"student+{self.item_names[i]}" for i in picks],
        )

    def assignment(self, rng: Rng, n: int, classes: list[int]) -> Texts:
        """A class's homework: each class works through its own ``ASSIGNMENT_ITEMS`` items, asking for help."""
        item = self._pick(rng, n, ASSIGNMENT_ITEMS)
        which = self._pick(rng, n, len(STUDENT_TEMPLATES))
        picks = [_stable(f"class/{c}/{j}", len(self.item_q)) for c, j in zip(classes, item, strict=True)]
        return Texts(
            [STUDENT_TEMPLATES[w].format(q=self.item_q[i]) for w, i in zip(which, picks, strict=True)],
            [self.item_a[i] for i in picks],
            [f"student+{self.item_names[i]}" for i in picks],
        )

    def framework(self, rng: Rng, n: int, framework: int, accounts: list[int]) -> Texts:
        """Apps built on one open-source agent framework: its fixed prompt, each app's own tools, users' tasks."""
        template = AGENT_FRAMEWORK_PROMPTS[framework % len(AGENT_FRAMEWORK_PROMPTS)]
        picks = self._pick(rng, n, len(self.user_texts))
        answers = self._pick(rng, n, len(self.qa_a))
        prompts: list[str] = []
        tools: list[list[str] | None] = []
        for account, i in zip(accounts, picks, strict=True):
            _, schema = self.tools[_stable(f"app/{framework}/{account}", len(self.tools))]
            names = [f["name"] for f in json.loads(schema)]
            prompts.append(template.format(tools=schema, tool_names=", ".join(names), q=self.user_texts[i][:600]))
            tools.append(names)
        return Texts(
            prompts,
            [self.qa_a[a][:400] for a in answers],
            [f"agent_framework+{self.user_names[i]}" for i in picks],
            tools=tools,
        )

    def tool_calls(self, rng: Rng, n: int) -> Texts:
        """Real function-calling requests with their schemas, as an agent framework sends them."""
        picks = self._pick(rng, n, len(self.tools))
        requests = [self.tools[i] for i in picks]
        return Texts(
            [request for request, _ in requests],
            [json.dumps({"name": json.loads(schema)[0]["name"], "arguments": {}}) for _, schema in requests],
            ["bfcl"] * n,
            system=["You are an assistant that calls functions when needed."] * n,
            tools=[[f["name"] for f in json.loads(schema)] for _, schema in requests],
        )

    def wrapped_qa(self, rng: Rng, n: int, templates: tuple[str, ...], source: str) -> Texts:
        """Campaign wrappers around real questions with real answers."""
        picks = self._pick_items(rng, n, len(self.qa_q))
        second = self._pick(rng, n, len(self.qa_a))
        which = self._pick(rng, n, len(templates))
        return Texts(
            [
                templates[w].format(q=self.qa_q[i], a=self.qa_a[i], b=self.qa_a[j])
                for w, i, j in zip(which, picks, second, strict=True)
            ],
            [self.qa_a[i] for i in picks],
            [f"{source}+{self.qa_names[i]}" for i in picks],
        )

    def rubric(self, rng: Rng, n: int) -> Texts:
        """MT-bench's real judge templates filled with real questions and answers."""
        picks = self._pick_items(rng, n, len(self.qa_q))
        judges = self._pick(rng, n, len(self.judges))
        prompts = []
        for j, i in zip(judges, picks, strict=True):
            values = _Defaulting(question=self.qa_q[i], question_1=self.qa_q[i], default=self.qa_a[i][:1_500])
            prompts.append(self.judges[j]["prompt_template"].format_map(values))
        return Texts(
            prompts,
            ["Rating: [[7]]" if k % 2 else "[[A]]" for k in range(n)],
            [f"mt_bench_judge+{self.qa_names[i]}" for i in picks],
            system=[self.judges[j]["system_prompt"] for j in judges],
        )

    def censorship(self, rng: Rng, n: int) -> Texts:
        """Sensitive questions with requests for a censorship-safe answer."""
        picks = self._pick_items(rng, n, len(self.censored))
        which = self._pick(rng, n, len(wrappers.CENSORSHIP))
        return Texts(
            [wrappers.CENSORSHIP[w].format(q=self.censored[i]) for w, i in zip(which, picks, strict=True)],
            self._answers(rng, n),
            ["deccp_censored"] * n,
        )

    def _wrapped_instructions(self, rng: Rng, n: int, templates: tuple[str, ...], label: str) -> Texts:
        """Alpaca / self-instruct / WizardLM instructions inside one of ``templates``."""
        picks = self._pick_items(rng, n, len(self.instr))
        which = self._pick(rng, n, len(templates))
        return Texts(
            [templates[w].format(q=self.instr[i]) for w, i in zip(which, picks, strict=True)],
            self._answers(rng, n),
            [f"{label}+{self.instr_names[i]}" for i in picks],
        )

    def coercion(self, rng: Rng, n: int) -> Texts:
        """Attempts to pull hidden reasoning out, in several languages."""
        return self._wrapped_instructions(rng, n, wrappers.COERCION, "coercion")

    def agentic(self, rng: Rng, n: int) -> Texts:
        """Tool-use trajectories (BFCL requests and schemas) and coding with explanations."""
        picks = self._pick_items(rng, n, len(self.tools))
        code = self._pick_items(rng, n, len(self.code))
        is_tool = (rng.random(n) < 0.6).tolist()
        which = self._pick(rng, n, 2)
        prompts: list[str] = []
        sources: list[str] = []
        tools: list[list[str] | None] = []
        for t, c, w, use_tool in zip(picks, code, which, is_tool, strict=True):
            if use_tool:
                request, schema = self.tools[t]
                prompts.append(wrappers.TOOLS[w].format(q=request, tools=schema))
                sources.append("bfcl")
                tools.append([f["name"] for f in json.loads(schema)])
            else:
                prompts.append(wrappers.CODING[w].format(q=self.code[c]))
                sources.append("humaneval+mbpp")
                tools.append(None)
        return Texts(
            prompts,
            self._answers(rng, n),
            sources,
            tools=tools,
        )

    def sweep(self, rng: Rng, n: int) -> Texts:
        """Instruction sets inside a fixed reference-answer wrapper."""
        return self._wrapped_instructions(rng, n, wrappers.SWEEP, "sweep")

    def every_trick(self, rng: Rng, n: int) -> Texts:
        """A technique sweep: each row a different kind of extraction."""
        makers: tuple[Callable[[Rng, int], Texts], ...] = (
            lambda r, k: self.wrapped_qa(r, k, self.reasoning, "reasoning"),
            self.coercion,
            self.rubric,
            self.censorship,
            self.sweep,
        )
        which = rng.integers(0, len(makers), n)
        parts = [makers[m](rng, int((which == m).sum())) for m in range(len(makers))]
        return interleave(parts, which)


class _Queue:
    """One shuffled order per pool size, read from a cursor: each item once per pass over the pool."""

    def __init__(self, key: str, start: int) -> None:
        self.key = key
        self.cursors: dict[int, int] = {}
        self.start = start
        self.orders: dict[int, np.ndarray] = {}

    def take(self, n: int, size: int) -> list[int]:
        if size not in self.orders:
            seed = int.from_bytes(hashlib.blake2b(f"{self.key}/{size}".encode(), digest_size=8).digest(), "big")
            self.orders[size] = np.random.default_rng(seed).permutation(size)
        cursor = self.cursors.get(size, self.start)
        self.cursors[size] = cursor + n
        picks: list[int] = self.orders[size][(cursor + np.arange(n)) % size].tolist()
        return picks


def _stable(text: str, modulo: int) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") % modulo


class _Defaulting(dict[str, str]):
    def __init__(self, default: str, **values: str) -> None:
        super().__init__(values)
        self.default = default

    def __missing__(self, key: str) -> str:
        return self.default


def interleave(parts: list[Texts], which: np.ndarray) -> Texts:
    """Rows taken in turn from ``parts[which[i]]``, each part read in order."""
    cursors = [0] * len(parts)
    names = ("prompts", "earlier", "responses", "sources", "system", "tools", "earlier_reply")
    columns: dict[str, list[object]] = {name: [] for name in names}
    for m in which.tolist():
        part = parts[m]
        k = cursors[m]
        cursors[m] += 1
        for name, values in columns.items():
            values.append(getattr(part, name)[k])
    return Texts(**columns)  # type: ignore[arg-type]


def mix(primary: Texts, benign: Texts, use_benign: np.ndarray) -> Texts:
    """Rows of ``primary`` with the ``use_benign`` rows taken from ``benign`` (camouflage)."""
    return interleave([primary, benign], use_benign.astype(np.int64)) if use_benign.any() else primary
