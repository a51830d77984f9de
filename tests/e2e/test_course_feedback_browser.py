"""The sandboxed feedback page a notebook student reads through nbgrader, in a real browser
(Debian's chromium with chromium-driver, the shared `browser` of tests/conftest.py; skipped,
saying why, where they are missing). The page as text: tests/unit/test_course_feedback_page.py."""

from __future__ import annotations

from adkit.platforms.course_feedback import page
from tests.helpers.feedback_page import FEEDBACK, feedback_data


def test_the_page_in_a_real_browser(browser, tmp_path):
    path = tmp_path / "2_forward_mode.html"
    path.write_text(page("s1", "2_forward_mode", feedback_data(), FEEDBACK,
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
