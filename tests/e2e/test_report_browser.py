"""report.html in a real browser (Debian's chromium, driven by Selenium with chromium-driver):
it loads without console errors, sorting and filtering (by id, task or flag) work, every
link resolves, and a student's feedback.html opens rendered, with no script from their text.

Skipped, saying why, where chromium, chromium-driver or selenium is missing (Debian:
`apt-get install chromium chromium-driver`; pip: the kit's dev extras).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from adkit.outputs import feedback
from tests.helpers.results import small_cohort

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """OUT of a small cohort: feedback.md per student, report.html as `make grade` writes."""
    from adkit.cohort.__main__ import _finish
    from adkit.intake.submissions import Skipped, Submission

    out = tmp_path_factory.mktemp("grades")
    results = small_cohort()
    results[0].marked_late = True  # the LMS said s1 handed in late: a flag the filter finds
    for result in results:
        feedback.write_student(out, result)
    everyone = [Submission(r.student_id, out) for r in results]
    _finish(everyone, [Skipped("bad name.zip", "not a usable student id")], out, [])
    return out / "report.html"


def _column(driver, table: str, index: int) -> list[str]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")
    return [r.find_elements(By.TAG_NAME, "td")[index].text for r in rows if r.is_displayed()]


def test_the_report_loads_without_console_errors(browser, report):
    browser.get(report.as_uri())
    assert browser.title == "Grades"
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    assert "7 students graded" in browser.find_element("id", "summary").text


def test_sorting_by_total_and_by_name(browser, report):
    from selenium.webdriver.common.by import By

    browser.get(report.as_uri())
    heads = browser.find_elements(By.CSS_SELECTOR, "#students thead th")
    total = heads[-1]
    total.click()
    ascending = [float(x) for x in _column(browser, "students", len(heads) - 1)]
    assert ascending == sorted(ascending) and ascending[0] == 0
    assert total.get_attribute("aria-sort") == "ascending"
    total.click()
    descending = [float(x) for x in _column(browser, "students", len(heads) - 1)]
    assert descending == sorted(ascending, reverse=True)
    heads[0].click()
    heads[0].click()
    assert _column(browser, "students", 0) == sorted(_column(browser, "students", 0),
                                                     reverse=True)


def test_filtering_by_text_and_by_flag(browser, report):
    from selenium.webdriver.common.by import By

    browser.get(report.as_uri())
    box = browser.find_element(By.ID, "filter")
    box.send_keys("timed")
    assert _column(browser, "students", 0) == ["s5"]
    box.clear()
    box.send_keys(" ")  # clear() fires no input event: a space does, and matches everything
    assert len(_column(browser, "students", 0)) == 7
    browser.find_element(By.ID, "only-flagged").click()
    assert _column(browser, "students", 0) == ["s4", "s5", "s6", "s7"]
    assert "4 of 7 shown" in browser.find_element(By.ID, "shown").text


@pytest.mark.parametrize(("words", "found"), [
    ("reverse_mode", ["s4", "s6"]),  # a task: who lost points in it
    ("forward_mode", ["s2", "s3", "s4", "s5"]),
    ("crashed", ["s6"]),  # flags, by their names and their usual names
    ("not loaded", ["s4"]),
    ("late", ["s1"]),
    ("zero", ["s4"]),
    ("files left", ["s7"]),
    ("forward_mode timed", ["s5"]),  # every word must match
])
def test_the_filter_finds_tasks_and_flags(browser, report, words, found):
    from selenium.webdriver.common.by import By

    browser.get(report.as_uri())
    browser.find_element(By.ID, "filter").send_keys(words)
    assert _column(browser, "students", 0) == found


def test_every_link_resolves_and_one_can_be_followed(browser, report):
    from selenium.webdriver.common.by import By

    browser.get(report.as_uri())
    links = [a.get_attribute("href") for a in browser.find_elements(By.TAG_NAME, "a")]
    assert len(links) >= 7
    for href in links:
        target = Path(unquote(urlparse(href).path))
        assert urlparse(href).scheme == "file" and target.is_file(), href
    browser.find_element(By.LINK_TEXT, "s5").click()
    assert browser.current_url.endswith("/s5/feedback.html")
    assert browser.find_element(By.TAG_NAME, "h2").text == "Feedback for s5"  # rendered
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "did not finish within 10 s" in body and "**" not in body


def test_a_hostile_feedback_page_runs_nothing(browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    from tests.helpers.results import KEYS
    from tests.helpers.results import student_result as _student

    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>\u202e"
    result = _student(evil, {KEYS[0]: evil, KEYS[1]: f"**{evil}**"}, extra={"notes": [evil]})
    page = tmp_path / "feedback.html"
    page.write_text(feedback.feedback_page(result), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.TAG_NAME, "img") == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (reading it is the check)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "<script>alert(1)</script>" in body and "\\u202e" in body
