"""The run's summary on the console (stderr): time spent, who needs a look, where the files
are. Every student-derived text is shown on one line with its controls escaped, so no
submission can move the cursor, clear or recolour a TA's terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from adkit.model.text import shown
from adkit.outputs.cohort import Cohort

WHY_BYTES = 160  # of each needs-attention line's reason (report.html has it whole)


def line(text: object, most: int = 200) -> str:
    """Student-derived `text` for one console line."""
    return shown(text, most, one_line=True)


def write(cohort: Cohort, out: Path, stream: TextIO | None = None) -> None:
    """The step: the summary, on `stream` (stderr)."""
    stream = stream or sys.stderr
    fresh = set(cohort.fresh)
    seconds = sum(r.seconds for r in cohort.results if r.student_id in fresh)
    if fresh:
        print(f"graded {len(fresh)} student(s): {seconds:.1f} s of grading, "
              f"{seconds / len(fresh):.2f} s per student", file=stream)
    found = [a for a in cohort.attention
             if a.kind not in ("grader error", "not graded", "not regraded")]
    if found:
        print(f"needs attention ({len({a.student_id for a in found})} student(s), see "
              "report.html):", file=stream)
    for a in found:
        print(f"  {line(a.student_id)}: {a.kind}: {line(a.why, WHY_BYTES)}", file=stream)
    print(f"results: {out / 'gradebook.csv'}, {out / 'report.html'}, "
          f"{out}/<student>/feedback.md and results.json", file=stream)
    errors = [line(r.student_id) for r in cohort.results if r.grader_error]
    if cohort.missing:
        print(f"not graded (run again): {', '.join(line(m) for m in cohort.missing)}",
              file=stream)
    if cohort.not_regraded:
        print(f"{len(cohort.not_regraded)} student(s) not regraded, an older result stands "
              "(run again)", file=stream)
    if errors:
        print(f"GRADER ERROR for {len(errors)} student(s): {', '.join(errors)}; see their "
              "feedback.md; the other students are graded", file=stream)
    entries = len(cohort.skipped) + len(cohort.others)
    if entries:
        print(f"{entries} entr{'y' if entries == 1 else 'ies'} of SUBMISSIONS not "
              "graded (see above and report.html)", file=stream)


def exit_status(cohort: Cohort) -> int:
    """0 when every student is graded; 1 when some are missing or met a grader error, or
    the course policy was refused (its grades and LMS files were not written)."""
    return 1 if cohort.missing or any(r.grader_error for r in cohort.results) \
        or cohort.policy_problem else 0
