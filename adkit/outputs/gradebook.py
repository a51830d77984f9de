"""OUT/gradebook.csv: the contract's ten columns, one row per student."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from adkit.authoring.regions import TASKS
from adkit.model.text import escape_controls
from adkit.outputs.cohort import Cohort
from adkit.outputs.files import write_atomic
from adkit.outputs.result import StudentResult, points

HEADER = ["student_id", *TASKS, "total", "max_total"]


def row_of(result: StudentResult) -> list[str | float | int]:
    """One student's cells, in HEADER's order."""
    return [escape_controls(result.student_id, keep_newlines=False),
            *(points(result.tasks.get(t, 0.0)) for t in TASKS), result.score,
            points(result.max_total)]


def gradebook(results: Sequence[StudentResult]) -> str:
    """gradebook.csv's text: the contract's header, one row per student in the order given."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for result in results:
        writer.writerow(row_of(result))
    return buffer.getvalue()


def write(cohort: Cohort, out: Path) -> None:
    """The step: OUT/gradebook.csv."""
    write_atomic(out / "gradebook.csv", gradebook(cohort.results))
