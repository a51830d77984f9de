"""report.html answers a teaching assistant's questions (adkit/outputs/report.py, cohort.py):
who needs attention and why, which test trips the class, mean and median, bin edges;
every student text escaped; outputs written honouring the umask."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from adkit.outputs import atomic as outputs
from adkit.outputs.cohort import Cohort, failed_tests, needs_attention
from adkit.outputs.report import bins_of, report_html
from tests.helpers.results import KEYS, SYNTAX, small_cohort, student_result


def _page(results, skipped=(), missing=(), partial=False, others=()) -> str:
    return report_html(Cohort(list(results), list(missing), list(skipped), list(others),
                              partial))


def test_needs_attention_holds_exactly_the_students_not_fully_graded():
    found = needs_attention(small_cohort(), ["s8"], [("bad name", "not a usable student id")])
    assert [(a.student_id, a.kind) for a in found] == [
        ("bad name", "not graded"), ("s8", "not graded"), ("s4", "could not be graded"),
        ("s6", "crashed"), ("s5", "timed out"), ("s7", "files left out")]
    why = {a.student_id: a.why for a in found}
    assert "SyntaxError" in why["s4"] and "forward_mode" in why["s5"]
    assert "../x.py" in why["s7"] and "; b; c" in why["s7"]


def test_failures_per_test_with_the_most_common_message():
    rows = failed_tests(small_cohort())
    top = rows[0]
    assert top.task == "forward_mode" and top.failed == 4  # s2, s3, s4 (syntax), s5
    assert top.common == "forward: expected 2 but got 7" and top.common_count == 2
    page = _page(small_cohort())
    tests = page.split('id="tests"')[1].split("</table>")[0]
    assert "SyntaxError" not in tests  # code that never ran is under "needs attention"
    assert "<td data-v=\"3\">3 / 6</td>" in tests


def test_mean_median_and_histogram_edges():
    results = [student_result(f"s{k}") for k in range(3)] + [student_result("z", everything=SYNTAX)]
    page = _page(results)
    assert "mean 75.0, median 100.0 / 100" in page
    edges = re.findall(r'<text class="edge"[^>]*>([^<]*)</text>', page)
    assert edges == [str(10 * k) for k in range(11)]
    assert bins_of([0, 9.99, 10, 99.9, 100], 100) == [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]


def test_every_student_text_is_escaped():
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    keys = KEYS[:2]
    data = student_result("s1", {keys[0]: evil, keys[1]: evil},
                    extra={"left_out": [evil]})
    page = _page([data], [(evil, evil)], partial=True, others=[(evil, evil)])
    assert "<script>alert" not in page and "<img src=x" not in page
    assert page.count("<script>") == 1  # the page's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_partial_run_is_marked():
    page = _page([student_result("s1")], missing=["s2", "s3"], partial=True)
    assert "PARTIAL" in page and "2 student(s)" in page
    assert "PARTIAL" not in _page([student_result("s1")])


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_outputs_honour_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        outputs.write_atomic(tmp_path / "gradebook.csv", "x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "gradebook.csv").stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_link_in_the_table_opens_the_students_feedback(tmp_path: Path):
    page = _page([student_result("a+b@c.d")])
    assert 'href="a%2Bb%40c.d/feedback.html"' in page or 'href="a%2Bb@c.d/feedback.html"' in page
