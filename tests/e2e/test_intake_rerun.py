"""What a student handed in decides whether they are regraded, and whom a command grades
(issue 19): a file deleted (or changed with its times kept) regrades them; a folder beside
an archive of the same student gives one row by the rule in docs/grading.md; a damaged zip
is one clean sentence; `make grade ONLY=` takes ids or their first letters."""

from __future__ import annotations

import io
import os
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.lms.builders import BROKEN, EMPTY, zip_of
from tests.helpers import ROOT
from tests.helpers.cohorts import grade

pytestmark = [pytest.mark.xdist_group("intake_rerun"), pytest.mark.slow]
AN_HOUR_AGO = time.time() - 3600


def _stamps(out: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/results.json")}


def _age(folder: Path, when: float = AN_HOUR_AGO) -> None:
    """Every file and folder under `folder` (and it) as of `when`: as `unzip` or `cp -p` of
    an older download leaves them."""
    for path in [*folder.rglob("*"), folder]:
        os.utime(path, (when, when))


def _make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "grade", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def test_a_deleted_file_regrades_the_student_even_when_every_time_is_older(tmp_path):
    cohort = tmp_path / "hw3"
    package = cohort / "s1" / "simpleautodiff"
    package.mkdir(parents=True)
    (package / "__init__.py").write_bytes(EMPTY)
    (package / "helpers.py").write_text("HELP = 1\n")
    (cohort / "s2").mkdir()
    (cohort / "s2" / "simpleautodiff.py").write_bytes(BROKEN)
    # A Canvas download unpacked by hand: the student's files are gathered into a copy
    # whose times are the files' own, so a deleted one left every time as it was.
    canvas = cohort / "canvas"
    canvas.mkdir()
    (canvas / "doejane_1002_5002_simpleautodiff.py").write_bytes(EMPTY)
    (canvas / "doejane_1002_5003_notes.txt").write_text("notes\n")
    _age(cohort)
    out = tmp_path / "grades"
    first = grade(cohort, out, "--jobs", "2")
    assert first.returncode == 0, first.stderr[-3000:]
    before = _stamps(out)
    assert sorted(before) == ["doejane_1002", "s1", "s2"]

    again = grade(cohort, out)
    assert "3 student(s) already graded and unchanged" in again.stderr
    assert _stamps(out) == before

    (package / "helpers.py").unlink()
    (canvas / "doejane_1002_5003_notes.txt").unlink()
    _age(cohort)  # the folders' times too: only the names tell
    after = grade(cohort, out)
    assert after.returncode == 0, after.stderr[-3000:]
    assert "1 student(s) already graded and unchanged" in after.stderr
    now = _stamps(out)
    assert now["s1"] > before["s1"] and now["doejane_1002"] > before["doejane_1002"]
    assert now["s2"] == before["s2"]


def test_a_changed_file_with_its_old_time_regrades_the_student(tmp_path):
    cohort = tmp_path / "hw3"
    (cohort / "s1").mkdir(parents=True)
    (cohort / "s1" / "simpleautodiff.py").write_bytes(BROKEN)
    _age(cohort)
    out = tmp_path / "grades"
    assert grade(cohort, out).returncode == 0
    assert "SyntaxError" in (out / "s1" / "feedback.md").read_text()
    (cohort / "s1" / "simpleautodiff.py").write_bytes(EMPTY.ljust(len(BROKEN)))
    _age(cohort)
    assert grade(cohort, out).returncode == 0
    assert "SyntaxError" not in (out / "s1" / "feedback.md").read_text()


def test_a_folder_and_an_archive_of_one_student_give_one_row(tmp_path):
    cohort = tmp_path / "hw3"
    (cohort / "s3003").mkdir(parents=True)
    (cohort / "s3003" / "simpleautodiff.py").write_bytes(BROKEN)  # older
    _age(cohort / "s3003")
    (cohort / "s3003.zip").write_bytes(zip_of({"simpleautodiff.py": EMPTY},
                                              {"simpleautodiff.py": (2030, 1, 1, 0, 0, 0)}))
    (cohort / "s3004").mkdir()  # disjoint: merged
    (cohort / "s3004" / "notes.txt").write_text("my notes\n")
    (cohort / "s3004.zip").write_bytes(zip_of({"simpleautodiff.py": BROKEN}))
    out = tmp_path / "grades"
    run = grade(cohort, out, "--jobs", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    rows = (out / "gradebook.csv").read_text().splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == ["s3003", "s3004"]
    assert "skipped" not in run.stderr
    newer = (out / "s3003" / "feedback.md").read_text()
    assert "SyntaxError" not in newer  # the archive, newer, is graded
    assert "`s3003: an older entry than s3003.zip" in newer  # the folder is named
    merged = (out / "s3004" / "feedback.md").read_text()
    assert "SyntaxError" in merged and "older entry" not in merged


def _truncated() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("simpleautodiff.py", "x = 1\n" * 2000)
    data = buffer.getvalue()
    return data[: len(data) // 2]


def test_a_truncated_zip_is_one_clean_sentence_and_not_called_empty(tmp_path):
    cohort = tmp_path / "hw3"
    cohort.mkdir()
    (cohort / "s5.zip").write_bytes(_truncated())
    (cohort / "s6").mkdir()
    (cohort / "s6" / "simpleautodiff.py").write_bytes(BROKEN)
    out = tmp_path / "grades"
    run = grade(cohort, out, "--jobs", "2")
    feedback = (out / "s5" / "feedback.md").read_text()
    assert "it is empty" not in feedback
    lines = [line for line in feedback.splitlines() if "s5.zip" in line]
    assert lines == ["- `s5.zip: not a readable zip or tar archive (damaged, cut short or of "
                     "another kind): make it again and hand it in again`"]
    for text in (feedback, run.stderr, (out / "report.html").read_text()):
        assert "ReadError" not in text and "method gz" not in text
    # Given as SUBMISSIONS, the same archive stops the run with one line.
    whole = grade(cohort / "s5.zip", tmp_path / "other")
    assert whole.returncode == 2
    said = [line for line in whole.stderr.splitlines() if "s5.zip" in line]
    assert said and all("ReadError" not in line for line in said)


@pytest.fixture
def three(tmp_path):
    cohort = tmp_path / "hw3"
    for name in ("smithjohn_1001", "smithjane_1002", "doejane_1003"):
        (cohort / name).mkdir(parents=True)
        (cohort / name / "simpleautodiff.py").write_bytes(BROKEN)
    out = tmp_path / "grades"
    assert grade(cohort, out, "--jobs", "2").returncode == 0
    return cohort, out


def test_only_regrades_the_students_a_prefix_names(three):
    cohort, out = three
    before = _stamps(out)
    run = _make(f"SUBMISSIONS={cohort}", f"OUT={out}", "ONLY=doe,SMITHJO")
    assert run.returncode == 0, run.stderr[-3000:]
    now = _stamps(out)
    assert now["doejane_1003"] > before["doejane_1003"]  # forced: unchanged, yet regraded
    assert now["smithjohn_1001"] > before["smithjohn_1001"]
    assert now["smithjane_1002"] == before["smithjane_1002"]
    rows = (out / "gradebook.csv").read_text().splitlines()[1:]
    assert len(rows) == 3  # the others keep their rows


@pytest.mark.parametrize(("only", "said"), [
    ("smith", "ONLY=smith matches 2 students (smithjane_1002, smithjohn_1001): give more "
              "of the id"),
    ("smithjim", "ONLY=smithjim: no student id starts with it in"),
    ("doejnae_1003", "did you mean doejane_1003?"),
])
def test_only_stops_on_an_ambiguous_or_unknown_prefix(three, only, said):
    cohort, out = three
    before = _stamps(out)
    run = _make(f"SUBMISSIONS={cohort}", f"OUT={out}", f"ONLY={only}")
    assert run.returncode != 0
    assert said in run.stderr
    errors = [line for line in run.stderr.splitlines() if "adkit.cohort: error" in line]
    assert len(errors) == 1 and "Traceback" not in run.stderr
    assert _stamps(out) == before


def test_an_interrupted_forced_run_counts_who_keeps_an_older_result(tmp_path):
    import re
    import shutil
    import signal
    import sys

    cohort = tmp_path / "hw3"
    for name in ("a1", "a2"):
        (cohort / name).mkdir(parents=True)
        (cohort / name / "simpleautodiff.py").write_bytes(BROKEN)
    shutil.copytree(ROOT / "reference" / "simpleautodiff", cohort / "b1" / "simpleautodiff")
    out = tmp_path / "grades"
    assert grade(cohort, out, "--jobs", "2").returncode == 0
    before = _stamps(out)
    process = subprocess.Popen(
        [sys.executable, "-m", "adkit.cohort", str(cohort), "--out", str(out), "--jobs", "1",
         "--force"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _stamps(out) == before:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    said = re.search(r"interrupted: (\d) student\(s\) graded by this run are saved; (\d) are "
                     r"not graded by it", stderr)
    assert said, stderr[-2000:]
    done, left = int(said[1]), int(said[2])
    assert done + left == 3 and left >= 1
    assert f"({left} of them keep an earlier run's result" in stderr
    assert "b1" in stderr.split("keep an earlier run's result")[1]
