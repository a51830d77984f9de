"""The course chores that need more than one nbgrader command: `make course-autograde`
and `make course-crosscheck` (docs/course.md).

    python -m adkit.platforms.course_chores autograde --course-dir assignments [--force] [--strict]
    python -m adkit.platforms.course_chores crosscheck --course-dir assignments --out OUT

`autograde` runs `nbgrader autograde`, which goes on after a student's kernel dies but
then exits non-zero; it always finishes with a table of every submission: graded (with
its score) or not graded, and why. `crosscheck` grades the same submitted notebooks with
the kit's sandboxed graders (`python -m adkit.grade`) and lists every student whose two
scores differ by more than a point: in-kernel tests can be fooled, the sandbox is the
score that counts.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ASSIGNMENT = "autodiff"
TOLERANCE = 1.0  # points
# What nbgrader's log says when it gives up on one student's submission; the traceback
# (with the cause) follows it.
GAVE_UP = re.compile(r"There was an error processing assignment: (?P<path>\S+)")
CAUSES = ("DeadKernelError", "CellTimeoutError", "UnresponsiveKernelError", "TimeoutError")


def _nbgrader(course_dir: Path, *args: str, log: Path | None = None) -> int:
    """Run one nbgrader command in the course directory; stream and (optionally) log it."""
    command = [sys.executable, "-m", "nbgrader", *args]
    print("$ nbgrader " + " ".join(args), flush=True)
    # nbgrader runs `alembic` from PATH: the one beside this Python comes first.
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                                  os.environ.get("PATH", "")])}
    with subprocess.Popen(command, cwd=course_dir, stdout=subprocess.PIPE, env=env,
                          stderr=subprocess.STDOUT, text=True) as process:
        handle = log.open("w", encoding="utf-8") if log else None
        try:
            for line in process.stdout:
                sys.stdout.write(line)
                if handle:
                    handle.write(line)
        finally:
            if handle:
                handle.close()
    return process.returncode


def submitted_students(course_dir: Path, assignment: str) -> list[str]:
    root = course_dir / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())


def nbgrader_scores(course_dir: Path, assignment: str, out: Path) -> dict[str, tuple[float, float]]:
    """Each student's (score, max_score) from `nbgrader export`, written to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if _nbgrader(course_dir, "export", f"--to={out}") != 0 or not out.is_file():
        raise RuntimeError(f"`nbgrader export` failed in {course_dir}; see its output above")
    scores = {}
    with out.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["assignment"] == assignment:
                scores[row["student_id"]] = (float(row["score"]), float(row["max_score"]))
    return scores


def _failure_causes(log: str) -> dict[str, str]:
    """Student id -> the cause nbgrader's log gives for not grading them."""
    causes: dict[str, str] = {}
    matches = list(GAVE_UP.finditer(log))
    for i, match in enumerate(matches):
        # the lines since the previous failure, and this failure's traceback
        chunk = log[matches[i - 1].end() if i else 0:
                    matches[i + 1].start() if i + 1 < len(matches) else len(log)]
        cause = next((c for c in CAUSES if c in chunk), "an error (see the log)")
        student = Path(match["path"].rstrip("/")).parent.name
        causes[student] = "the kernel died" if cause == "DeadKernelError" else cause
    return causes


def autograde(course_dir: Path, assignment: str, force: bool, strict: bool) -> int:
    logs = course_dir / "logs"
    logs.mkdir(exist_ok=True)
    log = logs / "autograde.log"
    args = ["autograde", assignment] + (["--force"] if force else [])
    status = _nbgrader(course_dir, *args, log=log)
    causes = _failure_causes(log.read_text(encoding="utf-8"))
    students = submitted_students(course_dir, assignment)
    scores = nbgrader_scores(course_dir, assignment, logs / "autograde_scores.csv")
    failed = []
    print(f"\nautograde of {assignment}: {len(students)} submission(s)")
    for student in students:
        graded = (course_dir / "autograded" / student / assignment).is_dir()
        if graded and student not in causes:
            score, top = scores.get(student, (0.0, 0.0))
            print(f"  {student:<20} graded      {score:g} / {top:g}")
        else:
            failed.append(student)
            why = causes.get(student, "not graded")
            print(f"  {student:<20} NOT GRADED  {why}")
    if failed:
        print(f"\n{len(failed)} submission(s) not graded: {', '.join(failed)}. nbgrader exited "
              f"with status {status}; the others are graded. See {log}; after a fix, rerun "
              "`make course-autograde` (it grades only what is not graded yet).")
    elif status != 0:
        print(f"\nnbgrader exited with status {status}; see {log}")
    return 1 if strict and (failed or status != 0) else 0


def _grader_ready() -> bool:
    return importlib.util.find_spec("adkit.grade.__main__") is not None


def crosscheck(course_dir: Path, assignment: str, out: Path) -> int:
    """Grade the submitted notebooks in the sandbox; report disagreements with nbgrader."""
    if not _grader_ready():
        print("crosscheck needs the kit's graders (`python -m adkit.grade`), which are not "
              "installed here", file=sys.stderr)
        return 2
    students = submitted_students(course_dir, assignment)
    if not students:
        print(f"no submissions in {course_dir / 'submitted'}: run `make course-collect` first",
              file=sys.stderr)
        return 2
    staged = out / "submissions"
    shutil.rmtree(staged, ignore_errors=True)
    for student in students:  # SUBMISSIONS/<student_id>/*.ipynb, the graders' layout
        (staged / student).mkdir(parents=True)
        for notebook in sorted((course_dir / "submitted" / student / assignment).glob("*.ipynb")):
            shutil.copy(notebook, staged / student / notebook.name)
    sandboxed = out / "sandboxed"
    print(f"$ python -m adkit.grade {staged} --out {sandboxed}", flush=True)
    run = subprocess.run([sys.executable, "-m", "adkit.grade", str(staged), "--out",
                          str(sandboxed)], cwd=Path(__file__).resolve().parents[2])
    book = sandboxed / "gradebook.csv"
    if not book.is_file():
        print(f"the sandboxed graders wrote no {book} (exit status {run.returncode})",
              file=sys.stderr)
        return 2
    with book.open(encoding="utf-8") as handle:
        kit = {row["student_id"]: (float(row["total"]), float(row["max_total"]))
               for row in csv.DictReader(handle)}
    nb = nbgrader_scores(course_dir, assignment, out / "nbgrader_grades.csv")
    rows, disagree = [], []
    for student in students:
        kit_score, kit_max = kit.get(student, (0.0, 0.0))
        nb_score, nb_max = nb.get(student, (0.0, 0.0))
        scaled = nb_score * kit_max / nb_max if nb_max and kit_max else nb_score
        difference = round(scaled - kit_score, 2)
        agree = abs(difference) <= TOLERANCE
        rows.append([student, f"{scaled:g}", f"{kit_score:g}", f"{difference:g}",
                     "yes" if agree else "NO"])
        if not agree:
            disagree.append(student)
    with (out / "crosscheck.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "nbgrader", "sandboxed", "difference", "agree"])
        writer.writerows(rows)
    print(f"\n{'student':<20} {'nbgrader':>9} {'sandboxed':>9} {'diff':>7}")
    for student, scaled, kit_score, difference, _ in rows:
        flag = "  <-- disagree" if student in disagree else ""
        print(f"{student:<20} {scaled:>9} {kit_score:>9} {difference:>7}{flag}")
    if disagree:
        print(f"\n{len(disagree)} student(s) whose nbgrader and sandboxed scores differ by more "
              f"than {TOLERANCE:g} point: {', '.join(disagree)}. The sandboxed score counts; "
              f"look at their notebooks (in-kernel tests can be fooled). Table: "
              f"{out / 'crosscheck.csv'}")
    else:
        print("\nnbgrader and the sandboxed graders agree on every student "
              f"({out / 'crosscheck.csv'})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chore", choices=("autograde", "crosscheck"))
    parser.add_argument("--course-dir", type=Path, default=Path("assignments"))
    parser.add_argument("--assignment", default=ASSIGNMENT)
    parser.add_argument("--out", type=Path, help="crosscheck: folder for its files")
    parser.add_argument("--force", action="store_true", help="autograde: regrade everything")
    parser.add_argument("--strict", action="store_true",
                        help="autograde: exit 1 when a submission could not be graded")
    args = parser.parse_args(argv)
    course_dir = args.course_dir.resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        print(f"{course_dir} is not a course directory (no nbgrader_config.py): run "
              "`make course-generate COURSE_DIR=...` first", file=sys.stderr)
        return 2
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    try:
        if args.chore == "autograde":
            return autograde(course_dir, args.assignment, args.force, args.strict)
        out = (args.out or course_dir / "reports" / "crosscheck").resolve()
        out.mkdir(parents=True, exist_ok=True)
        return crosscheck(course_dir, args.assignment, out)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
