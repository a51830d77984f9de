"""The report a TA acts on (adkit/outputs/cohort.py, report.py, feedback.py): "needs
attention" lists every student whose code did not run, graded for real in the sandbox (a
package without __init__.py, notebooks handed in as released, a notebook whose answer cell
does not compile) and every zero; each student's feedback.html is rendered, escaped and
linked; an interrupted FORCE run's PARTIAL banner counts who keeps an older result."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adkit.authoring import course
from adkit.outputs import feedback, steps
from adkit.outputs.cohort import Cohort
from adkit.outputs.report import report_html
from tests.helpers.hanging import HANG, _sleepers, _trusted
from tests.helpers.results import KEYS
from tests.helpers.results import student_result as _student

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report_attention")]


def _notebooks(folder: Path, change=None) -> None:
    folder.mkdir(parents=True)
    for path in sorted(course.source_dir().glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb = change(path.name, nb) if change else nb
        (folder / path.name).write_text(course.dumps(nb), encoding="utf-8")


def _broken_answer(name: str, nb: dict) -> dict:
    if name.startswith("1_"):
        cell = next(c for c in nb["cells"]
                    if c["metadata"].get("nbgrader", {}).get("grade_id", "") == "answer_graph")
        cell["source"] = ["def add(x, y:\n", "    return x\n"]
    return nb


def _grade(submissions: Path, out: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adkit.cohort", str(submissions), "--out",
                           str(out), "--jobs", "2", *_trusted(), *more], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """Three students whose code did not (all) run, and one correct, graded for real."""
    base = tmp_path_factory.mktemp("attention")
    cohort = base / "submissions"
    package = cohort / "s_noinit" / "simpleautodiff"
    shutil.copytree(ROOT / "reference" / "simpleautodiff", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").unlink()
    _notebooks(cohort / "s_released", lambda name, nb: course.released(nb))
    _notebooks(cohort / "s_syntax", _broken_answer)
    _notebooks(cohort / "s_ok")
    run = _grade(cohort, base / "grades")
    assert run.returncode == 0, run.stderr[-3000:]
    return base / "grades"


def test_every_student_whose_code_did_not_run_needs_attention(graded):
    cohort = steps.gather([graded])
    kinds = {(a.student_id, a.kind): a.why for a in cohort.attention}
    assert set(kinds) == {("s_noinit", "did not run"), ("s_released", "did not run"),
                          ("s_syntax", "not loaded")}, kinds
    assert "has no attribute 'Node'" in kinds["s_noinit", "did not run"]
    assert "NotImplementedError" in kinds["s_released", "did not run"]
    assert "does not compile" in kinds["s_syntax", "not loaded"]
    assert "graph" in kinds["s_syntax", "not loaded"]
    scores = {r.student_id: float(r.total) for r in cohort.results}
    assert scores["s_noinit"] == scores["s_released"] == 0 and scores["s_ok"] == 100
    assert 0 < scores["s_syntax"] < 100  # the other notebooks' tasks ran and scored
    # their tests do not hide which tests trip the class; a partly loaded student's do count
    assert {r.student_id for r in cohort.ran} == {"s_ok", "s_syntax"}
    page = (graded / "report.html").read_text(encoding="utf-8")
    table = page.split('id="attention"')[1].split("</table>")[0]
    for sid in ("s_noinit", "s_released", "s_syntax"):
        assert f'href="{sid}/feedback.html"' in table
        assert (graded / sid / "feedback.html").is_file()
    assert "s_ok" not in table
    assert "ONLY=s_noinit" in page  # how to regrade one student


def test_a_zero_whose_code_ran_needs_attention_too():
    wrong = _student("z_wrong", everything="forward: expected 2 but got 7")
    right = _student("a_right")
    cohort = Cohort([right, wrong])
    assert [(a.student_id, a.kind) for a in cohort.attention] == [("z_wrong", "did not run")]
    assert "scored 0" in cohort.attention[0].why
    assert "expected 2 but got 7" in cohort.attention[0].why
    assert [r.student_id for r in cohort.ran] == ["a_right"]
    # one lost test is not a zero, and does not flag anyone
    assert Cohort([_student("b", {KEYS[0]: "wrong"})]).attention == []


HOSTILE = "<script>alert(1)</script>\u202e\x1b[2J<img src=x onerror=alert(2)>"


def test_feedback_html_escapes_everything_the_student_wrote(tmp_path):
    result = _student("s1", {KEYS[0]: f"**{HOSTILE}**\n{HOSTILE}", KEYS[1]: HOSTILE},
                      extra={"notes": [f"# {HOSTILE}"], "left_out": [HOSTILE]})
    evil_name = _student(HOSTILE, {KEYS[0]: "x"})
    for r in (result, evil_name):
        page = feedback.feedback_page(r)
        assert "<script" not in page and "<img" not in page, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "\u202e" not in page and "\x1b" not in page
        assert "\\u202e" in page and "\\x1b" in page
        assert "script-src" not in page and "default-src 'none'" in page
    # the step writes it beside feedback.md, and the report links to it
    out = tmp_path / "grades"
    cohort = Cohort([result])
    feedback.write(cohort, out)
    assert (out / "s1" / "feedback.html").read_text() == feedback.feedback_page(result)
    assert 'href="s1/feedback.html"' in report_html(cohort)


def test_an_interrupted_forced_run_counts_the_older_results_it_keeps(tmp_path):
    cohort = tmp_path / "submissions"
    names = ("a_hangs", "b_empty", "c_empty", "d_empty")
    for name in names:
        (cohort / name).mkdir(parents=True)
    out = tmp_path / "grades"
    first = _grade(cohort, out)
    assert first.returncode == 0, first.stderr[-3000:]
    stamps = {n: (out / n / "results.json").stat().st_mtime_ns for n in names}
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "PARTIAL" not in page

    (cohort / "a_hangs" / "simpleautodiff.py").write_text(HANG)
    (tmp_path / "tmp").mkdir()
    run = subprocess.Popen(
        [sys.executable, "-m", "adkit.cohort", str(cohort), "--out", str(out), "--jobs", "1",
         "--force", *_trusted()], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True, env=os.environ | {"TMPDIR": str(tmp_path / "tmp")})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _sleepers():
            assert run.poll() is None, run.communicate()[1][-2000:]
            time.sleep(0.05)
        assert _sleepers(), "the hanging student never started"
        os.killpg(run.pid, signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert run.returncode == 130, stderr[-2000:]
    kept = [n for n in names if (out / n / "results.json").stat().st_mtime_ns == stamps[n]]
    assert "a_hangs" in kept  # interrupted while grading it: its older result stands
    assert f"{len(kept)} student(s) not regraded, an older result stands" in stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    banner = page.split('id="partial">')[1].split("</p>")[0]
    assert re.search(rf"\b{len(kept)} student\(s\) are not graded by this run: "
                     rf"{len(kept)} were not regraded and keep an older result", banner), banner
    table = page.split('id="attention"')[1].split("</table>")[0]
    for name in kept:
        assert re.search(rf'{name}</a></td><td class="l kind">not regraded', table), table


def test_the_banner_counts_the_older_results_and_the_missing_apart(tmp_path):
    """The issue's case: a FORCE run of 12 stopped after 2 keeps 10 older results."""
    out = tmp_path / "grades"
    ids = [f"s{k:02d}" for k in range(13)]
    for sid in ids[:12]:
        feedback.write_student(out, _student(sid))
    cohort = steps.gather([out], ids, partial=True, fresh=ids[:2], wanted=ids)
    assert cohort.missing == ["s12"] and cohort.not_regraded == ids[2:12]
    page = report_html(cohort)
    assert ("11 student(s) are not graded by this run: 1 have no result and are not in the "
            "gradebook; 10 were not regraded and keep an older result") in page
    kinds = [(a.student_id, a.kind) for a in cohort.attention]
    assert kinds == [("s12", "not graded")] + [(sid, "not regraded") for sid in ids[2:12]]
    # a run that finished regrades everyone it set out to: no banner
    done = steps.gather([out], ids[:12], fresh=ids[:12], wanted=ids[:12])
    assert "PARTIAL" not in report_html(done) and done.attention == []
