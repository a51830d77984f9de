"""Hostile student folders (adkit/intake): links, FIFOs, huge and sparse files, odd names,
pathological notebooks. They are built in tmp_path at test time (links and FIFOs cannot
live in git); none may block, read the host, or stop the run."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from adkit.authoring import course
from adkit.grade import runner
from adkit.grade.rubric import load_rubric
from adkit.intake import notebooks, staging
from adkit.intake.notebooks import SubmissionError, extract_in_child, package_source
from adkit.intake.submissions import Submission, scan_submissions
from adkit.outputs import files as outputs
from adkit.outputs.cohort import Cohort
from adkit.outputs.report import report_html
from adkit.outputs.result import StudentResult

ROOT = Path(__file__).resolve().parent.parent
SOURCE = course.source_dir()


def _source_notebooks() -> list[Path]:
    return sorted(SOURCE.glob("*.ipynb"))


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


def test_a_folder_named_like_an_output_does_not_stop_the_run(tmp_path):
    from adkit.grade import __main__ as cli

    submissions = tmp_path / "submissions"
    (submissions / "gradebook.csv").mkdir(parents=True)
    (submissions / "s1").mkdir()
    out = tmp_path / "grades"
    cli.main([str(submissions), "--out", str(out), "--jobs", "1", "--trusted"])
    assert (out / "gradebook.csv").is_file()
    assert "gradebook.csv" in (out / "report.html").read_text()
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["s1"]


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
    real = _source_notebooks()[0]
    (student / "1_graph.ipynb").write_bytes(real.read_bytes())
    (student / "2_forward_mode.ipynb").symlink_to(_source_notebooks()[1])
    (student / "3_reverse_mode.ipynb").symlink_to(tmp_path / "does_not_exist")
    (student / "broken.ipynb").write_text("{not json")
    text = package_source(sorted(student.glob("*.ipynb")), base=student)
    notes = [line for line in text.splitlines() if line.startswith("# NOTE:")]
    assert any("2_forward_mode.ipynb was not read (a symbolic link" in n for n in notes)
    assert any("3_reverse_mode.ipynb was not read" in n for n in notes)
    assert any("broken.ipynb could not be read as a notebook" in n for n in notes)
    assert not [n for n in notes if str(tmp_path) in n or str(ROOT) in n]


def test_a_slow_notebook_costs_its_student_only(tmp_path, monkeypatch):
    def slow(*_: object) -> str:
        while True:
            pass

    monkeypatch.setattr(notebooks, "package_source", slow)  # inherited by the forked child
    began = time.monotonic()
    with pytest.raises(SubmissionError, match="took longer than 1 s"):
        extract_in_child(_source_notebooks(), tmp_path / "pkg", seconds=1)
    assert time.monotonic() - began < 5


def test_a_notebook_that_eats_memory_costs_its_student_only(tmp_path, monkeypatch):
    def greedy(*_: object) -> str:
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024**2))

    monkeypatch.setattr(notebooks, "package_source", greedy)
    with pytest.raises(SubmissionError, match="too much memory"):
        extract_in_child(_source_notebooks(), tmp_path / "pkg", seconds=20)


def test_the_child_extracts_the_reference_notebooks(tmp_path):
    dest = extract_in_child(_source_notebooks(), tmp_path / "pkg")
    assert "def backward" in (dest / "simpleautodiff" / "__init__.py").read_text()


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
    for path in _source_notebooks():
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

class _FakeBox:
    def __init__(self, seen: dict, folder: Path) -> None:
        seen["folder"] = folder
        seen["files"] = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
        seen["links"] = [p for p in folder.rglob("*") if p.is_symlink()]

    def call(self, request: dict, timeout: float | None = None) -> SimpleNamespace:
        huge = type("Lying", (str,), {"__len__": lambda self: 3})("E" * 5_000_000)
        return SimpleNamespace(ok=True, value={"import_error": huge}, output="", problem=None)

    def close(self) -> None:
        pass

    def __enter__(self) -> _FakeBox:
        return self

    def __exit__(self, *_: object) -> None:
        pass


class _FakeBackend:
    name, isolating = "fake", False

    def __init__(self) -> None:
        self.seen: dict = {}

    def describe(self) -> str:
        return "fake"

    def open(self, submission, handler, support, limits):
        return _FakeBox(self.seen, Path(submission))


def test_the_sandbox_sees_only_a_capped_copy(tmp_path):
    student = tmp_path / "submissions" / "s1"
    student.mkdir(parents=True)
    (student / "simpleautodiff.py").write_text("x = 1\n")
    (student / "peek.py").symlink_to(ROOT / "reference" / "simpleautodiff" / "__init__.py")
    os.mkfifo(student / "pipe.py")
    backend = _FakeBackend()
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
    for path in _source_notebooks():
        (student / path.name).symlink_to(path)
    backend = _FakeBackend()
    data = runner.grade(Submission("s1", student), tmp_path / "grades", load_rubric(), backend)
    assert data["score"] == 0 and "folder" not in backend.seen
    feedback = (tmp_path / "grades" / "s1" / "feedback.md").read_text()
    assert "no simpleautodiff package found" in feedback and "symbolic link" in feedback
    assert str(SOURCE) not in feedback


def test_capped_copies_a_lying_str_and_cuts_it():
    lying = type("Lying", (str,), {"__len__": lambda self: 1, "__str__": lambda self: "x"})
    text = outputs.capped(lying("é" * 100_000), 1000)
    assert type(text) is str and len(text.encode()) < 1100 and "bytes cut" in text


def test_report_lists_skipped_folders_and_warns_when_not_isolated():
    rubric = load_rubric()
    data = outputs.results("s1", rubric, {}, {"seconds": 0.0, "sandbox": "trusted",
                                               "isolated": False})
    page = report_html(Cohort([StudentResult.from_json(data)],
                              skipped=[("gradebook.csv", "the name of the kit's own output")]))
    assert "WITHOUT an isolating sandbox" in page and "gradebook.csv" in page
    clean = outputs.results("s1", rubric, {}, {"seconds": 0.0, "sandbox": "bubblewrap",
                                                "isolated": True})
    assert "WITHOUT" not in report_html(Cohort([StudentResult.from_json(clean)]))


def test_notes_from_the_notebooks_reach_the_feedback(tmp_path):
    student = tmp_path / "s1"
    student.mkdir()
    for path in _source_notebooks()[:2]:
        (student / path.name).write_bytes(path.read_bytes())
    (student / "broken.ipynb").write_text("{not json")
    backend = _FakeBackend()
    runner.grade(Submission("s1", student), tmp_path / "grades", load_rubric(), backend)
    assert backend.seen["files"] == ["simpleautodiff", "simpleautodiff/__init__.py"]
    feedback = (tmp_path / "grades" / "s1" / "feedback.md").read_text()
    assert "**From your notebooks:**" in feedback
    assert "broken.ipynb could not be read as a notebook" in feedback
    assert 'no cell 10 under "The tape" (an answer cell); it counts as released' in feedback
    assert str(tmp_path) not in feedback


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
