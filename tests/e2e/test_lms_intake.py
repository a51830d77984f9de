"""LMS bulk downloads graded for real (issue 19): Canvas's `submissions.zip` and Moodle's
"Download all submissions" zip, given as SUBMISSIONS or placed inside a cohort folder
beside ordinary student folders, are never one student; resubmissions resolve by the
LMS's own order; loose modules are the package; zip times become `submitted_at`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adkit.intake.lms import named
from adkit.intake.submissions import scan_submissions
from tests.fixtures.lms.builders import (
    BROKEN,
    CANVAS_SCORES,
    MOODLE_ZIP_NAME,
    canvas_zip,
    moodle_zip,
)
from tests.helpers.cohorts import grade

pytestmark = [pytest.mark.xdist_group("lms_intake"), pytest.mark.slow]


def _scores(out: Path) -> dict[str, int]:
    rows = (out / "gradebook.csv").read_text().splitlines()[1:]
    return {r.split(",")[0]: round(float(r.split(",")[-2])) for r in rows}


def _extra(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text())["extra_data"]


def _check_canvas(out: Path, run, zone_offset: str) -> None:
    assert run.returncode == 0, run.stderr[-3000:]
    scores = _scores(out)
    assert {k: scores.get(k) for k in CANVAS_SCORES} == CANVAS_SCORES
    assert "submissions" not in scores
    # The resubmission (`-1`, LATE) is graded; the first file is named, not silently lost.
    doe = _extra(out, "doejane_1002")
    assert doe["marked_late"] is True and doe["submitted_at"] == f"2026-03-03T09:15:00{zone_offset}"
    assert any("an older copy of simpleautodiff.py" in why and "_5002_" in why
               for why in doe["left_out"])
    assert "older copy" in (out / "doejane_1002" / "feedback.md").read_text()
    assert _extra(out, "roeric_1003")["marked_late"] is True
    assert _extra(out, "smithjohn_1001")["marked_late"] is False
    assert _extra(out, "smithjohn_1001")["submitted_at"] == f"2026-03-01T23:30:00{zone_offset}"
    # Loose modules were the package: imported, graded, nothing said about a missing one.
    assert "no simpleautodiff package" not in (out / "leeann_1004" / "feedback.md").read_text()
    assert "to regrade one student: make grade ONLY=<id>" in run.stderr


def test_a_canvas_zip_given_as_submissions(tmp_path):
    (tmp_path / "submissions.zip").write_bytes(canvas_zip())
    out = tmp_path / "grades"
    run = grade(tmp_path / "submissions.zip", out, "--jobs", "2",
                "--zip-timezone", "America/Chicago")
    _check_canvas(out, run, "-06:00")
    assert sorted(_scores(out)) == sorted(CANVAS_SCORES)


def test_a_canvas_zip_inside_the_cohort_folder_beside_student_folders(tmp_path):
    cohort = tmp_path / "hw3"
    (cohort / "s2401").mkdir(parents=True)
    (cohort / "s2401" / "simpleautodiff.py").write_bytes(BROKEN)
    (cohort / "submissions.zip").write_bytes(canvas_zip())
    out = tmp_path / "grades"
    run = grade(cohort, out, "--jobs", "2")
    _check_canvas(out, run, "+00:00")  # zip times are read in UTC unless told otherwise
    assert sorted(_scores(out)) == sorted([*CANVAS_SCORES, "s2401"])
    assert "skipped" not in run.stderr
    assert "LMS bulk download submissions.zip: 6 student(s)" in run.stderr


@pytest.mark.parametrize("folders", [True, False], ids=["in folders", "flat"])
def test_a_moodle_zip_inside_the_cohort_folder(tmp_path, folders):
    cohort = tmp_path / "hw3"
    (cohort / "s2401").mkdir(parents=True)
    (cohort / "s2401" / "simpleautodiff.py").write_bytes(BROKEN)
    (cohort / MOODLE_ZIP_NAME).write_bytes(moodle_zip(folders))  # not an id: never mind
    out = tmp_path / "grades"
    run = grade(cohort, out, "--jobs", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(_scores(out)) == ["ada-lovelace_11", "alan-turing_12", "s2401"]
    assert "SyntaxError" in (out / "ada-lovelace_11" / "feedback.md").read_text()
    assert "has no attribute" in (out / "alan-turing_12" / "feedback.md").read_text()
    # The online text is named as not graded, under the download's name; nobody is `moodle`.
    assert "Grace Hopper_13_assignsubmission_onlinetext_" in run.stderr
    assert "onlinetext" in (out / "report.html").read_text()


def test_an_unpacked_bulk_download_folder_inside_the_cohort(tmp_path):
    import zipfile

    cohort = tmp_path / "hw3"
    (cohort / "s2401").mkdir(parents=True)
    (tmp_path / "m.zip").write_bytes(moodle_zip(True))
    with zipfile.ZipFile(tmp_path / "m.zip") as archive:
        archive.extractall(cohort / "moodle")
    (tmp_path / "c.zip").write_bytes(canvas_zip())
    with zipfile.ZipFile(tmp_path / "c.zip") as archive:
        archive.extractall(cohort / "canvas download")  # not a usable id either
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    found, skipped = scan_submissions(cohort, unpacked)
    assert [s.student_id for s in found] == sorted(
        [*CANVAS_SCORES, "ada-lovelace_11", "alan-turing_12", "s2401"])
    assert [s.name for s in skipped] == ["moodle/Grace Hopper_13_assignsubmission_onlinetext_"]
    by_id = {s.student_id: s for s in found}
    # Unpacked by hand, the files keep no time the kit can trust: none is claimed; the
    # LATE mark is in the name and kept.
    assert by_id["doejane_1002"].submitted_at is None
    assert by_id["doejane_1002"].marked_late is True
    assert (by_id["doejane_1002"].folder / "simpleautodiff.py").read_bytes() != BROKEN


def test_a_student_folder_holding_a_file_in_canvas_naming_stays_one_student(tmp_path):
    # Their own code beside it: a student's folder, not a bulk download.
    cohort = tmp_path / "hw3"
    (cohort / "s1").mkdir(parents=True)
    (cohort / "s1" / "simpleautodiff.py").write_bytes(BROKEN)
    (cohort / "s1" / "smithjohn_1001_5001_notes.txt").write_text("mine\n")
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    found, _ = scan_submissions(cohort, unpacked)
    assert [s.student_id for s in found] == ["s1"]


@pytest.mark.parametrize(("entry", "again", "late"), [
    ("doejane_LATE_1002_5010_simpleautodiff-1.py", 1, True),
    ("doejane_1002_5011_simpleautodiff-12.py", 12, False),
    ("doejane_1002_5002_simpleautodiff.py", 0, False),
])
def test_canvas_names_carry_the_resubmission_number_and_late_mark(entry, again, late):
    found = named(entry, False)
    assert found is not None
    assert (found.file, found.again, found.late) == ("simpleautodiff.py", again, late)
