"""Hostile and broken submissions, graded_hostile in one cohort with correct ones (issue 5).

Each must end with its expected grade and message; the correct students in the same run
keep full marks; the gradebook is complete; nothing is written outside the sandbox.
"""

import json
import os
from pathlib import Path

import pytest

from adkit.grade import expectations
from adkit.grade.rubric import load_rubric
from tests.test_grade_cohort import ROOT, copy_cohort, grade, graded_once

HOSTILE = ROOT / "tests" / "hostile"
EXPECTED = expectations.load(HOSTILE / "expectations.toml") \
    if (HOSTILE / "expectations.toml").exists() else {}
CORRECT = ("reference", "correct_kahn")
pytestmark = [pytest.mark.xdist_group("grade_hostile"), pytest.mark.slow]


def _forbidden() -> list[Path]:
    return sorted({Path(os.path.expanduser(p)) for e in EXPECTED.values()
                   for p in e.get("forbid_paths", [])})


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


# Session scope: graded once per test process even when xdist interleaves other modules.
@pytest.fixture(scope="session")
def graded_hostile(tmp_path_factory):
    if not EXPECTED:
        pytest.skip("tests/hostile/expectations.toml is not there yet")

    def make(base: Path) -> dict:
        cohort = copy_cohort(EXPECTED, HOSTILE, base / "submissions")
        copy_cohort(["correct_kahn"], ROOT / "tests" / "cohort", cohort)
        copy_cohort(["reference"], ROOT, cohort)
        before = {str(p): p.stat().st_mtime_ns for p in _forbidden() if p.exists()}
        tree = _snapshot(cohort)
        run = grade(cohort, base / "grades", "--jobs", "2")
        return {"out": str(base / "grades"), "code": run.returncode, "stderr": run.stderr,
                "cohort": str(cohort), "tree": tree, "before": before}

    result = graded_once(tmp_path_factory, "hostile", make)
    result["out"], result["cohort"] = Path(result["out"]), Path(result["cohort"])
    result["tree"] = {k: tuple(v) for k, v in result["tree"].items()}
    return result


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_hostile_submission_gets_its_expected_grade(graded_hostile, student):
    assert expectations.problems(student, EXPECTED[student], graded_hostile["out"],
                                 load_rubric().tasks) == []


def test_the_run_finishes_and_the_gradebook_is_complete(graded_hostile):
    assert graded_hostile["code"] == 0, graded_hostile["stderr"][-3000:]
    lines = (graded_hostile["out"] / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted([*EXPECTED, *CORRECT])


def test_correct_students_in_a_hostile_cohort_keep_full_marks(graded_hostile):
    for student in CORRECT:
        data = json.loads((graded_hostile["out"] / student / "results.json").read_text())
        assert data["score"] == 100, (student, data["output"])


def test_nothing_is_written_outside_the_sandbox(graded_hostile):
    for path in _forbidden():
        if str(path) in graded_hostile["before"]:
            assert path.stat().st_mtime_ns == graded_hostile["before"][str(path)], path
        else:
            assert not path.exists(), path
    assert _snapshot(graded_hostile["cohort"]) == graded_hostile["tree"]  # submissions untouched
    written = {p.name for p in graded_hostile["out"].iterdir()}
    assert written == {*EXPECTED, *CORRECT, "gradebook.csv", "report.html"}


def test_grades_do_not_depend_on_what_students_print(graded_hostile):
    for student in EXPECTED:
        text = (graded_hostile["out"] / student / "results.json").read_text()
        assert "FORGED-7f3a9c" not in text
    assert "FORGED-7f3a9c" not in (graded_hostile["out"] / "gradebook.csv").read_text()
