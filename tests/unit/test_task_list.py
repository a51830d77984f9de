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


def test_the_rubric_lists_the_seven_tasks():
    assert TASKS == ["graph", "topological_order", "forward_mode", "reverse_mode",
                     "wrapper", "tape", "operators"]


def test_the_kits_task_list_is_read_from_the_rubric():
    assert list(regions.TASKS) == TASKS


def _rubric_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "graders" / "rubric.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "rubric.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


RUN_ORDER = 'run_order = ["graph", "topological_order", "forward_mode", "reverse_mode", "tape",\n' \
            '             "operators", "wrapper"]'


@pytest.mark.parametrize(("old", "new", "said"), [
    (RUN_ORDER, 'run_order = ["graph"]', "run_order must list every task once"),
    (RUN_ORDER, RUN_ORDER.replace('"wrapper"', '"graph"'), "run_order must list every task"),
    (RUN_ORDER, RUN_ORDER.replace('"wrapper"', '{ a = 1 }'), "run_order must list every task"),
    (RUN_ORDER, 'run_order = "graph"', "run_order must list every task once"),
    ("[tasks.tape]\npoints = 15\n", "[tasks.tape]\npoints = 15\nshared = true\n",
     "[tasks.tape] has unknown key(s) ['shared']; allowed: points, tests, shared_graphs"),
    ("[tasks.tape]\npoints = 15\nshared_graphs = true", "[tasks.tape]\npoints = 15\n"
     "shared_graphs = 1", "[tasks.tape] shared_graphs must be true or false"),
])
def test_a_wrong_run_order_or_task_setting_is_refused_with_what_to_do(tmp_path, old, new, said):
    from adkit.model.rubric import RubricError, load_rubric

    with pytest.raises(RubricError) as error:
        load_rubric(_rubric_with(tmp_path, old, new))
    assert said in str(error.value)


def test_the_rubrics_run_order_and_shared_graphs_are_read(tmp_path):
    from adkit.model.rubric import load_rubric

    swapped = RUN_ORDER.replace('"tape",', '"operators",', 1).replace(
        '"operators", "wrapper"', '"tape", "wrapper"')
    rubric = load_rubric(_rubric_with(tmp_path, RUN_ORDER, swapped))
    assert rubric.run_order.index("operators") < rubric.run_order.index("tape")
    rubric = load_rubric(_rubric_with(tmp_path, "[tasks.tape]\npoints = 15\nshared_graphs = true",
                                      "[tasks.tape]\npoints = 15"))
    assert "tape" not in rubric.shared_graphs and "reverse_mode" in rubric.shared_graphs


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


def test_a_kit_whose_own_rubric_cannot_be_read_says_to_restore_it(tmp_path, monkeypatch):
    from adkit.model import rubric

    broken = tmp_path / "rubric.toml"
    broken.write_text("[tasks.graph\npoints = 20\n", encoding="utf-8")
    assert rubric._task_tables(broken) == () and rubric._task_tables(tmp_path / "none") == ()
    monkeypatch.setattr(rubric, "TASKS", ())
    with pytest.raises(rubric.RubricError, match="task list is read from .*restore it"):
        rubric.load_rubric()
