"""OUT/grade-log.csv (adkit/outputs/log.py): one row per change of a final grade, with its
reason; nothing on an unchanged republish; a damaged log refused, never rewritten."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from adkit.outputs.log import HEADER, NAME
from adkit.outputs.steps import publish
from tests.helpers.policy import berlin, course, gradebook, stored

LATE = "2026-10-16T10:00:00+02:00"  # one started day after 15 Oct 23:59 in Berlin


def rows(out: Path) -> list[list[str]]:
    with open(out / NAME, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def cohort(tmp_path):
    out = stored(tmp_path / "out", {"smithjohn_1": LATE, "doejane_2": None})
    return out, tmp_path / "c"


def test_the_first_publish_logs_every_student_once(cohort):
    out, folder = cohort
    publish([out], out, policy_file=berlin(folder))
    log = rows(out)
    assert log[0] == HEADER == ["time", "student_id", "old", "new", "reason", "raw",
                                "penalty_percent", "override", "rubric_fingerprint"]
    assert [(r[1], r[2], r[3], r[4]) for r in log[1:]] == [
        ("doejane_2", "", "100", "first publish"), ("smithjohn_1", "", "90", "first publish")]
    assert log[2][5:] == ["100", "10", "0", "f" * 16]
    assert log[1][0].endswith("+00:00")  # UTC, with its offset


def test_an_unchanged_republish_appends_nothing(cohort):
    out, folder = cohort
    path = berlin(folder)
    publish([out], out, policy_file=path)
    before = (out / NAME).read_bytes()
    publish([out], out, policy_file=path)
    publish([out], out, policy_file=path)
    assert (out / NAME).read_bytes() == before


def test_each_change_is_logged_once_with_its_reason(cohort):
    out, folder = cohort
    publish([out], out, policy_file=berlin(folder))
    publish([out], out, policy_file=berlin(folder, percent=20))  # the late policy changed
    publish([out], out, policy_file=berlin(folder, percent=20))
    publish([out], out, policy_file=berlin(folder, percent=20, overrides=(
        "student,target,adjustment,reason,by\ndoejane_2,total,-5,copied a helper,TA Ana\n")))
    stored(out, {"smithjohn_1": LATE}, lost=1)  # regraded: a test failed
    publish([out], out, policy_file=berlin(folder, percent=20, overrides=(
        "student,target,adjustment,reason,by\ndoejane_2,total,-5,copied a helper,TA Ana\n")))
    changes = [(r[1], r[2], r[3], r[4]) for r in rows(out)[3:]]
    worth = 100 - float(gradebook(out)["smithjohn_1"]["total"])
    assert changes[:2] == [("smithjohn_1", "90", "80", "late policy"),
                           ("doejane_2", "100", "95", "override")]
    assert changes[2][0] == "smithjohn_1" and changes[2][1] == "80"
    assert float(changes[2][2]) == pytest.approx((100 - worth) * 0.8, abs=0.01) and \
        changes[2][3] == "regrade"
    assert len(changes) == 3


def test_a_rubric_change_is_named(tmp_path):
    out = stored(tmp_path / "out", {"s": None})
    path = course(tmp_path / "c", "")
    publish([out], out, policy_file=path)
    from adkit.outputs import feedback
    from adkit.outputs.result import read_result

    result = read_result(out / "s" / "results.json")
    result.fingerprint, result.total = "e" * 16, 50.0
    feedback.write_student(out, result)
    publish([out], out, policy_file=path)
    assert rows(out)[-1][1:5] == ["s", "100", "50", "rubric change"]


@pytest.mark.parametrize(("damage", "said"), [
    (lambda text: text[:-1], ":3: the last line is cut short"),
    (lambda text: text.replace("time,", "when,", 1), ":1: not the log's header"),
    (lambda text: text + "2026-10-01T00:00:00+00:00,s,1\n", ":4: 3 cells, not 9"),
    (lambda text: text + "noon,s,,1,x,1,0,0,f\n", ":4: 'noon' is not a time"),
    (lambda text: text + "2026-10-01T00:00:00+00:00,s,,lots,x,1,0,0,f\n",
     ":4: a student id or a grade is missing or not a number"),
])
def test_a_damaged_log_is_refused_and_never_rewritten(cohort, damage, said, capsys):
    out, folder = cohort
    path = berlin(folder)
    (folder / "policy.toml").write_text(path.read_text() + '[canvas]\nassignment = "HW"\n'
                                        "assignment_id = 7\n")
    publish([out], out, policy_file=path)
    assert (out / "canvas-grades.csv").exists()
    (out / NAME).write_text(damage((out / NAME).read_text()))
    before = (out / NAME).read_bytes()
    cohort_ = publish([out], out, policy_file=berlin(folder, percent=50))
    assert said in cohort_.policy_problem
    assert "it is never rewritten" in cohort_.policy_problem
    assert (out / NAME).read_bytes() == before
    assert not (out / "canvas-grades.csv").exists()  # no stale grades to import
    assert f"grade log: {out / NAME}{said}" in capsys.readouterr().err


def test_a_log_that_is_a_link_is_refused(cohort, tmp_path):
    out, folder = cohort
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("precious\n")
    os.symlink(elsewhere, out / NAME)
    cohort_ = publish([out], out, policy_file=berlin(folder))
    assert "not a plain file" in cohort_.policy_problem
    assert elsewhere.read_text() == "precious\n"


def test_without_a_course_file_there_is_no_log(tmp_path, monkeypatch):
    monkeypatch.delenv("ADKIT_COURSE_POLICY", raising=False)
    out = stored(tmp_path / "out", {"s": None})
    publish([out], out, policy_file=None)
    assert not (out / NAME).exists()


def test_two_publishes_at_once_log_each_change_once(cohort):
    import subprocess
    import sys

    out, folder = cohort
    path = berlin(folder)
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "adkit.outputs", str(out), "--policy", str(path)]
    runs = [subprocess.Popen(command, cwd=root, stderr=subprocess.DEVNULL) for _ in range(4)]
    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0, 0]
    assert sorted(r[1] for r in rows(out)[1:]) == ["doejane_2", "smithjohn_1"]
