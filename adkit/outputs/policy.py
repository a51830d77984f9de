"""The course policy applied to the stored results (the `policy` step): each student's
lateness and penalty, extensions and overrides, and the final grade.

Raw scores stay as graded (results.json is never changed); the policy is applied whenever
the outputs are made, so a change of policy never regrades code. The order (docs/policy.md):

1. overrides of a test, then of a task, correct the raw score (a grading mistake);
2. the late penalty takes its percent of that corrected score;
3. overrides of the total come last: `points` sets the final grade, `adjustment` adds to it.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from adkit.model.text import shown
from adkit.outputs.cohort import Cohort
from adkit.outputs.course import Course, course_file, load_course
from adkit.outputs.result import StudentResult, points
from adkit.outputs.tables import (
    PolicyError,
    Row,
    close,
    duration,
    instant,
    local_time,
    number,
    read_rows,
    student_of,
    where,
)

TEXT_BYTES = 300  # a reason or a name in an override or an extension


@dataclass(frozen=True)
class Extension:
    due: datetime
    reason: str
    line: int


@dataclass(frozen=True)
class Override:
    """One row of the overrides CSV: `target` is `total`, a task, or a task's test (as
    feedback.md names it); exactly one of `points` (set) and `adjustment` (add)."""

    student: str
    target: str
    points: float | None
    adjustment: float | None
    reason: str
    by: str
    line: int

    def words(self, old: float) -> str:
        change = (f"set to {points(self.points)}" if self.points is not None
                  else f"{'+' if self.adjustment >= 0 else ''}{points(self.adjustment)}")
        return (f"{self.target}: {change} (was {points(old)}) by {self.by}: {self.reason}")


@dataclass
class Applied:
    """What the policy did to one student's grade."""

    raw: float  # as graded
    corrected: float  # after the overrides of tests and tasks
    final: float
    max_total: float
    submitted: datetime | None = None
    due: datetime | None = None
    late: timedelta | None = None  # past the due date (None: on time or not known)
    penalty_percent: float = 0.0
    penalty: float = 0.0  # points taken off
    lines: list[str] = field(default_factory=list)  # for feedback.md, in words
    unknown_time: bool = False  # a due date but no submission time

    @property
    def override(self) -> float:
        """Points the overrides changed in all (the tests', tasks' and total's)."""
        return self.final - self.raw + self.penalty

    @property
    def late_hours(self) -> float | str:
        if self.unknown_time:
            return ""
        return points(self.late.total_seconds() / 3600) if self.late else 0


@dataclass
class Policy:
    """The course file with its CSVs read, checked against the cohort's students."""

    course: Course
    extensions: dict[str, Extension]
    overrides: list[Override]
    times: dict[str, datetime]


def load_policy(path: Path, cohort: Cohort) -> Policy:
    """The course file at `path` and its CSVs; PolicyError says what is wrong where."""
    course = load_course(path)
    known = {r.student_id for r in cohort.results} | set(cohort.missing)
    tests = {t.name for r in cohort.results for t in r.tests}
    tasks = {t for r in cohort.results for t in r.tasks}
    extensions: dict[str, Extension] = {}
    if course.extensions:
        if course.due is None:
            raise PolicyError(f"{course.path}: extensions need a due date: add [due]")
        for row in read_rows(course.extensions, ("student", "reason"),
                             ("new_due", "extra_hours")):
            sid = _once(student_of(row, course.extensions, known), extensions,
                        course.extensions, row)
            extensions[sid] = _extension(course, row)
    overrides = []
    if course.overrides:
        for row in read_rows(course.overrides, ("student", "target", "reason", "by"),
                             ("points", "adjustment")):
            sid = student_of(row, course.overrides, known)
            overrides.append(_override(course.overrides, row, sid, tasks, tests))
    times: dict[str, datetime] = {}
    if course.submission_times:
        for row in read_rows(course.submission_times, ("student", "submitted_at")):
            sid = _once(student_of(row, course.submission_times, known), times,
                        course.submission_times, row)
            times[sid] = instant(row["submitted_at"], where(course.submission_times, row.line))
    return Policy(course, extensions, overrides, times)


def _once(sid: str, seen: Collection[str], path: Path, row: Row) -> str:
    if sid in seen:
        raise PolicyError(f"{where(path, row.line)}: a second row for {sid}; keep one")
    return sid


def _text(row: Row, column: str, path: Path) -> str:
    text = shown(row[column], TEXT_BYTES, one_line=True)
    if not text:
        raise PolicyError(f"{where(path, row.line)}: no {column}; every row says its {column}")
    return text


def _extension(course: Course, row: Row) -> Extension:
    path = course.extensions
    assert path is not None and course.due is not None and course.zone is not None
    new, hours = row["new_due"], row["extra_hours"]
    place = where(path, row.line)
    if bool(new) == bool(hours):
        raise PolicyError(f"{place}: write either new_due (2026-10-17 23:59) or extra_hours "
                          "(48), not both and not neither")
    if new:
        due = local_time(new, course.zone, place)
        if due <= course.due:
            raise PolicyError(f"{place}: new_due {new} is not after the course's due date "
                              f"({course.when(course.due)}); write a later date")
    else:
        extra = number(hours, path, row.line, "extra_hours", "48")
        if extra <= 0:
            raise PolicyError(f"{place}: extra_hours must be more than 0")
        due = course.due + timedelta(hours=extra)
    return Extension(due, _text(row, "reason", path), row.line)


def _override(path: Path, row: Row, sid: str, tasks: Collection[str],
              tests: Collection[str]) -> Override:
    place = where(path, row.line)
    target = row["target"]
    named = _test_name(target)
    if target != "total" and target not in tasks and named not in tests:
        raise PolicyError(f"{place}: no task or test {shown(target, 80, True)!r}"
                          f"{close(target, [*tasks, *tests])}; write total, a task "
                          f"({', '.join(tasks)}) or a test as feedback.md names it")
    given, adjust = row["points"], row["adjustment"]
    if bool(given) == bool(adjust):
        raise PolicyError(f"{place}: write either points (the new points) or adjustment "
                          "(+2 or -1.5), not both and not neither")
    value = number(given or adjust, path, row.line, "points" if given else "adjustment",
                   "18" if given else "+2")
    return Override(sid, target if target == "total" or target in tasks else named,
                    value if given else None, None if given else value,
                    _text(row, "reason", path), _text(row, "by", path), row.line)


def _test_name(target: str) -> str:
    """A test as feedback.md names it; `graph: test_paper_example` is taken too."""
    task, _, name = target.partition(":")
    name = name.strip()
    if name.startswith("test_"):
        name = name.removeprefix("test_").replace("_", " ")
    return f"{task.strip()}: {name}" if name else target


def apply(policy: Policy, result: StudentResult) -> Applied:
    """The policy applied to one student's stored result."""
    course = policy.course
    mine = [o for o in policy.overrides if o.student == result.student_id]
    lines: list[str] = []
    tests = {t.name: t.score for t in result.tests}
    worth = {t.name: t.max_score for t in result.tests}
    task_of = {t.name: t.task for t in result.tests}
    tasks = dict(result.tasks)
    task_worth = result.task_maxima()
    for o in (o for o in mine if o.target in tests):
        old = tests[o.target]
        tests[o.target] = _changed(o, old, worth[o.target], policy)
        task = task_of[o.target]
        tasks[task] = tasks[task] - old + tests[o.target]
        lines.append(f"Override of {o.words(old)}")
    for o in (o for o in mine if o.target in tasks):
        old = tasks[o.target]
        tasks[o.target] = _changed(o, old, float(task_worth[o.target]), policy)
        lines.append(f"Override of {o.words(old)}")
    corrected = sum(tasks.values()) if any(o.target != "total" for o in mine) \
        else result.total
    applied = Applied(result.total, corrected, corrected, result.max_total)
    if course.due is not None:
        _lateness(policy, result, applied)
    applied.final = corrected - applied.penalty
    for o in (o for o in mine if o.target == "total"):
        old = applied.final
        applied.final = _changed(o, old, None, policy, result.max_total)
        lines.append(f"Override of the {o.words(old)}")
    applied.lines += lines
    return applied


def _changed(o: Override, old: float, most: float | None, policy: Policy,
             total: float | None = None) -> float:
    """The points after override `o`; a result outside 0..`most` is refused."""
    new = o.points if o.points is not None else old + (o.adjustment or 0.0)
    top = most if most is not None else total
    path = policy.course.overrides
    if new < 0 or (most is not None and new > most + 1e-9) or \
            (o.points is not None and top is not None and new > top + 1e-9):
        raise PolicyError(f"{where(path, o.line) if path else ''}: {o.student}'s {o.target} "
                          f"would be {points(new)}, outside 0 to {points(top or 0)}; change "
                          "the points or the adjustment")
    return new


def _lateness(policy: Policy, result: StudentResult, applied: Applied) -> None:
    course = policy.course
    assert course.due is not None
    extension = policy.extensions.get(result.student_id)
    due = extension.due if extension else course.due
    applied.due = due
    deadline = (f"extension to {course.when(due)}: {extension.reason}" if extension
                else f"due {course.when(due)}")
    submitted = policy.times.get(result.student_id)
    if submitted is None and result.submitted_at:
        try:
            submitted = instant(result.submitted_at, "results.json")
        except PolicyError:
            submitted = None
    if submitted is None:
        applied.unknown_time = True
        marked = " (the LMS marked it late)" if result.marked_late else ""
        applied.lines.append(f"{deadline[0].upper()}{deadline[1:]}; the time you handed in "
                             f"is not known to the grader{marked}: no late penalty applied.")
        return
    applied.submitted = submitted
    late = submitted - due
    if late <= course.grace:
        grace = f", within the {duration(course.grace)} grace period" if late > timedelta(0) \
            else ""
        applied.lines.append(f"Handed in {course.when(submitted)}, on time ({deadline}"
                             f"{grace}).")
        return
    applied.late = late
    rule = course.late
    percent = rule.taken(late) if rule else 0.0
    applied.penalty_percent = percent
    applied.penalty = applied.corrected * percent / 100
    how = f": -{percent:g}% ({rule.words()}), -{points(applied.penalty)} points" if rule \
        else ": no late penalty in this course"
    applied.lines.append(f"Handed in {duration(late)} after the due date ({deadline}){how}.")


def write(cohort: Cohort, out: Path) -> None:
    """The step: read the course file (if any) and apply it to every stored result, for
    the steps after it (feedback, gradebook, log, LMS files, report). A wrong course file
    is said on stderr; the outputs are then made without the policy, and the LMS files
    of an earlier publish are removed (they would hold grades that are no longer so)."""
    path = course_file(cohort.policy_file)
    if path is None:
        return
    try:
        policy = load_policy(path, cohort)
        applied = {r.student_id: apply(policy, r) for r in cohort.results}
    except PolicyError as error:
        cohort.policy_problem = str(error)
        print(f"course policy: {shown(str(error), 2000, True)}", file=sys.stderr)
        print("the outputs are made WITHOUT the policy (raw scores, no LMS files); fix the "
              "file, then run `make grades OUT=...`", file=sys.stderr)
        return
    cohort.policy = policy
    cohort.applied = applied
    disagree = sorted(r.student_id for r in cohort.results if r.marked_late
                      and applied[r.student_id].submitted and not applied[r.student_id].late)
    if disagree:
        print(f"course policy: the LMS marked {len(disagree)} student(s) late whom the course "
              f"file finds on time ({', '.join(shown(s, 80, True) for s in disagree[:10])}): "
              "check [due] date and the extensions", file=sys.stderr)
    unknown = sorted(s for s, a in applied.items() if a.unknown_time)
    if unknown:
        shown_ids = ", ".join(shown(s, 80, True) for s in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        print(f"course policy: no submission time for {len(unknown)} student(s) "
              f"({shown_ids}{more}): no late penalty applied to them; give their times in "
              "the submission_times CSV (docs/policy.md)", file=sys.stderr)
