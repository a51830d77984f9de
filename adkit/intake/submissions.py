"""Finding the students in a submissions folder, and the code each one handed in.

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
from dataclasses import dataclass
from pathlib import Path

from adkit.intake.staging import MAX_DEPTH, MAX_FILES, shown

# Linear (no nested repetition) and applied to names of at most a few hundred characters.
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")
RESERVED = frozenset({"gradebook.csv", "report.html"})  # OUT's own files


@dataclass(frozen=True)
class Submission:
    student_id: str
    folder: Path

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
    """An entry of the submissions folder that is not graded, and why (for the console)."""

    name: str
    reason: str


def _problem(name: str, mode: int) -> str | None:
    """Why the entry `name` cannot be a student folder, or None if it can."""
    if stat.S_ISLNK(mode):
        return "a symbolic link, not a folder (copy the student's folder in instead)"
    if not STUDENT_ID.fullmatch(name):
        return ("not a usable student id (letters, digits and . _ @ + -, starting with a "
                "letter or digit, at most 128 characters): rename the folder")
    if name.lower() in RESERVED:
        return f"the name of the kit's own output OUT/{name.lower()}: rename the folder"
    return None


def scan_submissions(folder: Path) -> tuple[list[Submission], list[Skipped]]:
    """Every usable student folder (sorted by id), and the folders that are skipped, with why.

    Plain files at the top (a README, say) are not student folders and are ignored.
    """
    found: dict[str, Submission] = {}
    skipped: list[Skipped] = []
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:  # gone since the listing
            continue
        if not (stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            continue
        problem = _problem(entry.name, mode)
        if problem:
            skipped.append(Skipped(shown(entry.name), problem))
        else:
            found[entry.name] = Submission(entry.name, Path(folder) / entry.name)
    return _without_case_twins(found, skipped)


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
