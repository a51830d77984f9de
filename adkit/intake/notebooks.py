"""A student's filled notebooks as an importable `simpleautodiff` package.

The course's notebooks (adkit/authoring/course.py) split the package into cells: given cells
(`given_*`, the same for everyone) and the student's answer cells (`answer_*`). Read in
notebook order they make one module, which is what every notebook's kernel runs too.
The graders import that module like any other submission:

    >>> extract_package(sorted(Path("submissions/s2409").glob("*.ipynb")), Path("build/s2409"))

Only answer cells come from the student's files: the given cells come from the course
itself, so editing them changes nothing, and an answer cell that is missing (or a notebook
that was not submitted) counts as left as released. Code in cells the student added is
not part of the package, as the notebooks say.
"""

from __future__ import annotations
import __future__

import json
import re
from pathlib import Path

from adkit.authoring.course import (
    PACKAGE_PREFIXES,
    clear_solutions,
    notebook_cells,
    snippets,
    templates,
)

FUTURE = re.compile(r"^from __future__ import [\w, ()]+\s*$")
MAGIC = re.compile(r"^\s*[%!]")


class SubmissionError(ValueError):
    """Notebooks that cannot be read as this course's submission."""


def _answer_cells(notebooks: list[Path]) -> tuple[dict[str, str], list[str]]:
    """The answer cells of the student's notebooks by grade id, and notes on problems."""
    answers: dict[str, str] = {}
    notes: list[str] = []
    for path in notebooks:
        try:
            cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            notes.append(f"{Path(path).name} could not be read as a notebook ({error}); "
                         "its answers count as left as released")
            continue
        for cell in cells:
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            meta = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = meta.get("grade_id", "") if isinstance(meta, dict) else ""
            if grade_id.startswith("answer_") and grade_id not in answers:
                source = cell.get("source", "")
                answers[grade_id] = source if isinstance(source, str) else "".join(source)
    return answers, notes


def _module_code(source: str) -> str:
    """A cell's code as module code: no __future__ line (the module has one at the top),
    and IPython magics commented out."""
    lines = []
    for line in source.splitlines():
        if FUTURE.match(line):
            continue
        lines.append(f"# (notebook magic left out) {line}" if MAGIC.match(line) else line)
    return "\n".join(lines).strip("\n")


def package_source(notebooks: list[Path]) -> str:
    """The text of `simpleautodiff/__init__.py` made from the student's notebooks."""
    answers, notes = _answer_cells(notebooks)
    shared = snippets()
    course = [(t.stem, cell) for t in templates() for cell in notebook_cells(t, shared)
              if cell.grade_id.startswith(PACKAGE_PREFIXES)]
    expected = [cell.grade_id for _, cell in course if cell.kind == "answer"]
    if not any(grade_id in answers for grade_id in expected):
        names = ", ".join(Path(p).name for p in notebooks) or "no files"
        raise SubmissionError(
            f"none of the course's answer cells ({', '.join(expected)}) is in {names}: "
            "submit the course's notebooks (from `nbgrader fetch_assignment`), filled in")
    parts = []
    for notebook, cell in course:
        if cell.kind == "answer" and cell.grade_id in answers:
            code, origin = answers[cell.grade_id], "the student's answer"
        elif cell.kind == "answer":
            code, origin = clear_solutions(cell.source)[0], "missing: left as released"
            notes.append(f"{notebook}.ipynb: no cell {cell.grade_id}; it counts as released")
        else:
            code, origin = cell.source, "given"
        code = _module_code(code)
        try:
            compile(code, f"{notebook}.ipynb [{cell.grade_id}]", "exec",
                    flags=__future__.annotations.compiler_flag, dont_inherit=True)
        except SyntaxError as error:
            notes.append(f"{notebook}.ipynb: cell {cell.grade_id} does not compile "
                         f"(line {error.lineno}: {error.msg}); it is left out")
            code = f"# left out: this cell does not compile (line {error.lineno}: {error.msg})"
        parts.append(f"# --- {notebook}.ipynb, cell {cell.grade_id} ({origin}) ---\n{code}")
    header = ['"""simpleautodiff, extracted from notebooks by adkit.intake.notebooks."""',
              "", "from __future__ import annotations", ""]
    header += [f"# NOTE: {note}" for note in notes]
    return "\n".join(header) + "\n\n" + "\n\n\n".join(parts) + "\n"


def extract_package(notebooks: list[Path], dest: Path) -> Path:
    """Write the student's code as `dest/simpleautodiff/__init__.py`; return `dest`.

    Raises SubmissionError when the notebooks hold none of the course's answer cells.
    """
    dest = Path(dest)
    package = dest / "simpleautodiff"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(package_source([Path(p) for p in notebooks]),
                                         encoding="utf-8")
    return dest
