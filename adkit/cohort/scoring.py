"""Scoring, in one place: a student's points from the graders' outcomes and the rubric.

Everything a student's code said (each test's message) and everything the intake said
about their files (the notes) enters the result here, capped and with its control
characters escaped (adkit/model/text.py): what is stored is already safe to show.
"""

from __future__ import annotations

from collections.abc import Sequence

from adkit.grade.plugin import Outcome
from adkit.model.rubric import TASKS, Rubric
from adkit.model.text import cap, escape_controls
from adkit.outputs.result import StudentResult, TestResult

MESSAGE_BYTES = 8 * 1024  # one test's message: what a student's code said can be anything
NOTE_BYTES = 16 * 1024  # the notes at the top of feedback.md
LEFT_OUT_NAMES = 5  # refused files named in the result (feedback's notes name them all)
LEFT_OUT_BYTES = 200


def said(text: object, most: int) -> str:
    """Student-derived `text` as stored: controls escaped, at most `most` bytes (a cut is
    noted). Escaping can make text longer, so it is capped before and after."""
    return cap(escape_controls(cap(text, 4 * most)), most, note=True)


def score(student_id: str, rubric: Rubric, outcomes: dict[tuple[str, str], Outcome], *,
          seed: int | None = None, fingerprint: str | None = None, seconds: float = 0.0,
          sandbox: str | None = None, isolated: bool | None = None,
          left_out: Sequence[str] | None = None, notes: Sequence[str] = ()) -> StudentResult:
    """One student's result: each rubric test scored by its outcome (a missing outcome is a
    grader error), points summed per task."""
    tests = []
    per_task = dict.fromkeys(TASKS, 0.0)
    grader_error = False
    for (task, name), rule in rubric.tests.items():
        outcome = outcomes.get((task, name))
        if outcome is None:
            outcome = Outcome(0.0, "grader error: this test did not run", grader_error=True)
        grader_error = grader_error or outcome.grader_error
        earned = rule.points * max(0.0, min(1.0, outcome.fraction))
        per_task[task] += earned
        tests.append(TestResult(
            task=task, name=f"{task}: {name.removeprefix('test_').replace('_', ' ')}",
            score=earned, max_score=rule.points, output=said(outcome.message or "",
                                                               MESSAGE_BYTES),
            visibility=rule.visibility, passed=outcome.fraction >= 1.0))
    return StudentResult(
        student_id=student_id, tests=tests, tasks=per_task, total=sum(per_task.values()),
        max_total=rubric.total, grader_error=grader_error, seed=seed, fingerprint=fingerprint,
        seconds=seconds, sandbox=sandbox, isolated=isolated,
        left_out=None if left_out is None else
        [said(x, LEFT_OUT_BYTES) for x in left_out[:LEFT_OUT_NAMES]],
        left_out_count=None if left_out is None else len(left_out),
        notes=[said(n, NOTE_BYTES) for n in notes])
