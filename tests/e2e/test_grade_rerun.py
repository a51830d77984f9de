"""Re-running is safe: nothing regraded without --force, same gradebook, and an
interrupted run loses nothing finished and leaves no half-written file."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.helpers.cohorts import copy_cohort, grade

pytestmark = [pytest.mark.xdist_group("grade_rerun"), pytest.mark.slow]
# Graded in this order with --jobs 1: two quick ones, then one that takes a while.
STUDENTS = ("a_empty", "b_broken", "c_reference")


@pytest.fixture
def cohort(tmp_path):
    folder = tmp_path / "submissions"
    copy_cohort(["reference"], ROOT, folder)
    (folder / "reference").rename(folder / "c_reference")
    (folder / "a_empty").mkdir()
    (folder / "b_broken").mkdir()
    (folder / "b_broken" / "simpleautodiff.py").write_text("def broken(:\n")
    return folder


def _stamps(out: Path) -> dict[str, float]:
    return {s: (out / s / "results.json").stat().st_mtime_ns for s in STUDENTS}


def _seeds(out: Path) -> dict[str, int]:
    return {s: json.loads((out / s / "results.json").read_text())["extra_data"]["seed"]
            for s in STUDENTS}


def test_rerun_regrades_nothing_and_force_regrades_everything(cohort, tmp_path):
    out = tmp_path / "grades"
    first = grade(cohort, out, "--jobs", "2")
    assert first.returncode == 0, first.stderr[-2000:]
    book, stamps, seeds = (out / "gradebook.csv").read_text(), _stamps(out), _seeds(out)
    assert len(set(seeds.values())) == len(STUDENTS)  # a different seed per student

    again = grade(cohort, out)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "3 student(s) already graded" in again.stderr
    assert _stamps(out) == stamps
    assert (out / "gradebook.csv").read_text() == book

    forced = grade(cohort, out, "--force")
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert all(_stamps(out)[s] > stamps[s] for s in STUDENTS)
    assert (out / "gradebook.csv").read_text() == book  # identical seeds: identical grades
    assert _seeds(out) == seeds


def test_a_changed_submission_is_regraded(cohort, tmp_path):
    out = tmp_path / "grades"
    assert grade(cohort, out).returncode == 0
    stamps = _stamps(out)
    time.sleep(0.01)
    (cohort / "b_broken" / "simpleautodiff.py").write_text("def fixed():\n    pass\n")
    assert grade(cohort, out).returncode == 0
    now = _stamps(out)
    assert now["b_broken"] > stamps["b_broken"]
    assert now["c_reference"] == stamps["c_reference"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_loses_nothing(cohort, tmp_path, sig):
    out = tmp_path / "grades"
    process = subprocess.Popen(
        [sys.executable, "-m", "adkit.cohort", str(cohort), "--out", str(out), "--jobs", "1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, umask=0o022)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if list(out.glob("*/results.json")):
            break
        time.sleep(0.05)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert process.returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    finished = list(out.glob("*/results.json"))
    assert finished
    for path in finished:
        json.loads(path.read_text())  # complete, parseable files only
    # The gradebook and the report of the finished students exist already, marked partial.
    rows = (out / "gradebook.csv").read_text().splitlines()[1:]
    assert sorted(r.split(",")[0] for r in rows) == sorted(p.parent.name for p in finished)
    report = (out / "report.html").read_text()
    assert "PARTIAL" in report and "interrupted" in report
    for path in [out / "gradebook.csv", out / "report.html", *finished,
                 *out.glob("*/feedback.md")]:
        assert path.stat().st_mode & 0o777 == 0o644, path  # the umask, not mkstemp's 0600

    rerun = grade(cohort, out)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"{len(finished)} student(s) already graded" in rerun.stderr
    lines = (out / "gradebook.csv").read_text().splitlines()
    assert len(lines) == 1 + len(STUDENTS)
    assert "PARTIAL" not in (out / "report.html").read_text()


def test_bad_command_lines_fail_with_one_clear_line(cohort, tmp_path):
    cases = [
        ([str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")], "does not exist"),
        ([str(tmp_path / "empty"), "--out", str(tmp_path / "o")], "no student folders"),
        ([str(cohort), "--out", str(cohort / "grades")], "inside the submissions"),
        ([str(cohort), "--out", str(tmp_path / "o"), "--only", "nobody"], "nobody"),
        ([str(cohort), "--out", str(tmp_path / "o"), "--rubric", str(tmp_path / "r.toml")],
         "not valid TOML"),
    ]
    (tmp_path / "r.toml").write_text("[tasks\n")
    (tmp_path / "empty").mkdir()
    for args, words in cases:
        run = subprocess.run([sys.executable, "-m", "adkit.cohort", *args], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, (args, run.stderr)
        assert words in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
        assert "Traceback" not in run.stderr


def test_a_grader_error_on_one_student_spares_the_others(tmp_path, monkeypatch, capsys):
    from adkit.cohort import __main__ as cli
    from adkit.cohort import runner

    folder = tmp_path / "submissions"
    for name in ("a_fine", "b_trips_the_grader"):
        (folder / name).mkdir(parents=True)
    real = runner.grade_student

    def grade_or_fail(submission, out, rubric, backend=None):
        if submission.student_id == "b_trips_the_grader":
            raise RuntimeError("a bug in the grader")
        return real(submission, out, rubric, backend)

    monkeypatch.setattr(runner, "grade_student", grade_or_fail)  # the forked jobs inherit it
    out = tmp_path / "grades"
    assert cli.main([str(folder), "--out", str(out), "--jobs", "2"]) == 1
    assert "GRADER ERROR for 1 student(s): b_trips_the_grader" in capsys.readouterr().err
    feedback = (out / "b_trips_the_grader" / "feedback.md").read_text()
    assert "grader error" in feedback and "a bug in the grader" in feedback
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["a_fine", "b_trips_the_grader"]
    # The next run regrades the student the grader failed on, and only that one.
    monkeypatch.setattr(runner, "grade_student", real)
    assert cli.main([str(folder), "--out", str(out), "--jobs", "1"]) == 0
    assert "1 student(s) already graded" in capsys.readouterr().err
