"""Issue 21: the sandboxed feedback page a notebook student reads through nbgrader.

Rendered (not Markdown in a <pre>), each task out of its maximum, cells named as the
student sees them, one message per root cause; checked as text and in a real browser
(Debian's chromium with chromium-driver, as tests/test_report_browser.py; skipped, saying
why, where they are missing).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from adkit.grade.rubric import load_rubric
from adkit.outputs import files as outputs
from adkit.platforms.course_feedback import page, render
from tests.test_report_browser import browser  # noqa: F401 (the shared real browser)

ERROR = ('SyntaxError: 2_forward_mode.ipynb, cell 10 under "Forward mode in code" does not '
         "compile (line 8: invalid syntax); fix it and run the notebook again")
FEEDBACK = f"""# Feedback for s1

**Total: 85 / 100**

**From your notebooks:**
- 2_forward_mode.ipynb: {ERROR[13:70]} (line 8: invalid syntax); it is left out

## forward_mode: 0 / 15

- **forward_mode: paper example** (0 / 3):
  The paper's function: forward mode for y = log(x1)   at x1 = 2: {ERROR} (4 of 4 functions failed)
- **forward_mode: shared nodes** (0 / 3):
  Fan-out: forward mode for y = x1*x1   at x1 = 1.5: {ERROR} (6 of 6 functions failed)
  Plain numbers as arguments: forward mode for y = x1 + 2   at x1 = 1.5: {ERROR}
- **forward_mode: big graphs** (0 / 4):
  forward mode on a chain of 100,000 operations: {ERROR}

## operators: 9 / 10

- **operators: random expressions** (2 / 3):
  Random expressions: y = 2 - x1: y has value -0.5, expected 0.5 <script>alert(1)</script>
"""


def _data() -> dict:
    rubric = load_rubric()
    data = json.loads(json.dumps(outputs.results("s1", rubric, {}, {"seconds": 0.0})))
    data["extra_data"]["tasks"].update(topological_order=15, forward_mode=0, operators=9)
    return data


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
    html = page("s1", "2_forward_mode", _data(), FEEDBACK, ["topological_order", "forward_mode"])
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


def test_the_page_in_a_real_browser(browser, tmp_path):  # noqa: F811
    path = tmp_path / "2_forward_mode.html"
    path.write_text(page("s1", "2_forward_mode", _data(), FEEDBACK,
                         ["topological_order", "forward_mode"]), encoding="utf-8")
    browser.get(path.as_uri())
    body = browser.find_element("tag name", "body").text
    assert "Your score: 85 / 100" in body or "Your score:" in body
    assert "**" not in body and "forward_mode: 0 / 15" in body
    headings = [h.text for h in browser.find_elements("tag name", "h2")]
    assert "forward_mode: 0 / 15" in headings and "operators: 9 / 10" in headings
    assert body.count("invalid syntax); fix it") == 1
    assert not browser.find_elements("tag name", "script")
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == []


def test_the_cells_are_named_as_the_student_sees_them():
    """The package made from notebooks marks each cell by its position and the heading
    above it, in the form adkit/inside/handler.py reads (`# --- PLACE (ORIGIN) ---`)."""
    from adkit.intake.notebooks import package_source

    notebooks = sorted((Path(__file__).parents[1] / "demo_cohort" / "s2409").glob("*.ipynb"))
    marks = [line for line in package_source(notebooks).splitlines() if line.startswith("# --- ")]
    assert marks and all(".ipynb, cell " in m and m.endswith(" ---") for m in marks)
    assert not any("answer_" in m or "given_" in m for m in marks)
    place = marks[0][6:-4].partition(" (")[0]
    assert place.startswith("1_graph.ipynb, cell ") and ' under "' in place


@pytest.mark.parametrize("score", [0, 20])
def test_task_points_sum_the_tests_of_each_task(score):
    from adkit.platforms.course_feedback import task_points

    data = _data()
    data["extra_data"]["tasks"]["graph"] = score
    assert task_points(data)["graph"] == (score, 20.0)
