"""OUT/moodle-grades.csv (the `moodle` step): the final grades as the Moodle assignment's
offline grading worksheet, for a course file with a [moodle] table; and, when that
worksheet lists e-mail addresses and [moodle] grade_item is set, OUT/moodle-gradebook.csv
for the gradebook's "Import grades from CSV".

Why the worksheet: the number in a Moodle bulk download's names (`Jane Doe_4711_
assignsubmission_file_`) is the assignment's participant id, which only the assignment's
worksheet knows ("Participant 4711"); the gradebook's CSV import identifies users by user
id, username, ID number or e-mail address instead (Moodle's grade/import/csv/classes/
load_data.php, map_user_data_with_value; https://docs.huihoo.com/phpdoc/moodle/2.8/xref/
grade/import/csv/classes/load_data.php.html; mapping "Email address" to "Email address" as
https://github.com/aaronsamuel137/moodle-autograder does). The worksheet's importer (Moodle's
mod/assign/feedback/offline/importgradeslib.php) needs three columns, by their English
names: `Identifier` ("Participant 4711": the number after the words is the participant
id), `Grade` and `Last modified (grade)` (an empty cell: no check of newer grades); it
matches the others (Full name, Email address, Status, Maximum Grade, ...) by name too and
ignores those it does not know. Upload it at the assignment: View all submissions,
Grading action, Upload grading worksheet (Moodle Docs, "Assignment settings": offline
grading worksheet).

Given the worksheet Moodle wrote ([moodle] worksheet: "Download grading worksheet"), its
Grade cells are filled in for our students and every other cell is kept; otherwise a
minimal worksheet is written.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from adkit.model.text import shown
from adkit.outputs.atomic import write_atomic
from adkit.outputs.canvas import LMS_ID, cell, finals, say
from adkit.outputs.cohort import Cohort
from adkit.outputs.course import Moodle
from adkit.outputs.result import points
from adkit.outputs.tables import PolicyError, read_cells, where

NAME = "moodle-grades.csv"
GRADEBOOK = "moodle-gradebook.csv"
HEADER = ["Identifier", "Full name", "Grade", "Maximum Grade", "Last modified (grade)"]
PARTICIPANT = re.compile(r".*?(\d+)\s*")  # "Participant 4711", in any language


def minimal(grades: dict[str, tuple[str, str]], most: float) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for number, (sid, grade) in grades.items():
        name = cell(LMS_ID.fullmatch(sid)["name"])  # type: ignore[index]
        writer.writerow([f"Participant {number}", name, grade, str(points(most)), ""])
    return buffer.getvalue()


def filled(moodle: Moodle, grades: dict[str, tuple[str, str]],
           ) -> tuple[str, dict[str, str]]:
    """The worksheet Moodle wrote with our students' Grade cells filled in, and their
    e-mail addresses (participant number -> address) where it lists them."""
    path = moodle.worksheet
    assert path is not None
    rows = read_cells(path)
    header = [h.strip() for h in rows[0]] if rows else []
    for needed in ("Identifier", "Grade"):
        if needed not in header:
            raise PolicyError(f"{where(path, 1)}: no {needed} column: not a Moodle grading "
                              "worksheet in English; download it at the assignment (View all "
                              "submissions, Grading action, Download grading worksheet) with "
                              "the site's language set to English")
    at, grade_at = header.index("Identifier"), header.index("Grade")
    mail_at = header.index("Email address") if "Email address" in header else None
    seen, mails = set(), {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        row = row + [""] * (len(header) - len(row))
        found = PARTICIPANT.fullmatch(row[at])
        number = found[1] if found else None
        if number in grades:
            row[grade_at] = grades[number][1]
            seen.add(number)
            if mail_at is not None and row[mail_at].strip():
                mails[number] = row[mail_at].strip()
        writer.writerow(row)
    missing = [sid for number, (sid, _) in grades.items() if number not in seen]
    if missing:
        say(f"{len(missing)} student(s) not in the Moodle worksheet {path.name}, not in the "
            f"file: {', '.join(shown(s, 80, True) for s in missing[:10])}")
    return buffer.getvalue(), mails


def gradebook(item: str, grades: dict[str, tuple[str, str]], mails: dict[str, str]) -> str:
    """Moodle's "Import grades from CSV": users by e-mail address, one grade item column."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Email address", item])
    for number, (_, grade) in grades.items():
        if number in mails:
            writer.writerow([mails[number], grade])
    return buffer.getvalue()


def write(cohort: Cohort, out: Path) -> None:
    """The step: OUT/moodle-grades.csv (and moodle-gradebook.csv) with a [moodle] table,
    removed when the policy or the log failed."""
    course = cohort.policy.course if cohort.policy else None
    targets = (out / NAME, out / GRADEBOOK)
    if cohort.policy_problem or course is None or course.moodle is None:
        for target in targets:
            target.unlink(missing_ok=True)
        return
    grades = finals(cohort)
    most = max((r.max_total for r in cohort.results), default=0.0)
    mails: dict[str, str] = {}
    try:
        if course.moodle.worksheet:
            text, mails = filled(course.moodle, grades)
        else:
            text = minimal(grades, most)
    except PolicyError as error:
        cohort.policy_problem = str(error)
        say(shown(str(error), 2000, True))
        for target in targets:
            target.unlink(missing_ok=True)
        return
    write_atomic(targets[0], text)
    say(f"{targets[0]}: {len(grades)} grade(s) for Moodle (the assignment's Upload grading "
        "worksheet; docs/policy.md)")
    if course.moodle.grade_item and mails:
        write_atomic(targets[1], gradebook(course.moodle.grade_item, grades, mails))
    else:
        targets[1].unlink(missing_ok=True)
