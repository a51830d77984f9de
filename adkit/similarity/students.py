"""Each student's code as one text, read only through the intake (adkit/intake/).

SUBMISSIONS is scanned like `make grade` does (archives unpacked safely, LMS downloads
named), each student's folder is staged (no links followed, caps on sizes and counts), and
their code is read from the staged copy: every `.py` file of a `simpleautodiff/` package, a
`simpleautodiff.py`, or, for notebooks, only the answer cells of the package that the
intake extracts from them (in its limited child process). Files are joined in a stable
order, each after a `# ===== name =====` line, so a student is compared as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from adkit.intake.notebooks import SubmissionError, extract_in_child
from adkit.intake.staging import UnsafeFile, stage
from adkit.intake.submissions import Skipped, Submission, scan_submissions
from adkit.model.text import shown
from adkit.similarity.winnow import Token, tokens

ROOT = Path(__file__).resolve().parents[2]
SKELETON = ROOT / "skeleton" / "simpleautodiff"
CODE_CHARS = 256 * 1024  # code compared per student (ten times the reference); the rest is
# left out, and the page says so
_ANSWER = "(the student's answer) ---"
NAME_BYTES = 160  # of a file or cell name shown


@dataclass
class Student:
    """One student's code: the text shown, its tokens, and notes on what was left out."""

    student_id: str
    text: str = ""
    segments: list[list[Token]] = field(default_factory=list)  # one per file or cell
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, code: str) -> None:
        """Append one file (or notebook cell) of the student's code, if there is room."""
        # Line ends as "\n" (a "\r" would show as \x0d on the page); NUL as a replacement.
        code = code.replace("\r\n", "\n").replace("\x00", "\ufffd")
        name = shown(name, NAME_BYTES, one_line=True)
        room = CODE_CHARS - len(self.text)
        if room <= 0:
            self.notes.append(f"{name} left out (over {CODE_CHARS >> 10} KiB of code)")
            return
        if len(code) > room:
            self.notes.append(f"{name} cut (over {CODE_CHARS >> 10} KiB of code)")
            code = code[:room]
        header = f"# ===== {name} =====\n"
        start = len(self.text) + len(header)
        self.text += header + code + ("" if code.endswith("\n") else "\n")
        self.segments.append(tokens(code, start))


def skeleton_sources(folder: Path = SKELETON) -> list[str]:
    """The skeleton's given code (its .py files): the boilerplate every student starts from."""
    if not folder.is_dir():
        raise FileNotFoundError(f"the skeleton {folder} is missing: run `make skeleton`")
    return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.py"))]


def read_cohort(submissions: Path, scratch: Path,
                ) -> tuple[list[Student], list[tuple[str, str]]]:
    """Every student with code, and (entry, why) for every entry or student not compared.

    `scratch` is a private folder the caller removes (archives and copies go there).
    """
    return read_students(*scan(submissions, scratch), scratch)


def scan(submissions: Path, scratch: Path) -> tuple[list[Submission], list[Skipped]]:
    """SUBMISSIONS read as `make grade` reads it (archives unpacked into `scratch`)."""
    unpacked = scratch / "unpacked"
    unpacked.mkdir(mode=0o700, parents=True)
    return scan_submissions(submissions, unpacked)


def read_students(everyone: list[Submission], skipped: list[Skipped], scratch: Path,
                  ) -> tuple[list[Student], list[tuple[str, str]]]:
    """`read_cohort` for a scanned SUBMISSIONS."""
    staged_root = scratch / "staged"
    staged_root.mkdir(mode=0o700)
    left = [(s.name, s.reason) for s in skipped if not s.plain_file]
    students = []
    for submission in everyone:
        student = read_student(submission, staged_root)
        if isinstance(student, str):
            left.append((submission.student_id, student))
        else:
            students.append(student)
    return students, left


def read_student(submission: Submission, scratch: Path) -> Student | str:
    """The student's code from a staged copy of their folder, or why there is none."""
    target = scratch / submission.student_id
    try:
        staged = stage(submission.folder, target)
    except UnsafeFile as error:
        return f"the folder could not be read ({error.strerror})"
    student = Student(submission.student_id)
    student.notes += [f"left out by the intake: {r}" for r in
                      [*submission.refused, *staged.refused][:5]]
    folder, notebooks, problem = submission.code(staged.folder)
    if notebooks and not problem:
        problem = _add_answers(student, notebooks, staged.folder, scratch)
    elif folder is not None:
        package = folder / "simpleautodiff"
        files = sorted(package.rglob("*.py")) if package.is_dir() else \
            [folder / "simpleautodiff.py"]
        for path in files:
            if path.is_file():
                student.add(str(path.relative_to(folder)), _read(path))
    if problem:
        return problem
    if not any(student.segments):
        return "no Python code found in the submission"
    return student


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace")


def _add_answers(student: Student, notebooks: list[Path], base: Path,
                 scratch: Path) -> str | None:
    """Add the answer cells of the student's notebooks; the problem, if they have none."""
    target = scratch / f".{student.student_id}.notebooks"
    try:
        extract_in_child(notebooks, target, base=base)
    except SubmissionError as error:
        return str(error)
    package = _read(target / "simpleautodiff" / "__init__.py")
    name, lines = "", []
    for line in package.splitlines(keepends=True) + ["# --- end ---\n"]:
        if line.startswith("# --- ") and line.rstrip().endswith(" ---"):
            if name and lines:
                student.add(name, "".join(lines))
            keep = line.rstrip().endswith(_ANSWER)
            name = line[6:].rstrip().removesuffix(_ANSWER).strip() if keep else ""
            lines = []
        elif name:
            lines.append(line)
    return None
