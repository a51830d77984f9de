"""OUT/gradebook.csv: the contract's ten columns, one row per student; with a course policy
(docs/policy.md), four more after them: lateness (hours past the due date; empty when the
time handed in is not known), penalty (points taken off), override (points the TA's
overrides changed) and final (total - penalty + override, the grade that counts)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from adkit.model.rubric import TASKS
from adkit.model.text import escape_controls
from adkit.outputs.atomic import write_atomic
from adkit.outputs.cohort import Cohort
from adkit.outputs.policy import Applied
from adkit.outputs.result import StudentResult, points

HEADER = ["student_id", *TASKS, "total", "max_total"]
POLICY_HEADER = ["lateness", "penalty", "override", "final"]


def row_of(result: StudentResult, applied: Applied | None = None) -> list[str | float | int]:
    """One student's cells, in HEADER's order (and POLICY_HEADER's, given `applied`)."""
    row = [escape_controls(result.student_id, keep_newlines=False),
           *(points(result.tasks.get(t, 0.0)) for t in TASKS), result.score,
           points(result.max_total)]
    if applied is not None:
        row += [applied.late_hours, points(applied.penalty), points(applied.override),
                points(applied.final)]
    return row


def gradebook(results: Sequence[StudentResult],
              applied: Mapping[str, Applied] | None = None) -> str:
    """gradebook.csv's text: the contract's header, one row per student in the order given;
    the policy's columns after them when `applied` is given (a course file is in use)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER + (POLICY_HEADER if applied is not None else []))
    for result in results:
        writer.writerow(row_of(result, None if applied is None
                               else applied[result.student_id]))
    return buffer.getvalue()


def write(cohort: Cohort, out: Path) -> None:
    """The step: OUT/gradebook.csv."""
    write_atomic(out / "gradebook.csv",
                 gradebook(cohort.results, cohort.applied if cohort.policy else None))
