"""Proof of the graders on the test cohort: every submission gets the grade it must get.

tests/cohort/expectations.toml says, for the reference, the skeleton, the alternative
correct solutions and each realistic bug, which tasks keep full marks and which lose
points. The cohort is graded once (one `python -m adkit.cohort` run) for the module.
"""

import pytest

from adkit.cohort import expectations
from adkit.model.rubric import load_rubric
from tests.helpers.cohorts import cohort_expectations

EXPECTED = cohort_expectations()
pytestmark = [pytest.mark.xdist_group("grade_cohort"), pytest.mark.slow]


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
    attention" list, which is for students who could not be fully graded or whose code did
    not run, names only the untouched skeleton (every test a NotImplementedError)."""
    import re

    report = (graded_cohort / "report.html").read_text(encoding="utf-8")
    assert "<h2>Needs attention" in report
    flagged = re.findall(r'feedback.html">([^<]+)</a></td><td class="l kind">([^<]+)<', report)
    assert flagged == [("skeleton", "did not run")]
