"""Submissions sealed when collected: a copy and digests that later steps compare against
(`make course-collect` seals; `make course-crosscheck` checks; docs/course.md).

`seal` records the SHA-256 of every file of each student's `submitted/<student>/<assignment>/`
in `sealed/<assignment>/digests.json` and keeps a copy of their notebooks beside it
(`sealed/<assignment>/<student>/`, read-only). The crosscheck grades the sealed copy,
after checking it against the digests, and calls a submission SUSPECT whose submitted files
no longer match what was collected: nobody's code may rewrite a classmate's notebook, or its
own, after the deadline.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from adkit.model.text import shown
from adkit.outputs.atomic import write_atomic

MOST_FILES = 500  # per submission; more is not a notebook submission


def digests(folder: Path) -> dict[str, str]:
    """relative path -> SHA-256 of each regular file under `folder` (links not followed)."""
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.rglob("*")):
        if len(found) >= MOST_FILES:
            found["..."] = "too many files"
            break
        if path.is_symlink():
            found[str(path.relative_to(folder))] = "a symbolic link"
        elif path.is_file():
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _root(course_dir: Path, assignment: str) -> Path:
    return course_dir / "sealed" / assignment


def _submitted(course_dir: Path, assignment: str, student: str) -> Path:
    return course_dir / "submitted" / student / assignment


def recorded(course_dir: Path, assignment: str) -> dict[str, dict[str, str]]:
    """student -> the digests taken when their submission was sealed."""
    path = _root(course_dir, assignment) / "digests.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def seal(course_dir: Path, assignment: str, students: list[str]) -> dict[str, dict[str, str]]:
    """Seal each student's submission as it is now; the digests of all."""
    root = _root(course_dir, assignment)
    root.mkdir(parents=True, exist_ok=True)
    book = recorded(course_dir, assignment)
    for student in students:
        folder = _submitted(course_dir, assignment, student)
        book[student] = digests(folder)
        copy = root / student
        if copy.exists():
            shutil.rmtree(copy)
        copy.mkdir(mode=0o700)
        for notebook in sorted(folder.glob("*.ipynb")):
            if notebook.is_file() and not notebook.is_symlink():
                shutil.copyfile(notebook, copy / notebook.name)
                (copy / notebook.name).chmod(0o400)
    write_atomic(root / "digests.json", json.dumps(book, indent=1, sort_keys=True) + "\n")
    return book


def sealed_copy(course_dir: Path, assignment: str, student: str) -> Path:
    return _root(course_dir, assignment) / student


def _differences(now: dict[str, str], then: dict[str, str]) -> list[str]:
    return sorted(name for name in set(now) | set(then) if now.get(name) != then.get(name))


def changes(course_dir: Path, assignment: str, student: str,
            book: dict[str, dict[str, str]]) -> list[str]:
    """Why this student's submission is not what was collected (empty: it is)."""
    then = book.get(student)
    if not isinstance(then, dict):
        return []
    problems = []
    changed = _differences(digests(_submitted(course_dir, assignment, student)), then)
    if changed:
        problems.append("its submitted files changed after collection: "
                        + shown(", ".join(changed), 300, one_line=True))
    notebooks = {k: v for k, v in then.items() if k.endswith(".ipynb") and "/" not in k}
    broken = _differences(digests(sealed_copy(course_dir, assignment, student)), notebooks)
    if broken:
        problems.append("its sealed copy does not match the digests taken at collection: "
                        + shown(", ".join(broken), 300, one_line=True))
    return problems
