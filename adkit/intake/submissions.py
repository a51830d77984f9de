"""Finding the students in a submissions folder, and the code each one handed in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Submission:
    student_id: str
    folder: Path

    def code(self) -> tuple[Path | None, list[Path], str | None]:
        """(folder to import `simpleautodiff` from, notebooks, problem) for this student.

        The package may be a `simpleautodiff/` folder or one `simpleautodiff.py`, at the top
        of the student's folder; else the student's notebooks (*.ipynb) are graded.
        """
        if (self.folder / "simpleautodiff" / "__init__.py").is_file() or \
                (self.folder / "simpleautodiff.py").is_file():
            return self.folder, [], None
        if (self.folder / "simpleautodiff").is_dir():
            return self.folder, [], None  # a namespace package: let the import say what is wrong
        notebooks = sorted(p for p in self.folder.rglob("*.ipynb")
                           if ".ipynb_checkpoints" not in p.parts)
        if notebooks:
            return None, notebooks, None
        listing = sorted(p.name for p in self.folder.iterdir())[:8]
        return None, [], (
            "no simpleautodiff package found: hand in a `simpleautodiff/` folder or a "
            "`simpleautodiff.py` file (or your notebooks) at the top of your submission"
            + (f"; it holds {', '.join(listing)}" if listing else "; it is empty"))

    def newest_change(self) -> float:
        """The latest modification time of anything in the submission."""
        newest = self.folder.stat().st_mtime
        for root, dirs, files in os.walk(self.folder, followlinks=False):
            for name in dirs + files:
                try:
                    newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
                except OSError:
                    continue
        return newest


def find_submissions(folder: Path) -> list[Submission]:
    """Every student folder (its name is the student id); hidden folders and files skipped."""
    return sorted((Submission(p.name, p) for p in folder.iterdir()
                   if p.is_dir() and not p.name.startswith((".", "_"))),
                  key=lambda s: s.student_id)
