"""Finding the students in SUBMISSIONS (a folder or a cohort's archive), and their code.

Entries are student folders, a student's archive (`s1.zip`), or the files and folders of
Canvas's and Moodle's bulk downloads (adkit/intake/lms.py); archives are unpacked safely
(adkit/intake/archives.py) into a private folder.

A folder's name is its student id, and names the student's files in OUT, so only names of a
safe shape are used, and none that could be confused with the kit's own outputs. Student
folders are never followed through symbolic links; their files are read only through a
capped copy (adkit/intake/staging.py).
"""

from __future__ import annotations

import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from adkit.intake import archives
from adkit.intake.lms import Named, named
from adkit.intake.staging import (
    MAX_DEPTH,
    MAX_FILES,
    NOTEBOOK_BYTES,
    NoRoom,
    UnsafeFile,
    no_room,
    open_folder,
    read_file,
    remove_partial,
    shown,
)

# Linear (no nested repetition) and applied to names of at most a few hundred characters.
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")
RESERVED = frozenset({"gradebook.csv", "report.html"})  # OUT's own files


@dataclass(frozen=True)
class Submission:
    """A student: their id, the folder of their files, and the archive members refused while
    unpacking them (named in their feedback)."""

    student_id: str
    folder: Path
    refused: tuple[str, ...] = ()
    submitted_at: str | None = None  # ISO 8601 with its UTC offset, where the LMS said
    marked_late: bool | None = None  # the LMS's own late mark, where it gives one

    def code(self, staged: Path) -> tuple[Path | None, list[Path], str | None]:
        """(folder to import `simpleautodiff` from, notebooks, problem) for this student.

        `staged` is the safe copy of the student's folder (adkit.intake.staging.stage): it
        holds only regular files and folders, so plain Path calls are safe on it. The
        package may be a `simpleautodiff/` folder or one `simpleautodiff.py`, at the top;
        else the student's notebooks (*.ipynb) are graded.
        """
        if (staged / "simpleautodiff" / "__init__.py").is_file() or \
                (staged / "simpleautodiff.py").is_file():
            return staged, [], None
        if (staged / "simpleautodiff").is_dir():
            return staged, [], None  # a namespace package: let the import say what is wrong
        notebooks = sorted(p for p in staged.rglob("*.ipynb") if p.is_file())
        if notebooks:
            return None, notebooks, None
        listing = sorted(shown(p.name, 40) for p in staged.iterdir())[:8]
        return None, [], (
            "no simpleautodiff package found: hand in a `simpleautodiff/` folder or a "
            "`simpleautodiff.py` file (or your notebooks) at the top of your submission"
            + (f"; it holds {', '.join(listing)}" if listing else "; it is empty"))

    def newest_change(self) -> float:
        """The latest modification time of anything in the submission (links not followed).

        The walk is bounded like staging is (depth, entries); a folder past the bounds
        counts as changed now, so it is regraded rather than the walk running for ever.
        """
        newest = os.lstat(self.folder).st_mtime
        stack, seen = [(str(self.folder), 0)], 0
        while stack:
            path, depth = stack.pop()
            with os.scandir(path) as listing:
                for entry in listing:
                    seen += 1
                    if seen > 10 * MAX_FILES or depth >= MAX_DEPTH:
                        return time.time()
                    info = entry.stat(follow_symlinks=False)
                    newest = max(newest, info.st_mtime)
                    if stat.S_ISDIR(info.st_mode):
                        stack.append((entry.path, depth + 1))
        return newest


@dataclass(frozen=True)
class Skipped:
    """An entry of SUBMISSIONS that is not graded, and why (for the console and the report)."""

    name: str
    reason: str
    plain_file: bool = False  # a README or a spreadsheet beside the submissions


NOT_A_SUBMISSION = ("a file, not a student folder nor an archive (.zip, .tar, .tar.gz) named "
                    "by a student id or by Canvas's or Moodle's naming: not graded")


def _problem(name: str, mode: int) -> str | None:
    """Why the entry `name` cannot be a student folder, or None if it can."""
    if stat.S_ISLNK(mode):
        return "a symbolic link, not a folder (copy the student's folder in instead)"
    return _id_problem(name)


def _id_problem(name: str) -> str | None:
    if not STUDENT_ID.fullmatch(name):
        return ("not a usable student id (letters, digits and . _ @ + -, starting with a "
                "letter or digit, at most 128 characters): rename the folder")
    if name.lower() in RESERVED:
        return f"the name of the kit's own output OUT/{name.lower()}: rename the folder"
    return None


@dataclass
class _Sources:
    """Everything in SUBMISSIONS that belongs to one student."""

    folders: list[Path] = field(default_factory=list)
    files: list[tuple[Path, str]] = field(default_factory=list)  # (path, name to give it)
    names: list[str] = field(default_factory=list)  # the entries, for messages


def scan_submissions(source: Path, unpacked: Path | None = None,
                     ) -> tuple[list[Submission], list[Skipped]]:
    """Every student (sorted by id) in the folder or cohort archive `source`, and every entry
    that is not graded, with why.

    Archives (a cohort's, a student's, or one in a student's folder) are unpacked into
    `unpacked`, a private folder the caller removes; without it they are skipped.
    """
    skipped: list[Skipped] = []
    folder = Path(source)
    if not folder.is_dir():
        if unpacked is None or not archives.is_archive(folder.name):
            return [], [Skipped(shown(folder.name), "not a folder nor a zip or tar archive")]
        label = shown(folder.name)
        try:
            result = archives.unpack(folder, unpacked / ".cohort", archives.COHORT)
        except NoRoom as error:  # nobody can be graded: say why, grade nobody
            return [], [Skipped(label, error.reason.split(": a grader error")[0]
                                 + ": make room and run the command again")]
        skipped += [Skipped(label, why.removeprefix(f"{label}: ")) for why in result.refused]
        folder = _inner(result.folder)
    students = _gather(folder, skipped)
    found: dict[str, Submission] = {}
    for student_id, sources in sorted(students.items()):
        if len(sources.folders) + (1 if sources.files else 0) > 1:
            for name in sources.names:
                skipped.append(Skipped(name, f"one of {len(sources.names)} entries for student "
                                             f"{student_id}: keep one and grade again"))
            continue
        submission = _build(student_id, sources, unpacked)
        if isinstance(submission, str):
            skipped += [Skipped(name, submission) for name in sources.names]
        else:
            found[student_id] = submission
    return _without_case_twins(found, skipped)


def _gather(folder: Path, skipped: list[Skipped]) -> dict[str, _Sources]:
    """The entries of `folder` by student id; the others go to `skipped`, with why."""
    students: dict[str, _Sources] = {}
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:  # gone since the listing
            continue
        owner = _owner(entry.name, mode)
        if isinstance(owner, Skipped):
            skipped.append(owner)
            continue
        sources = students.setdefault(owner[0], _Sources())
        if stat.S_ISREG(mode):
            sources.files.append((Path(entry.path), owner[1]))
        else:
            sources.folders.append(Path(entry.path))
        sources.names.append(shown(entry.name))
    return students


def _owner(name: str, mode: int) -> tuple[str, str] | Skipped:
    """(student id, the file's own name) for one entry of SUBMISSIONS, or why it is skipped."""
    is_folder = stat.S_ISDIR(mode) or stat.S_ISLNK(mode)
    lms = named(name, is_folder)
    if lms and lms.not_graded:
        return Skipped(shown(name), lms.not_graded)
    if is_folder:
        problem = _problem(lms.student_id if lms else name, mode)
        return Skipped(shown(name), problem) if problem else (lms.student_id if lms else name,
                                                              "")
    if not stat.S_ISREG(mode):
        return Skipped(shown(name), "not a file nor a folder (a FIFO, socket or device): not "
                                    "graded")
    owner = _file_owner(name, lms)
    if isinstance(owner, str):
        return Skipped(shown(name), owner, owner == NOT_A_SUBMISSION)
    return owner


def _file_owner(name: str, lms: Named | None) -> tuple[str, str] | str:
    """(student id, the file's own name) for a file at the top of SUBMISSIONS, or why not."""
    if lms:
        return _id_problem(lms.student_id) or (lms.student_id, lms.file)
    if archives.is_archive(name):
        student_id = archives.stem(name)
        problem = _id_problem(student_id)
        return problem.replace("rename the folder", "rename the archive") if problem \
            else (student_id, name)
    return NOT_A_SUBMISSION


def _build(student_id: str, sources: _Sources, unpacked: Path | None) -> Submission | str:
    """The student's Submission: their folder, or their files and archives unpacked."""
    if sources.folders:
        folder = sources.folders[0]
        inner = _archives_in(folder)
        if not inner:
            return Submission(student_id, folder)
        sources = _Sources(files=[(folder / name, name) for name in inner])
    if unpacked is None:
        return "an archive (archives are unpacked only by `python -m adkit.grade`)"
    target = unpacked / student_id
    refused: list[str] = []
    newest = 0.0
    try:
        for path, name in sources.files:
            if archives.is_archive(name):
                result = archives.unpack(path, target)
                refused += result.refused
                newest = max(newest, result.newest)
            else:
                newest = max(newest, _copy(path, target / name, refused))
        archives.settle_times(target, newest)
    except NoRoom as error:  # the machine's fault: this student only, the run goes on
        remove_partial(target)
        return error.reason
    return Submission(student_id, _inner(target), tuple(refused))


def _archives_in(folder: Path) -> list[str]:
    """The archives at the top of a student folder that holds no code besides them."""
    try:
        with os.scandir(folder) as listing:
            entries = [(e.name, e.is_file(follow_symlinks=False)) for e in listing]
    except OSError:
        return []  # staging says what is wrong with it
    code = any(name in ("simpleautodiff", "simpleautodiff.py") or name.endswith(".ipynb")
               for name, _ in entries)
    return [] if code else sorted(n for n, is_file in entries if is_file and
                                  archives.is_archive(n))


def _copy(source: Path, target: Path, refused: list[str]) -> float:
    """Copy one loose file of a bulk download (capped, no link followed); its time."""
    fd = open_folder(source.parent)
    try:
        data = read_file(source.name, fd, NOTEBOOK_BYTES)
        when = os.stat(source.name, dir_fd=fd, follow_symlinks=False).st_mtime
    except UnsafeFile as error:
        refused.append(f"{shown(source.name)}: {error.strerror}")
        return 0.0
    finally:
        os.close(fd)
    try:
        target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        with open(target, "xb") as handle:
            handle.write(data)
    except FileExistsError:
        refused.append(f"{shown(source.name)}: a second file named {shown(target.name)}")
        return 0.0
    except OSError as error:
        no_room(error, f"copying {shown(source.name)}")
        raise
    os.utime(target, (when, when))
    return when


def _inner(folder: Path) -> Path:
    """The one folder an archive often wraps everything in (`hw3/...`), else `folder`."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return folder
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink() \
            and entries[0].name not in ("simpleautodiff", ".cohort"):
        return entries[0]
    return folder

def _without_case_twins(found: dict[str, Submission], skipped: list[Skipped],
                        ) -> tuple[list[Submission], list[Skipped]]:
    """Ids equal ignoring case would share OUT/<id> on some file systems: skip all of them."""
    by_folded: dict[str, list[str]] = {}
    for name in found:
        by_folded.setdefault(name.casefold(), []).append(name)
    for names in by_folded.values():
        if len(names) > 1:
            for name in names:
                others = ", ".join(n for n in names if n != name)
                skipped.append(Skipped(name, f"differs from {others} only in upper and lower "
                                             "case (their outputs would collide): rename one"))
                del found[name]
    return sorted(found.values(), key=lambda s: s.student_id), skipped


def find_submissions(folder: Path) -> list[Submission]:
    """Every usable student folder (see scan_submissions for the ones skipped and why)."""
    return scan_submissions(folder)[0]
