"""Grades back to the LMS (adkit/outputs/canvas.py, moodle.py): each file checked against
the format its LMS documents (header, the points-possible row, ids), on small Canvas and
Moodle bulk downloads graded for real, and on stored results for the details."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adkit.outputs.steps import publish
from tests.helpers.policy import course, stored

ROOT = Path(__file__).resolve().parents[2]
COHORT = ROOT / "tests" / "cohort"
CORRECT = (COHORT / "correct_kahn" / "simpleautodiff.py").read_bytes()
BROKEN = b"def broken(:\n"

CANVAS_EXPORT = """\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Homework 1 (1111),\
Homework 3: autodiff (4242),Current Score,Final Score
    Points Possible,,,,,10.00,100.00,(read only),(read only)
"Smith, John",12345,s001,jsmith,Section A,9.00,,90.00,90.00
"Doe, Jane",23456,s002,jdoe,Section A,8.00,,80.00,80.00
"Roe, Eric",34567,s003,eroe,Section B,7.00,,70.00,70.00
"Student, Test",99999,,,Section A,,,,
"""

WORKSHEET = """Identifier,"Full name","Email address",Status,Grade,"Maximum Grade",\
"Grade can be changed","Last modified (submission)","Last modified (grade)","Feedback comments"
"Participant 4711","Ada Lovelace",ada@example.org,"Submitted for grading",,100.00,Yes,\
"Monday, 12 October 2026, 10:00 AM",-,
"Participant 4712","Alan Turing",alan@example.org,"Submitted for grading",,100.00,Yes,\
"Monday, 12 October 2026, 11:00 AM",-,
"Participant 4713","Grace Hopper",grace@example.org,"No submission",,100.00,Yes,-,-,
"""

POLICY = """[due]
date = "2026-10-15 23:59"
timezone = "Europe/Berlin"
[late]
penalty_percent = 10
per = "day"
"""


def table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def graded(tmp_path: Path, entries: dict[str, bytes], policy: str, **csvs: str) -> Path:
    """SUBMISSIONS made of `entries` (path -> bytes), graded for real with the course file."""
    submissions = tmp_path / "download"
    for name, data in entries.items():
        (submissions / name).parent.mkdir(parents=True, exist_ok=True)
        (submissions / name).write_bytes(data)
    path = course(tmp_path / "course", policy, **csvs)
    out = tmp_path / "out"
    env = {**os.environ, "ADKIT_COURSE_POLICY": str(path)}
    run = subprocess.run([sys.executable, "-m", "adkit.cohort", str(submissions), "--out",
                          str(out), "--jobs", "2"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return out


@pytest.mark.slow
def test_a_canvas_download_graded_for_real_fills_canvas_own_export(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "export.csv").write_text(CANVAS_EXPORT, encoding="utf-8")
    out = graded(tmp_path, {
        "smithjohn_12345_67890_simpleautodiff.py": CORRECT,
        "doejane_LATE_23456_67891_simpleautodiff.py": CORRECT,
        "roeric_34567_67892_simpleautodiff.py": BROKEN,
    }, POLICY + '[canvas]\nassignment = "Homework 3: autodiff"\nassignment_id = 4242\n'
       'export = "export.csv"\n',
        submission_times="student,submitted_at\nsmithjohn_12345,2026-10-15T20:00:00+02:00\n"
                         "doejane_23456,2026-10-17T09:00:00+02:00\n"
                         "roeric_34567,2026-10-15T21:00:00+02:00\n")
    assert table(out / "canvas-grades.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 3: autodiff (4242)"],
        ["    Points Possible", "", "", "", "", "100.00"],
        ["Smith, John", "12345", "s001", "jsmith", "Section A", "100"],
        ["Doe, Jane", "23456", "s002", "jdoe", "Section A", "80"],  # two started days late
        ["Roe, Eric", "34567", "s003", "eroe", "Section B", "0"],
        ["Student, Test", "99999", "", "", "Section A", ""],  # not ours: left as it was
    ]
    gradebook = table(out / "gradebook.csv")
    assert gradebook[0][-4:] == ["lateness", "penalty", "override", "final"]
    assert [r[0] for r in gradebook[1:]] == ["doejane_23456", "roeric_34567", "smithjohn_12345"]
    log = table(out / "grade-log.csv")
    assert sorted((r[1], r[3], r[4]) for r in log[1:]) == [
        ("doejane_23456", "80", "first publish"), ("roeric_34567", "0", "first publish"),
        ("smithjohn_12345", "100", "first publish")]
    assert "-20% (10% per started day), -20 points" in \
        (out / "doejane_23456" / "feedback.md").read_text()


@pytest.mark.slow
def test_a_moodle_download_graded_for_real_fills_the_grading_worksheet(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "worksheet.csv").write_text(WORKSHEET, encoding="utf-8")
    out = graded(tmp_path, {
        "Ada Lovelace_4711_assignsubmission_file_/simpleautodiff.py": CORRECT,
        "Alan Turing_4712_assignsubmission_file_/simpleautodiff.py": BROKEN,
    }, '[moodle]\nworksheet = "worksheet.csv"\ngrade_item = "Homework 3"\n',
        overrides="student,target,adjustment,reason,by\n"
                  "alan-turing_4712,total,+5,oral exam on the task,Prof. Cy\n")
    rows = table(out / "moodle-grades.csv")
    assert rows[0] == ["Identifier", "Full name", "Email address", "Status", "Grade",
                       "Maximum Grade", "Grade can be changed", "Last modified (submission)",
                       "Last modified (grade)", "Feedback comments"]
    assert [(r[0], r[4]) for r in rows[1:]] == [
        ("Participant 4711", "100"), ("Participant 4712", "5"), ("Participant 4713", "")]
    assert rows[1][7] == "Monday, 12 October 2026, 10:00 AM"  # Moodle's own cells kept
    assert table(out / "moodle-gradebook.csv") == [
        ["Email address", "Homework 3"], ["ada@example.org", "100"],
        ["alan@example.org", "5"]]


def test_a_minimal_canvas_file_without_an_export(tmp_path):
    out = stored(tmp_path / "out", {"smithjohn_12345": None, "doejane_23456": None,
                                    "plainid": None}, lost=1)
    publish([out], out, policy_file=course(
        tmp_path / "c", '[canvas]\nassignment = "HW 3"\nassignment_id = 4242\n'))
    rows = table(out / "canvas-grades.csv")
    final = rows[2][5]
    assert rows == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW 3 (4242)"],
                    ["    Points Possible", "", "", "", "", "100"],
                    ["doejane", "23456", "", "", "", final],
                    ["smithjohn", "12345", "", "", "", final]]
    assert float(final) < 100


def test_a_minimal_moodle_worksheet_without_one(tmp_path):
    out = stored(tmp_path / "out", {"jane-doe_77": None, "zoe-o-brien_501": None})
    publish([out], out, policy_file=course(tmp_path / "c", "[moodle]\n"))
    assert table(out / "moodle-grades.csv") == [
        ["Identifier", "Full name", "Grade", "Maximum Grade", "Last modified (grade)"],
        ["Participant 77", "jane-doe", "100", "100", ""],
        ["Participant 501", "zoe-o-brien", "100", "100", ""]]
    assert not (out / "moodle-gradebook.csv").exists()  # no e-mail addresses known


@pytest.mark.parametrize(("policy", "export", "said"), [
    ('assignment = "HW"\nassignment_id = 5\nexport = "e.csv"\n', CANVAS_EXPORT,
     "e.csv:1: no column for assignment id 5; its assignment columns: Homework 1 (1111), "
     "Homework 3: autodiff (4242)"),
    ('assignment = "HW"\nassignment_id = 4242\nexport = "e.csv"\n', "Name,Score\nx,1\n",
     "e.csv:1: not a Canvas gradebook export"),
    ('assignment = "HW"\nassignment_id = 4242\nexport = "missing.csv"\n', "",
     "missing.csv: no such file"),
])
def test_a_wrong_canvas_export_is_said_and_no_file_is_left(tmp_path, policy, export, said):
    out = stored(tmp_path / "out", {"smithjohn_12345": None})
    path = course(tmp_path / "c", f"[canvas]\n{policy}")
    (tmp_path / "c" / "e.csv").write_text(export, encoding="utf-8")
    (out / "canvas-grades.csv").write_text("stale")
    cohort = publish([out], out, policy_file=path)
    assert said in cohort.policy_problem
    assert not (out / "canvas-grades.csv").exists()


def test_a_moodle_worksheet_in_another_language_is_refused(tmp_path):
    out = stored(tmp_path / "out", {"ada_4711": None})
    path = course(tmp_path / "c", '[moodle]\nworksheet = "w.csv"\n')
    (tmp_path / "c" / "w.csv").write_text("Kennung,Bewertung\nTeilnehmer/in 4711,\n")
    cohort = publish([out], out, policy_file=path)
    assert "w.csv:1: no Identifier column: not a Moodle grading worksheet in English" in \
        cohort.policy_problem


def test_students_missing_from_the_export_are_named(tmp_path, capsys):
    out = stored(tmp_path / "out", {"smithjohn_12345": None, "newkid_55555": None})
    path = course(tmp_path / "c", '[canvas]\nassignment = "HW"\nassignment_id = 4242\n'
                                  'export = "e.csv"\n')
    (tmp_path / "c" / "e.csv").write_text(CANVAS_EXPORT, encoding="utf-8")
    publish([out], out, policy_file=path)
    assert "1 student(s) not in the Canvas export e.csv, not in the file: newkid_55555" in \
        capsys.readouterr().err
    assert table(out / "canvas-grades.csv")[2][5] == "100"


def test_a_name_is_never_a_spreadsheet_formula(tmp_path):
    out = stored(tmp_path / "out", {"=cmd_12345": None, "@sum_777": None})
    publish([out], out, policy_file=course(
        tmp_path / "c", '[canvas]\nassignment = "HW"\nassignment_id = 4242\n[moodle]\n'))
    names = [r[0] for r in table(out / "canvas-grades.csv")[2:]]
    assert sorted(names) == ["'=cmd", "'@sum"]
    assert sorted(r[1] for r in table(out / "moodle-grades.csv")[1:]) == ["'=cmd", "'@sum"]


def test_an_export_that_is_not_csv_is_said_not_a_traceback(tmp_path):
    out = stored(tmp_path / "out", {"smithjohn_12345": None})
    path = course(tmp_path / "c", '[canvas]\nassignment = "HW"\nassignment_id = 4242\n'
                                  'export = "e.csv"\n')
    (tmp_path / "c" / "e.csv").write_text('Student,ID\n"' + "x" * 200_000 + '",1\n')
    cohort = publish([out], out, policy_file=path)
    assert "e.csv:" in cohort.policy_problem and "not valid CSV" in cohort.policy_problem
