"""OUT/grade-log.csv (the `log` step): an append-only record of every change of a student's
final grade between publishes, with a course file in use.

One row per change: when (UTC), the student, the old and new final grade, why (first
publish, rubric change, regrade, late policy, override), and the parts the reason is read
from (raw score, late penalty in percent, override points, the rubric's fingerprint). A
publish that changes no final grade appends nothing. The log is only ever appended to: a
log that is not exactly what this step writes is refused, never rewritten or repaired.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from adkit.model.text import escape_controls, shown
from adkit.outputs.cohort import Cohort
from adkit.outputs.result import points

NAME = "grade-log.csv"
HEADER = ["time", "student_id", "old", "new", "reason", "raw", "penalty_percent", "override",
          "rubric_fingerprint"]
MOST_BYTES = 64 * 1024 * 1024


class DamagedLog(ValueError):
    """The log is not what this step writes: the message says where and what to do."""


def _number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def read_log(path: Path) -> dict[str, list[str]]:
    """Each student's last row of the log at `path` (none when there is no log)."""
    fix = (f"it is never rewritten: repair that line by hand, or move the file aside "
           f"(e.g. to {path.stem}.damaged.csv) and publish again to start a new log")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise DamagedLog(f"{path}: not a plain file (a link or a folder); {fix}")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MOST_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise DamagedLog(f"{path}: cannot be read ({error.strerror}); {fix}") from None
    if len(data) > MOST_BYTES:
        raise DamagedLog(f"{path}: larger than {MOST_BYTES // 2**20} MiB; {fix}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DamagedLog(f"{path}: not UTF-8 text; {fix}") from None
    if text and not text.endswith("\n"):
        raise DamagedLog(f"{path}:{text.count(chr(10)) + 1}: the last line is cut short "
                         f"(no end of line); {fix}")
    last: dict[str, list[str]] = {}
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            line = reader.line_num
            if line == 1:
                if row != HEADER:
                    raise DamagedLog(f"{path}:1: not the log's header ({','.join(HEADER)}); "
                                     f"{fix}")
                continue
            if len(row) != len(HEADER):
                raise DamagedLog(f"{path}:{line}: {len(row)} cells, not {len(HEADER)}; {fix}")
            try:
                datetime.fromisoformat(row[0])
            except ValueError:
                raise DamagedLog(f"{path}:{line}: {shown(row[0], 40, True)!r} is not a time; "
                                 f"{fix}") from None
            if not row[1] or any(_number(c) is None for c in (row[3], row[5])) or \
                    (row[2] and _number(row[2]) is None):
                raise DamagedLog(f"{path}:{line}: a student id or a grade is missing or not "
                                 f"a number; {fix}")
            last[row[1]] = row
    except csv.Error as error:
        raise DamagedLog(f"{path}:{reader.line_num}: not valid CSV ({error}); {fix}") from None
    return last


def _reason(before: list[str] | None, row: list[str]) -> str:
    if before is None:
        return "first publish"
    found = []
    if before[8] != row[8]:
        found.append("rubric change")
    elif _number(before[5]) != _number(row[5]):
        found.append("regrade")
    if _number(before[6]) != _number(row[6]):
        found.append("late policy")
    if _number(before[7]) != _number(row[7]):
        found.append("override")
    return " and ".join(found) or "regrade"


def changes(cohort: Cohort, last: dict[str, list[str]], now: datetime) -> list[list[str]]:
    """The log's new rows: one per student whose final grade is not the log's last."""
    rows = []
    for result in cohort.results:
        applied = cohort.applied.get(result.student_id)
        if applied is None:
            continue
        sid = escape_controls(result.student_id, keep_newlines=False)
        before = last.get(sid)
        new = str(points(applied.final))
        if before is not None and _number(before[3]) == _number(new):
            continue
        row = [now.isoformat(timespec="seconds"), sid, before[3] if before else "", new, "",
               str(points(applied.raw)), str(points(applied.penalty_percent)),
               str(points(applied.override)), escape_controls(result.fingerprint or "")]
        row[4] = _reason(before, row)
        rows.append(row)
    return rows


def write(cohort: Cohort, out: Path, now: datetime | None = None) -> None:
    """The step: append the changes of final grades to OUT/grade-log.csv (with a course
    file in use). A damaged log stops the LMS files of this publish (see `read_log`)."""
    if cohort.policy is None:
        return
    path = out / NAME
    try:
        if path.is_symlink():
            read_log(path)  # refused, with the message
        # O_APPEND: written at the end only; no link followed. The lock keeps two publishes
        # at once (make grade and make grades) from logging one change twice.
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    except DamagedLog as error:
        _refuse(cohort, str(error))
        return
    except OSError as error:
        _refuse(cohort, f"{path}: cannot be written ({error.strerror})")
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            last = read_log(path)
        except DamagedLog as error:
            _refuse(cohort, str(error))
            return
        rows = changes(cohort, last, now or datetime.now(UTC))
        if not rows:
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if os.fstat(fd).st_size == 0:
            writer.writerow(HEADER)
        writer.writerows(rows)
        data = buffer.getvalue().encode("utf-8")
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
        print(f"grade log: {len(rows)} change(s) of a final grade appended to {path}",
              file=sys.stderr)
    finally:
        os.close(fd)


def _refuse(cohort: Cohort, problem: str) -> None:
    cohort.policy_problem = problem
    print(f"grade log: {shown(problem, 2000, True)}", file=sys.stderr)
    print("no LMS file is written until the log is readable again", file=sys.stderr)
