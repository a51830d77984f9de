"""`make grade` on the bundled demo cohort writes every output (issue 3)."""

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from adkit.cohort import expectations
from adkit.model.rubric import VISIBILITIES, load_rubric
from adkit.outputs.gradebook import HEADER
from tests.helpers import ROOT
from tests.helpers.cohorts import graded_once

DEMO = ROOT / "demo_cohort"
pytestmark = [pytest.mark.xdist_group("grade_make"), pytest.mark.slow]


# Session scope: graded once per test process even when xdist interleaves other modules.
@pytest.fixture(scope="session")
def graded_demo(tmp_path_factory):
    if not DEMO.is_dir():
        pytest.skip("demo_cohort/ is not there yet")

    def make(base: Path) -> dict:
        submissions = base / "demo_cohort"
        shutil.copytree(DEMO, submissions, ignore=shutil.ignore_patterns("__pycache__"))
        out = base / "grades"
        run = subprocess.run(["make", "--no-print-directory", "grade",
                              f"SUBMISSIONS={submissions}", f"OUT={out}"],
                             cwd=ROOT, capture_output=True, text=True, timeout=900)
        students = sorted(p.name for p in submissions.iterdir()
                          if p.is_dir() and not p.name.startswith((".", "_")))
        return {"out": str(out), "students": students, "code": run.returncode,
                "output": run.stdout[-2000:] + run.stderr[-2000:], "stderr": run.stderr}

    result = graded_once(tmp_path_factory, "demo", make)
    assert result["code"] == 0, result["output"]
    return Path(result["out"]), result["students"], result


def test_gradebook_has_the_contract_header_and_a_row_per_student(graded_demo):
    out, students, _ = graded_demo
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == HEADER
    assert rows[0] == ("student_id,graph,topological_order,forward_mode,reverse_mode,"
                       "wrapper,tape,operators,total,max_total").split(",")
    assert sorted(r[0] for r in rows[1:]) == students
    for row in rows[1:]:
        numbers = [float(x) for x in row[1:]]
        assert abs(sum(numbers[:7]) - numbers[7]) < 0.05 and numbers[8] == 100


def test_results_json_follows_the_gradescope_schema(graded_demo):
    out, students, _ = graded_demo
    for student in students:
        data = json.loads((out / student / "results.json").read_text())
        assert isinstance(data["score"], (int, float))
        assert data["tests"]
        for test in data["tests"]:
            assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
            assert isinstance(test["score"], (int, float)) and 0 <= test["score"] <= \
                test["max_score"]
            assert test["visibility"] in VISIBILITIES
        assert abs(sum(t["score"] for t in data["tests"]) - data["score"]) < 0.05


def test_feedback_and_report_are_written(graded_demo):
    out, students, run = graded_demo
    for student in students:
        text = (out / student / "feedback.md").read_text(encoding="utf-8")
        assert text.startswith(f"# Feedback for {student}") and "## graph" in text
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in report and all(s in report for s in students)
    assert "sandbox:" in run["stderr"] and str(out / "gradebook.csv") in run["stderr"]


def test_demo_students_get_their_expected_grades(graded_demo):
    out, _, _ = graded_demo
    expected = expectations.load(DEMO / "expectations.toml")
    tasks = load_rubric().tasks
    assert [p for s, e in expected.items() for p in expectations.problems(s, e, out, tasks)] \
        == []


def test_needs_attention_lists_exactly_the_demo_students_not_fully_graded(graded_demo):
    import re

    out, _, run = graded_demo
    report = (out / "report.html").read_text(encoding="utf-8")
    table = report.split('id="attention"')[1].split("</table>")[0]
    flagged = dict(re.findall(r'feedback.html">([^<]+)</a></td><td class="l kind">([^<]+)<',
                              table))
    # s2407 does not import (a syntax error), s2408 loops forever in backward
    assert flagged == {"s2407": "could not be graded", "s2408": "timed out"}
    assert "needs attention (2 student(s)" in run["stderr"]
    # the demo's README and expectations are listed as other files, not as students
    others = report.split('id="others"')[1].split("</ul>")[0]
    assert "README.md" in others and "expectations.toml" in others
