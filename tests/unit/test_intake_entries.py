"""A student's entries gathered into one submission (adkit/intake/submissions.py), without
grading: the rule for several entries, loose modules, and the digest that decides whether
a student is regraded. Quick: nothing here runs student code."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from adkit.intake import submissions
from adkit.intake.submissions import Submission, package_modules, scan_submissions
from tests.fixtures.lms.builders import BROKEN, EMPTY, REFERENCE, WHEN, zip_of


def _scan(tmp_path: Path, folder: Path):
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir(parents=True, exist_ok=True)
    return scan_submissions(folder, unpacked)


def test_the_highest_canvas_number_wins_whatever_the_order_of_names(tmp_path):
    cohort = tmp_path / "canvas"
    cohort.mkdir()
    for file_id, name, body in [(5001, "hw.zip", b"first"), (5003, "hw-2.zip", b"third"),
                                (5002, "hw-1.zip", b"second")]:
        (cohort / f"doejane_1002_{file_id}_{name}").write_bytes(
            zip_of({"simpleautodiff.py": body}))
    (found,), skipped = _scan(tmp_path, cohort)
    assert skipped == []
    assert (found.folder / "simpleautodiff.py").read_bytes() == b"third"
    assert len(found.refused) == 2 and all("an older copy of hw.zip" in r
                                           for r in found.refused)


def test_a_file_in_one_entry_where_the_other_has_a_folder_is_a_clash_not_a_crash(tmp_path):
    cohort = tmp_path / "hw3"
    (cohort / "s1" / "simpleautodiff").mkdir(parents=True)
    (cohort / "s1" / "simpleautodiff" / "__init__.py").write_bytes(EMPTY)
    os.utime(cohort / "s1" / "simpleautodiff" / "__init__.py", (1e9, 1e9))
    (cohort / "s1.zip").write_bytes(zip_of({"simpleautodiff": b"a file, not a folder"}))
    (found,), _ = _scan(tmp_path, cohort)
    assert (found.folder / "simpleautodiff").is_file()  # the zip is newer: it is graded
    assert found.refused == ("s1: an older entry than s1.zip holding the same files: not "
                             "graded (your newest entry is)",)


def test_the_package_in_both_forms_is_a_clash(tmp_path):
    cohort = tmp_path / "hw3"
    (cohort / "s1" / "simpleautodiff").mkdir(parents=True)
    (cohort / "s1" / "simpleautodiff" / "node.py").write_bytes(EMPTY)
    os.utime(cohort / "s1" / "simpleautodiff" / "node.py", (1e9, 1e9))
    (cohort / "s1.zip").write_bytes(zip_of({"simpleautodiff.py": BROKEN}))
    (found,), _ = _scan(tmp_path, cohort)
    assert sorted(p.name for p in found.folder.iterdir()) == ["simpleautodiff.py"]


def test_an_older_lms_entry_left_out_gives_no_time(tmp_path):
    cohort = tmp_path / "hw3"
    (cohort / "canvas").mkdir(parents=True)
    (cohort / "canvas" / "doejane_LATE_1002_5002_simpleautodiff.py").write_bytes(BROKEN)
    os.utime(cohort / "canvas" / "doejane_LATE_1002_5002_simpleautodiff.py", (1e9, 1e9))
    (cohort / "doejane_1002").mkdir()  # a TA's fix, newer, holding the same file
    (cohort / "doejane_1002" / "simpleautodiff.py").write_bytes(EMPTY)
    (found,), _ = _scan(tmp_path, cohort)
    assert (found.folder / "simpleautodiff.py").read_bytes() == EMPTY
    assert found.marked_late is None and found.submitted_at is None


def test_loose_modules_are_put_into_the_package(tmp_path):
    staged = tmp_path / "staged"
    staged.mkdir()
    for name in ("__init__.py", "node.py", "helpers.py"):
        (staged / name).write_bytes(EMPTY)
    (staged / "notes.txt").write_text("mine\n")
    folder, notebooks, problem = Submission("s1", staged).code(staged)
    assert (folder, notebooks, problem) == (staged, [], None)
    assert sorted(p.name for p in (staged / "simpleautodiff").iterdir()) == \
        ["__init__.py", "helpers.py", "node.py"]
    assert (staged / "notes.txt").is_file()


def test_a_helper_module_beside_notebooks_leaves_the_notebooks_graded(tmp_path):
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "draw.py").write_bytes(EMPTY)  # one of the package's names, but no __init__
    (staged / "1_graph.ipynb").write_text("{}")
    folder, notebooks, _ = Submission("s1", staged).code(staged)
    assert folder is None and [p.name for p in notebooks] == ["1_graph.ipynb"]


def test_the_package_modules_are_read_from_the_reference(tmp_path, monkeypatch):
    assert package_modules() == {p.name for p in REFERENCE.glob("*.py")}
    assert {"__init__.py", "node.py", "order.py", "tape.py"} <= package_modules()
    grown = tmp_path / "reference"
    shutil.copytree(REFERENCE, grown)
    (grown / "jacobian.py").write_text("")
    monkeypatch.setattr(submissions, "REFERENCE", grown)
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "jacobian.py").write_bytes(EMPTY)  # a module the package gained
    assert Submission("s1", staged).code(staged)[0] == staged
    assert (staged / "simpleautodiff" / "jacobian.py").is_file()


def test_an_unreadable_archive_is_not_called_empty(tmp_path):
    cohort = tmp_path / "hw3"
    cohort.mkdir()
    whole = zip_of({"simpleautodiff.py": os.urandom(5000)})  # incompressible
    (cohort / "s5.zip").write_bytes(whole[: len(whole) // 2])
    (found,), _ = _scan(tmp_path, cohort)
    problem = found.code(found.folder)[2]
    assert problem and "it is empty" not in problem and "could be read" in problem
    assert len(found.refused) == 1 and "\n" not in found.refused[0]


@pytest.mark.parametrize("change", ["delete", "rename", "same size", "add empty folder"])
def test_the_digest_sees_every_change_of_what_was_handed_in(tmp_path, change):
    folder = tmp_path / "s1"
    (folder / "simpleautodiff").mkdir(parents=True)
    (folder / "simpleautodiff" / "__init__.py").write_bytes(EMPTY)
    (folder / "simpleautodiff" / "helpers.py").write_bytes(b"A = 1\n")
    before = Submission("s1", folder).digest()
    copy = tmp_path / "elsewhere" / "s1"
    shutil.copytree(folder, copy)  # new times, other place: the same hand-in
    assert Submission("s1", copy).digest() == before
    helpers = folder / "simpleautodiff" / "helpers.py"
    stamp = helpers.stat().st_mtime_ns
    if change == "delete":
        helpers.unlink()
    elif change == "rename":
        helpers.rename(helpers.with_name("helper.py"))
    elif change == "same size":
        helpers.write_bytes(b"A = 2\n")
        os.utime(helpers, ns=(stamp, stamp))
    else:
        (folder / "empty").mkdir()
    assert Submission("s1", folder).digest() != before


def test_the_digest_counts_the_lms_time_and_late_mark(tmp_path):
    folder = tmp_path / "s1"
    folder.mkdir()
    plain = Submission("s1", folder)
    assert Submission("s1", folder, marked_late=True).digest() != plain.digest()
    assert Submission("s1", folder, submitted_at="2026-03-01T23:30:00+00:00").digest() != \
        plain.digest()
    assert WHEN  # (the fixtures' time: used by the graded tests)


def test_a_canvas_name_whose_own_file_is_dots_is_not_a_path(tmp_path):
    # `smith_1_2_..` would be copied to `<student>/..`: it is no Canvas file name at all.
    (tmp_path / "canvas.zip").write_bytes(zip_of({"smith_1_2_..": b"x", "smith_1_3_.": b"x",
                                                  "doe_3_4_simpleautodiff.py": BROKEN}))
    found, skipped = _scan(tmp_path, tmp_path / "canvas.zip")
    assert [s.student_id for s in found] == ["doe_3"]
    assert sorted(s.name for s in skipped) == ["smith_1_2_..", "smith_1_3_."]


def test_a_bulk_download_cut_short_is_skipped_with_a_sentence_not_made_a_student(tmp_path):
    from tests.fixtures.lms.builders import canvas_zip

    cohort = tmp_path / "hw3"
    (cohort / "s1").mkdir(parents=True)
    data = canvas_zip()
    (cohort / "submissions.zip").write_bytes(data[: len(data) * 2 // 3])  # download stopped
    found, skipped = _scan(tmp_path, cohort)
    assert [s.student_id for s in found] == ["s1"]
    assert [(s.name, s.reason) for s in skipped] == [
        ("submissions.zip", "a Canvas or Moodle bulk download that cannot be read (damaged "
                            "or cut short): download it again and run the command again")]


def test_an_archive_shaped_like_a_bulk_download_cannot_replace_another_students_code(
        tmp_path):
    """A student's own archive inside SUBMISSIONS may be made to look like a Canvas bulk
    download naming another student: its entries never join or replace that student's own
    (whatever times it claims); two bulk downloads naming one student grade neither."""
    cohort = tmp_path / "hw3"
    (cohort / "doejane_1002").mkdir(parents=True)
    (cohort / "doejane_1002" / "simpleautodiff.py").write_bytes(b"honest")
    later = (2030, 1, 1, 0, 0, 0)
    (cohort / "s2403.zip").write_bytes(zip_of(
        {"doejane_1002_9999_simpleautodiff.py": b"forged",
         "mallory_77_9998_simpleautodiff.py": b"mine"},
        when={"doejane_1002_9999_simpleautodiff.py": later}))
    found, skipped = _scan(tmp_path, cohort)
    by_id = {s.student_id: s for s in found}
    assert (by_id["doejane_1002"].folder / "simpleautodiff.py").read_bytes() == b"honest"
    assert [s.name for s in skipped] == ["s2403.zip/doejane_1002_9999_simpleautodiff.py"]
    assert "also handed in for doejane_1002 outside s2403.zip" in skipped[0].reason
    assert "mallory_77" in by_id  # a new id: shown as a student of that download

    (cohort / "doejane_1002" / "simpleautodiff.py").unlink()
    (cohort / "doejane_1002").rmdir()
    (cohort / "other.zip").write_bytes(zip_of({"doejane_1002_5_simpleautodiff.py": b"a"}))
    found, skipped = _scan(tmp_path / "again", cohort)
    assert "doejane_1002" not in {s.student_id for s in found}
    assert {s.name for s in skipped} == {"other.zip/doejane_1002_5_simpleautodiff.py",
                                         "s2403.zip/doejane_1002_9999_simpleautodiff.py"}
    assert all("more than one bulk download (other.zip, s2403.zip)" in s.reason
               for s in skipped)
