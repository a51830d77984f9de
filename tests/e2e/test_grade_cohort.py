"""Proof of the graders on the test cohort: every submission gets the grade it must get.

tests/cohort/expectations.toml says, for the reference, the skeleton, the alternative
correct solutions and each realistic bug, which tasks keep full marks and which lose
points. The cohort is graded once (one `python -m adkit.grade` run) for the module.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adkit.grade import expectations
from adkit.grade.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
COHORT = ROOT / "tests" / "cohort"
EXPECTED = expectations.load(COHORT / "expectations.toml") \
    if (COHORT / "expectations.toml").exists() else {}
pytestmark = [pytest.mark.xdist_group("grade_cohort"), pytest.mark.slow]


def source_of(name: str, folder: Path) -> Path:
    """Where a named submission lives ("reference" and "skeleton" are the kit's own)."""
    if name in ("reference", "skeleton"):
        return ROOT / name
    return folder / name


def copy_cohort(names, folder: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copytree(source_of(name, folder), dest / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return dest


def graded_once(tmp_path_factory, name: str, make) -> dict:
    """Run `make(folder) -> dict` once per test run, even when both xdist workers ask.

    (xdist_group does not keep a group on one worker with this pytest; a lock in the
    folder the workers share does.) The dict is saved as JSON for the other worker.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / f"shared-{name}"
    folder.mkdir(exist_ok=True)
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / "result.json"
        if not done.exists():
            done.write_text(json.dumps(make(folder)))
        return json.loads(done.read_text())


def grade(submissions: Path, out: Path, *extra: str, timeout: float = 900):
    return subprocess.run(
        [sys.executable, "-m", "adkit.grade", str(submissions), "--out", str(out), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout)


# Session scope: graded once per test process even when xdist interleaves other modules.
@pytest.fixture(scope="session")
def graded_cohort(tmp_path_factory):
    if not EXPECTED:
        pytest.skip("tests/cohort/expectations.toml is not there yet")

    def make(base: Path) -> dict:
        cohort = copy_cohort(EXPECTED, COHORT, base / "submissions")
        run = grade(cohort, base / "grades", "--jobs", "2")
        return {"out": str(base / "grades"), "code": run.returncode, "stderr": run.stderr}

    result = graded_once(tmp_path_factory, "cohort", make)
    assert result["code"] == 0, result["stderr"][-3000:]
    return Path(result["out"])


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_its_expected_grade(graded_cohort, student):
    assert expectations.problems(student, EXPECTED[student], graded_cohort,
                                 load_rubric().tasks) == []


def test_every_bug_is_caught_in_its_own_task(graded_cohort):
    caught, bugs = expectations.catch_rate(EXPECTED, graded_cohort, load_rubric().tasks)
    assert bugs >= 25, f"only {bugs} bug submissions in the cohort"
    assert caught == bugs, f"catch rate {caught}/{bugs}"


def test_gradebook_has_every_student(graded_cohort):
    lines = (graded_cohort / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(EXPECTED)


def test_no_honest_student_needs_attention(graded_cohort):
    """Every student of the test cohort ran to the end: correct or with an honest bug (even a
    RecursionError on the deep chain is a lost point, not a crash). So the report's "needs
    attention" list, which is for students who could not be fully graded, names none."""
    import re

    report = (graded_cohort / "report.html").read_text(encoding="utf-8")
    assert "<h2>Needs attention" in report
    flagged = re.findall(r'feedback.md">([^<]+)</a></td><td class="l kind">', report)
    assert flagged == [] and "Nobody: every student was graded fully." in report
