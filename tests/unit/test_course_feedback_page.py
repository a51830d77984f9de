"""Issue 21: the sandboxed feedback page a notebook student reads through nbgrader.

Rendered (not Markdown in a <pre>), each task out of its maximum, cells named as the
student sees them, one message per root cause; checked as text here, and in a real browser
by tests/e2e/test_course_feedback_browser.py.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from adkit.outputs.rendered import render
from adkit.platforms.course_feedback import page
from tests.helpers import ROOT
from tests.helpers.feedback_page import FEEDBACK, feedback_data


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_the_page_is_rendered_with_each_task_out_of_its_maximum():
    html = page("s1", "2_forward_mode", feedback_data(), FEEDBACK,
                ["topological_order", "forward_mode"])
    parsed = _Text()
    parsed.feed(html)
    text = "".join(parsed.text)
    assert "<pre>" not in html and "**" not in text  # Markdown rendered, not shown raw
    assert {"h2", "ul", "li", "b"} <= set(parsed.tags)
    assert "topological_order: 15 / 15; forward_mode: 0 / 15" in text
    assert "<script>" not in html and "<script>alert(1)</script>" in text  # escaped
    assert "answer_" not in text


def test_one_message_per_root_cause():
    """The same error under four checks of three tests is shown once, in full."""
    text = render(FEEDBACK)
    assert text.count("invalid syntax); fix it") == 1
    assert text.count("The same error as above.") == 2  # once per later test, not per check
    assert "y has value -0.5, expected 0.5" in text  # a wrong answer is not an error


def test_the_cells_are_named_as_the_student_sees_them():
    """The package made from notebooks marks each cell by its position and the heading
    above it, in the form adkit/inside/handler.py reads (`# --- PLACE (ORIGIN) ---`)."""
    from adkit.intake.notebooks import package_source

    notebooks = sorted((ROOT / "demo_cohort" / "s2409").glob("*.ipynb"))
    marks = [line for line in package_source(notebooks).splitlines() if line.startswith("# --- ")]
    assert marks and all(".ipynb, cell " in m and m.endswith(" ---") for m in marks)
    assert not any("answer_" in m or "given_" in m for m in marks)
    place = marks[0][6:-4].partition(" (")[0]
    assert place.startswith("1_graph.ipynb, cell ") and ' under "' in place


@pytest.mark.parametrize("score", [0, 20])
def test_task_points_sum_the_tests_of_each_task(score):
    from adkit.platforms.course_feedback import task_points

    data = feedback_data()
    data["extra_data"]["tasks"]["graph"] = score
    assert task_points(data)["graph"] == (score, 20.0)
