"""The course generator (adkit/authoring/course.py) and the notebook extractor
(adkit/intake/notebooks.py), without nbgrader and in-process: fast checks of what the
end-to-end test (tests/e2e/test_course_e2e.py) relies on. What the extracted packages do
when run: tests/sandbox/test_course_packages.py."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from adkit.authoring import course
from adkit.authoring.regions import TASKS, package_regions
from adkit.intake.notebooks import SubmissionError, extract_package, package_source
from tests.helpers import ROOT
from tests.helpers.course_notebooks import SOURCE, grade_id, notebooks, released_copy

DEFAULT_POINTS = {"graph": 20, "topological_order": 15, "forward_mode": 15,
                  "reverse_mode": 15, "wrapper": 10, "tape": 15, "operators": 10}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_committed_notebooks_are_up_to_date():
    assert course.stale_files() == [], "run `make course-generate` and commit the result"


def test_check_fails_on_a_stale_or_extra_file(tmp_path, capsys):
    assert course.main(["--course-dir", str(tmp_path)]) == 0
    assert (tmp_path / "nbgrader_config.py").is_file()  # a new course directory is complete
    assert course.main(["--check", "--course-dir", str(tmp_path)]) == 0
    notebook = course.source_dir(tmp_path) / "2_forward_mode.ipynb"
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    nb["cells"][-1]["source"] = ["# edited by hand\n"]
    notebook.write_text(course.dumps(nb), encoding="utf-8")
    (course.source_dir(tmp_path) / "solution.py").write_text("x = 1\n", encoding="utf-8")
    assert course.main(["--check", "--course-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "2_forward_mode.ipynb" in err and "solution.py (not generated)" in err


def test_notebooks_are_deterministic_and_clean():
    assert course.expected_files() == course.expected_files()
    for path in notebooks():
        ids = [cell["id"] for cell in _cells(path)]
        assert len(ids) == len(set(ids)), path
        for cell in _cells(path):
            assert cell.get("outputs", []) == [] and cell.get("execution_count") is None
            if grade_id(cell):
                assert cell["id"] == grade_id(cell)  # stable ids: the grade ids themselves


def test_every_solution_line_of_the_reference_is_in_an_answer_cell():
    answers = "\n".join("".join(c["source"]) for path in notebooks() for c in _cells(path)
                        if grade_id(c).startswith("answer_"))
    answer_lines = {line.strip() for line in answers.splitlines()}
    regions = [r for rs in package_regions(course.PACKAGE).values() for r in rs]
    assert {r.task for r in regions} == set(TASKS)
    for region in regions:
        for line in region.solution.splitlines():
            line = re.sub(r"\bprimitives\.", "", line.strip())
            assert line in answer_lines, f"{region.path.name}:{region.begin}: {line!r} missing"


def test_points_add_up_to_the_rubric():
    rubric_path = ROOT / "graders" / "rubric.toml"
    if rubric_path.is_file():
        tasks = tomllib.loads(rubric_path.read_text(encoding="utf-8"))["tasks"]
        expected = {task: tasks[task]["points"] for task in TASKS}
    else:
        expected = DEFAULT_POINTS
    points = dict.fromkeys(TASKS, 0)
    for path in notebooks():
        for cell in _cells(path):
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                task = next(t for t in TASKS if meta["grade_id"].startswith(f"test_{t}_"))
                points[task] += meta["points"]
                assert course.HIDDEN_BEGIN in "".join(cell["source"]) or "paper" in meta["grade_id"]
    assert points == expected


def test_clear_solutions_keeps_released_cells_runnable():
    cell = "\n".join([
        "### BEGIN SOLUTION graph", "TABLE = {'a': 1}", "### END SOLUTION", "",
        "def f(x):", '    """Doc."""', "    ### BEGIN SOLUTION graph", "    return TABLE",
        "    ### END SOLUTION",
        "", "class C:", "    def g(self):", "        ### BEGIN SOLUTION tape", "        return 1",
        "        ### END SOLUTION", "    ### BEGIN SOLUTION tape", "    def _h(self):",
        "        return 2", "    ### END SOLUTION",
    ])
    cleared, replaced = course.clear_solutions(cell)
    assert replaced and "TABLE =" not in cleared and "return 2" not in cleared
    namespace: dict = {}
    exec(cleared, namespace)  # top-level and class-body stubs are comments: the cell runs
    with pytest.raises(NotImplementedError):
        namespace["f"](1)
    with pytest.raises(NotImplementedError):
        namespace["C"]().g()
    with pytest.raises(ValueError, match="never closed"):
        course.clear_solutions("### BEGIN SOLUTION graph\nx = 1\n")


def test_a_template_error_names_the_file_and_line(tmp_path):
    (tmp_path / "_snippets.py").write_text("", encoding="utf-8")
    bad = tmp_path / "1_bad.py"
    bad.write_text("# %% answer id=answer_x\n@@ order.py:no_such_function\n", encoding="utf-8")
    with pytest.raises(course.TemplateError, match=r"1_bad.py:1: order.py defines no top-level"):
        course.notebook_cells(bad)


def test_given_cells_come_from_the_course_not_the_student(tmp_path):
    notebooks = released_copy(tmp_path)
    nb = json.loads(notebooks[0].read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if grade_id(cell) == "given_mul":
            cell["source"] = "def mul(a, b):\n    return 42\n"
    notebooks[0].write_text(json.dumps(nb), encoding="utf-8")
    text = package_source(notebooks)
    assert "return 42" not in text and "node.grad_wrt_parents = [b.value, a.value]" in text


def test_notebooks_from_another_course_are_refused(tmp_path):
    other = tmp_path / "other.ipynb"
    other.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {},
                                            "source": "print(1)"}]}), encoding="utf-8")
    garbage = tmp_path / "garbage.ipynb"
    garbage.write_text("{not json", encoding="utf-8")
    with pytest.raises(SubmissionError, match="none of the course's answer cells"):
        extract_package([other, garbage], tmp_path / "out")


def test_paper_tables_draw_without_graphviz(monkeypatch, capsys):
    import simpleautodiff as ad

    namespace: dict = {"__name__": "paper_tables"}
    exec((SOURCE / "paper_tables.py").read_text(encoding="utf-8"), namespace)
    x1, x2 = ad.Node(2.0, name="x1"), ad.Node(5.0, name="x2")
    y = ad.sub(ad.add(ad.log(x1), ad.mul(x1, x2)), ad.sin(x2))
    assert "v5    sub       v4, v3   11.652071" in namespace["evaluation_trace"](y)
    monkeypatch.setattr(namespace["shutil"], "which", lambda name: None)
    namespace["show_graph"](y)
    out = capsys.readouterr().out
    assert "Graphviz is not installed" in out and "digraph G {" in out and "n0 -> " in out
