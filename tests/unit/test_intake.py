"""Hostile student folders (adkit/intake): links, FIFOs, huge and sparse files, odd names,
pathological notebooks. They are built in tmp_path at test time (links and FIFOs cannot
live in git); none may block, read the host, or stop the run. In-process; notebooks read
in the intake's child process: tests/sandbox/test_intake_children.py."""

from __future__ import annotations

import json
import os
import time

import pytest

from adkit.authoring import course
from adkit.cohort import runner
from adkit.cohort.scoring import score
from adkit.intake import notebooks, staging
from adkit.intake.notebooks import package_source
from adkit.intake.submissions import Submission, scan_submissions
from adkit.model.rubric import load_rubric
from adkit.model.text import cap
from adkit.outputs.cohort import Cohort
from adkit.outputs.report import report_html
from adkit.outputs.result import StudentResult
from tests.helpers import ROOT, course_notebooks
from tests.helpers.fake_backend import FakeBackend

# --- staging: a capped copy of regular files only ----------------------------------------

def test_links_fifos_and_devices_are_not_copied_and_are_named_relatively(tmp_path):
    student = tmp_path / "s1"
    (student / "sub").mkdir(parents=True)
    (student / "simpleautodiff.py").write_text("x = 1\n")
    secret = tmp_path / "instructor_secret.py"
    secret.write_text("SOLUTION = 42\n")
    (student / "stolen.py").symlink_to(secret)
    (student / "classmate").symlink_to(tmp_path)
    (student / "zero.ipynb").symlink_to("/dev/zero")
    os.mkfifo(student / "sub" / "blocks.ipynb")
    began = time.monotonic()
    staged = staging.stage(student, tmp_path / "copy")
    assert time.monotonic() - began < 5  # the FIFO was not opened for reading
    copied = sorted(str(p.relative_to(staged.folder)) for p in staged.folder.rglob("*"))
    assert copied == ["simpleautodiff.py", "sub"]
    refused = "\n".join(staged.refused)
    for name in ("stolen.py", "classmate", "zero.ipynb", "sub/blocks.ipynb"):
        assert name in refused
    assert "symbolic link" in refused and "FIFO" in refused
    assert str(tmp_path) not in refused and "SOLUTION" not in refused


def test_a_sparse_file_of_gigabytes_is_refused_without_being_read(tmp_path):
    student = tmp_path / "s1"
    student.mkdir()
    with open(student / "big.py", "wb") as handle:
        handle.truncate(2 * 1024**3)
    os.chmod(student / "big.py", 0o600)
    began = time.monotonic()
    staged = staging.stage(student, tmp_path / "copy")
    assert time.monotonic() - began < 2
    assert not (staged.folder / "big.py").exists()
    assert staged.refused == ["big.py: 2048.0 MiB, over the 4.0 MiB limit per file"]


def test_total_and_count_caps_bind(tmp_path, monkeypatch):
    monkeypatch.setattr(staging, "TOTAL_BYTES", 3000)
    student = tmp_path / "s1"
    student.mkdir()
    for k in range(6):
        (student / f"f{k}.py").write_text("#" * 1000)
    staged = staging.stage(student, tmp_path / "copy")
    assert staged.bytes == 3000 and len(list(staged.folder.iterdir())) == 3
    assert staged.refused == [f"f{k}.py: over the 3000 bytes limit for all files together"
                              for k in (3, 4, 5)]
    note = staging.refused_note(staged.refused)
    assert note and "f5.py" in note
    monkeypatch.setattr(staging, "TOTAL_BYTES", 10**6)
    monkeypatch.setattr(staging, "MAX_FILES", 4)
    (student / "sub").mkdir()
    staged = staging.stage(student, tmp_path / "copy2")
    assert staged.files == 4
    assert staged.refused[-1] == ("f4.py: over the limit of 4 files and folders (it and what "
                                  "follows are not copied)")
    assert not (staged.folder / "sub").exists()


def test_links_and_fifos_count_against_the_count_cap_like_files(tmp_path, monkeypatch):
    # Issue 22: only copied files counted, so 200,000 links or folders were all walked.
    monkeypatch.setattr(staging, "MAX_FILES", 10)
    student = tmp_path / "s1"
    student.mkdir()
    for k in range(5):
        (student / f"a{k}").symlink_to("/etc/passwd")
    for k in range(3):
        os.mkfifo(student / f"b{k}")
    for k in range(5):
        (student / f"c{k}.py").write_text("x = 1\n")
    staged = staging.stage(student, tmp_path / "copy")
    assert sorted(p.name for p in staged.folder.iterdir()) == ["c0.py", "c1.py"]
    assert staged.seen == 11 and len(staged.refused) == 9
    assert staged.refused[-1] == ("c2.py: over the limit of 10 files and folders (it and what "
                                  "follows are not copied)")


def test_a_symlinked_student_folder_is_refused(tmp_path):
    (tmp_path / "target").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(staging.UnsafeFile):
        staging.stage(tmp_path / "link", tmp_path / "copy")


# --- student ids -------------------------------------------------------------------------

def test_unusable_student_folders_are_skipped_with_a_reason(tmp_path):
    names = ["s1", "gradebook.csv", "Report.HTML", ".hidden", "_private", "two words",
             "Alice", "alice", "x" * 200]
    for name in names:
        (tmp_path / name).mkdir()
    (tmp_path / "reference_link").symlink_to(ROOT / "reference")
    (tmp_path / "etc").symlink_to("/etc")
    (tmp_path / "README.txt").write_text("not a student\n")
    found, skipped = scan_submissions(tmp_path)
    assert [s.student_id for s in found] == ["s1"]
    reasons = {s.name: s.reason for s in skipped}
    assert set(reasons) == {"gradebook.csv", "Report.HTML", ".hidden", "_private", "two words",
                            "Alice", "alice", "x" * 80 + "...", "reference_link", "etc",
                            "README.txt"}  # listed too: nothing is skipped silently
    assert [s.name for s in skipped if s.plain_file] == ["README.txt"]
    assert "OUT/gradebook.csv" in reasons["gradebook.csv"]
    assert "OUT/report.html" in reasons["Report.HTML"]
    assert "symbolic link" in reasons["etc"]
    assert "only in upper and lower case" in reasons["alice"]


# --- notebooks ---------------------------------------------------------------------------

def test_a_line_of_millions_of_spaces_costs_milliseconds():
    line = "from __future__ import " + " " * 2_000_000 + "x;"
    began = time.monotonic()
    assert notebooks._module_code(line + "\n%time pass\nx = 1") == \
        line + "\n# (notebook magic left out) %time pass\nx = 1"
    # Kept as a comment: the cell's lines keep their numbers (tracebacks map to the cell).
    assert notebooks._module_code("from __future__ import annotations  ") == \
        "# (__future__ import: the package has it at the top)"
    assert time.monotonic() - began < 1


def test_notes_on_unreadable_notebooks_name_no_host_path(tmp_path):
    student = tmp_path / "s1"
    student.mkdir()
    real = course_notebooks.notebooks()[0]
    (student / "1_graph.ipynb").write_bytes(real.read_bytes())
    (student / "2_forward_mode.ipynb").symlink_to(course_notebooks.notebooks()[1])
    (student / "3_reverse_mode.ipynb").symlink_to(tmp_path / "does_not_exist")
    (student / "broken.ipynb").write_text("{not json")
    text = package_source(sorted(student.glob("*.ipynb")), base=student)
    notes = [line for line in text.splitlines() if line.startswith("# NOTE:")]
    assert any("2_forward_mode.ipynb was not read (a symbolic link" in n for n in notes)
    assert any("3_reverse_mode.ipynb was not read" in n for n in notes)
    assert any("broken.ipynb could not be read as a notebook" in n for n in notes)
    assert not [n for n in notes if str(tmp_path) in n or str(ROOT) in n]


def _solution_lines() -> set[str]:
    """Lines of the reference's solution regions that the public skeleton does not have."""
    public = {line.strip() for path in (ROOT / "skeleton" / "simpleautodiff").glob("*.py")
              for line in path.read_text(encoding="utf-8").splitlines()}
    lines, inside = set(), False
    for path in (ROOT / "reference" / "simpleautodiff").glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                inside = "BEGIN SOLUTION" in line
            elif inside and line.strip() and line.strip() not in public:
                lines.add(line.strip())
    return lines


def test_missing_answer_cells_bring_no_solution_text(tmp_path):
    folder = tmp_path / "s1"
    folder.mkdir()
    for path in course_notebooks.notebooks():
        nb = course.released(json.loads(path.read_text(encoding="utf-8")))
        # Every answer cell removed but one, which is left as released (the extractor
        # refuses notebooks with no answer cell at all: they are not this course's).
        nb["cells"] = [c for c in nb["cells"]
                       if not c["metadata"].get("nbgrader", {}).get("grade_id", "")
                       .startswith("answer_")
                       or c["metadata"]["nbgrader"]["grade_id"] == "answer_graph"]
        (folder / path.name).write_text(course.dumps(nb), encoding="utf-8")
    text = package_source(sorted(folder.glob("*.ipynb")), base=folder)
    assert "counts as released" in text
    solutions = _solution_lines()
    assert solutions  # the check would be empty otherwise
    leaked = sorted(line for line in text.splitlines() if line.strip() in solutions)
    assert not leaked


# --- the runner: the sandbox gets the staged copy; feedback stays small and path-free ----

def test_the_sandbox_sees_only_a_capped_copy(tmp_path):
    student = tmp_path / "submissions" / "s1"
    student.mkdir(parents=True)
    (student / "simpleautodiff.py").write_text("x = 1\n")
    (student / "peek.py").symlink_to(ROOT / "reference" / "simpleautodiff" / "__init__.py")
    os.mkfifo(student / "pipe.py")
    backend = FakeBackend()
    out = tmp_path / "grades"
    data = runner.grade(Submission("s1", student), out, load_rubric(), backend)
    assert backend.seen["files"] == ["simpleautodiff.py"] and not backend.seen["links"]
    assert not backend.seen["folder"].is_relative_to(student)
    assert not backend.seen["folder"].exists()  # the copy is gone after grading
    feedback = (out / "s1" / "feedback.md").read_text()
    assert "`peek.py: a symbolic link" in feedback and "`pipe.py: a FIFO" in feedback
    assert str(tmp_path) not in feedback and str(ROOT) not in feedback
    assert len(feedback.encode()) < 2 * 1024**2  # the lying str was cut
    assert data["extra_data"]["sandbox"] == "fake" and data["extra_data"]["isolated"] is False
    assert "Graded without a sandbox" in feedback
    assert len((out / "s1" / "results.json").read_bytes()) < 2 * 1024**2


def test_notebook_links_to_the_instructors_notebooks_score_nothing(tmp_path):
    student = tmp_path / "s1"
    student.mkdir()
    for path in course_notebooks.notebooks():
        (student / path.name).symlink_to(path)
    backend = FakeBackend()
    data = runner.grade(Submission("s1", student), tmp_path / "grades", load_rubric(), backend)
    assert data["score"] == 0 and "folder" not in backend.seen
    feedback = (tmp_path / "grades" / "s1" / "feedback.md").read_text()
    assert "no simpleautodiff package found" in feedback and "symbolic link" in feedback
    assert str(course_notebooks.SOURCE) not in feedback


def test_capped_copies_a_lying_str_and_cuts_it():
    lying = type("Lying", (str,), {"__len__": lambda self: 1, "__str__": lambda self: "x"})
    text = cap(lying("é" * 100_000), 1000, note=True)
    assert type(text) is str and len(text.encode()) < 1100 and "bytes cut" in text


def test_report_lists_skipped_folders_and_warns_when_not_isolated():
    rubric = load_rubric()
    data = score("s1", rubric, {}, sandbox="trusted", isolated=False).to_json()
    page = report_html(Cohort([StudentResult.from_json(data)],
                              skipped=[("gradebook.csv", "the name of the kit's own output")]))
    assert "WITHOUT an isolating sandbox" in page and "gradebook.csv" in page
    clean = score("s1", rubric, {}, sandbox="bubblewrap", isolated=True).to_json()
    assert "WITHOUT" not in report_html(Cohort([StudentResult.from_json(clean)]))


def test_a_deep_folder_does_not_stop_the_check_for_changes(tmp_path):
    deep = tmp_path / "s1"
    (deep / "/".join(["d"] * 200)).mkdir(parents=True)
    began = time.time()
    assert Submission("s1", deep).newest_change() >= began


def test_a_hard_link_to_a_file_outside_is_not_copied(tmp_path):
    secret = tmp_path / "solution.py"
    secret.write_text("SOLUTION = 42\n")
    student = tmp_path / "s1"
    student.mkdir()
    os.link(secret, student / "simpleautodiff.py")
    staged = staging.stage(student, tmp_path / "copy")
    assert not list(staged.folder.iterdir())
    assert staged.refused == ["simpleautodiff.py: a hard link to another file (hand in a copy "
                              "of the file)"]
