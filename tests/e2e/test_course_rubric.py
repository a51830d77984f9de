"""Points live once, in graders/rubric.toml: a change there reaches every generated place
(the notebooks' headings and test cells, docs/course.md's table, the skeleton's README), and
until they are regenerated the freshness checks of `make test` fail. Run on a copy of the
project, with the real generators and the real Makefile target."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from adkit.authoring import course
from tests.helpers.project import copy_project

VENV = Path(sys.executable).parent.parent
COPIED = ("adkit", "assignments", "reference", "graders", "skeleton", "docs", "Makefile",
          "pyproject.toml")


def _copy(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project", COPIED, "exchange", "release", "submitted",
                        "autograded", "feedback", "gradebook.db", "reports", "sealed")


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # -m with cwd=project imports the copy's adkit, which reads the copy's rubric.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADKIT_")}
    return subprocess.run([sys.executable, *args], cwd=project, capture_output=True,
                          text=True, env=env, timeout=300)


def _set_points(project: Path, changes: dict[tuple[str, str], int]) -> None:
    """Move points between tests and tasks in the copy's rubric (total kept at 100)."""
    path = project / "graders" / "rubric.toml"
    text = path.read_text(encoding="utf-8")
    for (task, key), value in changes.items():
        table = re.search(rf"^\[tasks\.{task}\]\n(?:.+\n)+", text, re.MULTILINE)
        assert table, task
        body = table.group(0)
        if key == "points":
            new = re.sub(r"^points = \d+$", f"points = {value}", body, count=1, flags=re.M)
        else:
            new = re.sub(rf"^(tests\.{key} = \{{ points = )\d+", rf"\g<1>{value}", body,
                         count=1, flags=re.M)
        assert new != body, (task, key)
        text = text.replace(body, new)
    path.write_text(text, encoding="utf-8")


def _notebook_points(project: Path) -> tuple[dict[str, float], str]:
    """Each test cell's points, and every notebook's markdown, in the copy."""
    points, markdown = {}, []
    for path in sorted((project / "assignments/source/autodiff").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                points[meta["grade_id"]] = meta["points"]
            if cell["cell_type"] == "markdown":
                markdown.append("".join(cell["source"]))
    return points, "\n".join(markdown)


@pytest.mark.xdist_group("course_rubric")
def test_a_rubric_change_reaches_every_generated_place(tmp_path):
    project = _copy(tmp_path)
    # as committed: fresh
    assert _run(project, "-m", "adkit.authoring.course", "--check").returncode == 0
    # graph 20 -> 30, operators 10 -> 5, forward_mode 15 -> 10 (still 100 in all)
    _set_points(project, {("graph", "points"): 30, ("graph", "test_each_primitive"): 16,
                          ("operators", "points"): 5, ("operators", "test_grad"): 1,
                          ("operators", "test_random_expressions"): 0,
                          ("forward_mode", "points"): 10,
                          ("forward_mode", "test_big_graphs"): 0,
                          ("forward_mode", "test_random_graphs"): 4})
    stale = _run(project, "-m", "adkit.authoring.course", "--check")
    assert stale.returncode == 1, stale.stdout + stale.stderr
    for name in ("1_graph.ipynb", "2_forward_mode.ipynb", "4_wrapper_and_tape.ipynb",
                 "docs/course.md"):
        assert name in stale.stderr, stale.stderr
    assert "3_reverse_mode.ipynb" not in stale.stderr  # its task kept its points
    skeleton_stale = _run(project, "-m", "adkit.authoring.skeleton", "--check")
    assert skeleton_stale.returncode == 1 and "README.md" in skeleton_stale.stderr

    # `make course-generate` (the Makefile's own target, the kit's venv) regenerates
    made = subprocess.run(["make", "-s", "course-generate", f"VENV={VENV}", "-o",
                           f"{VENV}/.course-ready", f"PY={sys.executable}"], cwd=project,
                          capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if not k.startswith("ADKIT_")})
    assert made.returncode == 0, made.stdout + made.stderr
    assert "file(s) written" in made.stdout, made.stdout
    assert _run(project, "-m", "adkit.authoring.skeleton").returncode == 0

    points, markdown = _notebook_points(project)
    # each task's cells: 40% on the paper's example, the rest hidden; they add up to the task
    assert points["test_graph_paper"] == 12 and points["test_graph_random"] == 18
    assert points["test_forward_mode_paper"] == 4 and points["test_forward_mode_random"] == 6
    assert points["test_operators_paper"] == 2 and points["test_operators_random"] == 3
    assert points["test_reverse_mode_paper"] == 6 and points["test_reverse_mode_random"] == 9
    assert sum(points.values()) == 100
    assert "### Task `graph` (30 points)" in markdown
    assert "### Task `forward_mode` (10 points)" in markdown
    assert "### Task `operators` (5 points)" in markdown
    assert "(20 points)" not in markdown and "{points:" not in markdown
    docs = (project / "docs/course.md").read_text(encoding="utf-8")
    assert "| `1_graph.ipynb` | the primitives, which evaluate and build the graph (`graph`) " \
           "| 30 |" in docs
    assert "(`forward_mode`) | 15 + 10 |" in docs and "| 10 + 15 + 5 |" in docs
    readme = (project / "skeleton/README.md").read_text(encoding="utf-8")
    assert "| graph (30) | each_primitive | 16 |" in readme
    # and now every check passes again
    for module in ("adkit.authoring.course", "adkit.authoring.skeleton"):
        assert _run(project, "-m", module, "--check").returncode == 0, module


def test_a_number_of_points_in_a_template_is_refused(tmp_path):
    (tmp_path / "_snippets.py").write_text("", encoding="utf-8")
    heading = tmp_path / "1_bad.py"
    heading.write_text("# %% [markdown]\n# ### Task `graph` (20 points)\n", encoding="utf-8")
    with pytest.raises(course.TemplateError, match=r"writes points as a number"):
        course.notebook_cells(heading)
    cell = tmp_path / "2_bad.py"
    cell.write_text("# %% test id=test_graph_paper points=8\nassert True\n", encoding="utf-8")
    with pytest.raises(course.TemplateError, match=r"points=N%.*or points=rest, not points=8"):
        course.notebook_cells(cell)


def test_every_task_needs_one_rest_cell():
    cells = [course.Cell("test", grade_id="test_graph_paper", share="40%"),
             course.Cell("test", grade_id="test_graph_random", share="60%")]
    with pytest.raises(course.TemplateError, match="task graph: 0 test cells say points=rest"):
        course.cell_points(cells, {"graph": 20})
    cells[1].share = "rest"
    assert course.cell_points(cells, {"graph": 12.5}) == {"test_graph_paper": 5,
                                                         "test_graph_random": 7.5}
    stray = cells + [course.Cell("test", grade_id="test_nothing_x", share="rest")]
    with pytest.raises(course.TemplateError, match="test_nothing_x name no rubric task"):
        course.cell_points(stray, {"graph": 20})
