"""One task list: graders/rubric.toml is the source, and every other place that lists the
rubric tasks lists the same ones, in the same (gradebook) order."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

import pytest

from adkit.authoring import regions
from tests.helpers import ROOT

RUBRIC = tomllib.loads((ROOT / "graders" / "rubric.toml").read_text(encoding="utf-8"))
TASKS = list(RUBRIC["tasks"])  # TOML keeps the file's order


def test_the_kits_task_list_is_read_from_the_rubric():
    assert list(regions.TASKS) == TASKS


def _ini_markers(path: Path) -> list[str]:
    config = configparser.ConfigParser()
    config.read(path, encoding="utf-8")
    lines = [line.strip() for line in config["pytest"]["markers"].splitlines() if line.strip()]
    return [line.split(":", 1)[0] for line in lines]


@pytest.mark.parametrize("where", ["reference/pytest.ini", "skeleton/pytest.ini"])
def test_public_test_markers(where):
    assert _ini_markers(ROOT / where) == TASKS


def test_kit_markers():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    markers = [m.split(":", 1)[0] for m in pyproject["tool"]["pytest"]["ini_options"]["markers"]]
    assert [m for m in markers if m not in ("slow", "unit", "sandbox", "e2e")] == TASKS


def test_notebook_templates_name_each_task_with_its_points():
    """The notebooks' task headings, in order over the four notebooks: each template names
    its task's points by the rubric ({points:TASK}), and each generated notebook shows the
    rubric's number."""
    headings, shown = [], []
    for template in sorted((ROOT / "assignments" / "templates").glob("[0-9]_*.py")):
        text = template.read_text(encoding="utf-8")
        headings += re.findall(r"^# ### Task `(\w+)` \(\{points:(\w+)\} points\)", text,
                               flags=re.M)
        notebook = ROOT / "assignments" / "source" / "autodiff" / f"{template.stem}.ipynb"
        shown += re.findall(r"### Task `(\w+)` \((\d+(?:\.\d+)?) points\)",
                            notebook.read_text(encoding="utf-8"))
    assert [task for task, _ in headings] == TASKS
    assert all(task == named for task, named in headings)
    assert [task for task, _ in shown] == TASKS
    assert {task: float(points) for task, points in shown} == {
        task: float(RUBRIC["tasks"][task]["points"]) for task in TASKS}


def test_cohort_expectations_name_rubric_tasks():
    expected = tomllib.loads((ROOT / "tests" / "cohort" / "expectations.toml")
                             .read_text(encoding="utf-8"))
    for student, rules in expected.items():
        for key in ("loses", "zero"):
            named = rules.get(key, [])
            if named != "all":
                assert set(named) <= set(TASKS), (student, key, named)
        if student.startswith("bug_"):
            task = next(t for t in sorted(TASKS, key=len, reverse=True)
                        if student.startswith(f"bug_{t}_"))
            assert task in rules["loses"], f"{student} must lose points in its own task"
    bugs = {t for t in TASKS for s in expected if s.startswith(f"bug_{t}_")}
    assert bugs == set(TASKS), "every task has at least one buggy submission"


@pytest.mark.parametrize("where", ["README.md", "docs/contract.md"])
def test_documents_list_the_tasks_in_order(where):
    text = (ROOT / where).read_text(encoding="utf-8")
    listed = ", ".join(f"`{t}`" for t in TASKS)
    assert listed in re.sub(r"\s+", " ", text), f"{where} must list {listed}"


def test_gradebook_header_in_the_contract():
    text = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    assert f"student_id,{','.join(TASKS)},total,max_total" in text
