"""OUT/canvas-grades.csv (the `canvas` step): the final grades as a Canvas gradebook import,
for a course file with a [canvas] table.

Canvas's format (the Canvas Instructor Guide's "How do I import grades in the Gradebook?",
as summarised by Ohio State, https://teaching.resources.osu.edu/toolsets/carmencanvas/
guides/calculating-final-grades/import-csv-file-carmen-grades, and VCU,
https://ts.vcu.edu/askit/teaching-and-learning/canvas/faculty/grading-faculty/
gradebook-action-menu-faculty/ : read-only columns of the export are ignored on import):
the header `Student,ID,SIS User ID,SIS Login ID,Section` then one column per assignment,
named `Assignment Name (assignment id)`; a second row `Points Possible` (Canvas's own
export writes it indented, `    Points Possible`, and its importer skips it); then one row
per student. Canvas matches a row by ID, its user id; a cell that did not change is not
imported, and a column without an id would create a new assignment.

A student's Canvas user id is the number at the end of their id, from Canvas's bulk
download (`smithjohn_12345_...` -> `smithjohn_12345` -> 12345, adkit/intake/lms.py).
Given Canvas's own gradebook export ([canvas] export), its rows are filled in (the safest
import: the LMS's own file with one column filled); otherwise a minimal file is written.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

from adkit.model.text import escape_controls, shown
from adkit.outputs.atomic import write_atomic
from adkit.outputs.cohort import Cohort
from adkit.outputs.course import Canvas
from adkit.outputs.result import points
from adkit.outputs.tables import PolicyError, read_cells, where

NAME = "canvas-grades.csv"
IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_ROW = "    Points Possible"
LMS_ID = re.compile(r"(?P<name>.+)_(?P<number>\d{1,19})")


def lms_number(student_id: str) -> str | None:
    """The LMS's number in a bulk download's student id (`smithjohn_12345` -> `12345`)."""
    found = LMS_ID.fullmatch(student_id)
    return found["number"] if found else None


def finals(cohort: Cohort) -> dict[str, tuple[str, str]]:
    """LMS number -> (student id, final grade as written) for every graded student whose
    id carries one; the others are said on stderr (they cannot be matched)."""
    found, unmatched = {}, []
    for result in cohort.results:
        applied = cohort.applied.get(result.student_id)
        number = lms_number(result.student_id)
        if applied is None:
            continue
        if number is None:
            unmatched.append(result.student_id)
            continue
        found[number] = (result.student_id, str(points(applied.final)))
    if unmatched:
        say(f"{len(unmatched)} student id(s) without an LMS number, not in the file: "
            + ", ".join(shown(s, 80, True) for s in unmatched[:10]))
    return found


def say(text: str) -> None:
    print(f"canvas/moodle grades: {text}", file=sys.stderr)


def minimal(canvas: Canvas, grades: dict[str, tuple[str, str]], most: float) -> str:
    """The smallest file Canvas imports: identity columns, the assignment's, points."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*IDENTITY, column(canvas)])
    writer.writerow([POINTS_ROW, "", "", "", "", str(points(most))])
    for number, (sid, grade) in grades.items():
        name = cell(LMS_ID.fullmatch(sid)["name"])  # type: ignore[index]
        writer.writerow([name, number, "", "", "", grade])
    return buffer.getvalue()


def cell(text: str) -> str:
    """A name for a spreadsheet: one line, and never read as a formula (`=`, `+`, `-`, `@`)."""
    text = escape_controls(text, keep_newlines=False)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def column(canvas: Canvas) -> str:
    return f"{canvas.assignment} ({canvas.assignment_id})"


def filled(canvas: Canvas, grades: dict[str, tuple[str, str]], most: float) -> str:
    """Canvas's own export with the assignment's column filled in for our students; its
    identity columns and that column only, every row kept as Canvas wrote it."""
    path = canvas.export
    assert path is not None
    rows = read_cells(path)
    if not rows or "ID" not in rows[0] or "Student" not in rows[0]:
        raise PolicyError(f"{where(path, 1)}: not a Canvas gradebook export (its first line "
                          "has no Student and ID columns); download it from Canvas: Grades, "
                          "Export, Export Entire Gradebook")
    header = rows[0]
    suffix = f"({canvas.assignment_id})"
    target = [i for i, name in enumerate(header) if name.strip().endswith(suffix)]
    if not target:
        shown_names = ", ".join(shown(h, 60, True) for h in header if h.strip().endswith(")"))
        raise PolicyError(f"{where(path, 1)}: no column for assignment id "
                          f"{canvas.assignment_id}; its assignment columns: "
                          f"{shown_names or 'none'}; set [canvas] assignment_id to one of them")
    keep = [header.index(c) for c in IDENTITY if c in header]
    last = max(keep)
    keep = list(range(last + 1)) + target[:1]  # Canvas's identity columns, then ours
    id_at, at = header.index("ID"), target[0]
    seen = set()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for line, row in enumerate(rows, 1):
        row = row + [""] * (len(header) - len(row))
        number = row[id_at].strip()
        if line > 1 and row[0].strip() == "Points Possible" and row[at].strip():
            worth = _float(row[at])
            if worth is not None and abs(worth - most) > 1e-9:
                say(f"the Canvas assignment is worth {row[at].strip()} points, the rubric "
                    f"{points(most)}: Canvas imports points as they are; check before "
                    "importing")
        if line > 1 and number in grades:
            row[at] = grades[number][1]
            seen.add(number)
        writer.writerow([row[i] for i in keep])
    missing = [sid for number, (sid, _) in grades.items() if number not in seen]
    if missing:
        say(f"{len(missing)} student(s) not in the Canvas export {path.name}, not in the "
            f"file: {', '.join(shown(s, 80, True) for s in missing[:10])}")
    return buffer.getvalue()


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def write(cohort: Cohort, out: Path) -> None:
    """The step: OUT/canvas-grades.csv with a [canvas] table, removed when the policy or
    the log failed (a stale file would hold grades that are no longer so)."""
    course = cohort.policy.course if cohort.policy else None
    target = out / NAME
    if cohort.policy_problem or course is None or course.canvas is None:
        target.unlink(missing_ok=True)
        return
    grades = finals(cohort)
    most = max((r.max_total for r in cohort.results), default=0.0)
    try:
        text = filled(course.canvas, grades, most) if course.canvas.export \
            else minimal(course.canvas, grades, most)
    except PolicyError as error:
        cohort.policy_problem = str(error)
        say(shown(str(error), 2000, True))
        target.unlink(missing_ok=True)
        return
    write_atomic(target, text)
    say(f"{target}: {len(grades)} grade(s) for Canvas (Grades, Import; docs/policy.md)")
