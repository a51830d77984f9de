"""The course chores that need more than one nbgrader command: `make course-autograde`
and `make course-crosscheck` (docs/course.md).

    python -m adkit.platforms.course_chores seal --course-dir assignments
    python -m adkit.platforms.course_chores autograde --course-dir assignments [--force] [--strict]
    python -m adkit.platforms.course_chores crosscheck --course-dir assignments --out OUT
    python -m adkit.platforms.course_chores feedback-sandboxed --course-dir assignments --out OUT

Add `--trusted` (`make ... TRUSTED=1`) to run student code where no isolating sandbox runs;
every output then says so. `seal` (after `nbgrader collect`) records digests and a copy of
every submission (adkit/platforms/seal.py). `autograde` first checks that the sandbox runs
(else it stops, saying how to fix the machine), then runs `nbgrader autograde`, whose
cells run in that sandbox (adkit/platforms/sandboxed_cells.py); nbgrader goes on after a
student's worker dies but then exits non-zero; it always finishes with a table of every
submission: graded (with its score) or not graded, and why. `crosscheck` grades the
sealed notebooks with the kit's sandboxed graders (`python -m adkit.cohort`) and compares
task by task (adkit/platforms/crosscheck.py): students who score higher in their own
kernel, or whose submission changed after collection, are SUSPECT and listed first,
honest partial-credit differences apart. `feedback-sandboxed` releases the sandboxed
feedback through nbgrader's exchange (course_feedback.py).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from adkit.model.text import shown
from adkit.outputs.atomic import write_atomic
from adkit.outputs.result import read_results
from adkit.platforms import seal
from adkit.platforms.course_feedback import write_pages
from adkit.platforms.crosscheck import Comparison, compare, forged

ASSIGNMENT = "autodiff"
COURSE_ID = "adkit-autodiff"
# What nbgrader's log says when it gives up on one student's submission; the traceback
# (with the cause) follows it.
GAVE_UP = re.compile(r"There was an error processing assignment: (?P<path>\S+)")
CAUSES = ("DeadKernelError", "SandboxUnavailable", "CellTimeoutError",
          "UnresponsiveKernelError", "TimeoutError", "SandboxError")
UNTRUSTED = ("WARNING: TRUSTED=1: student code runs WITHOUT an isolating sandbox, with your "
             "rights; every output says so")


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
        # nbgrader logs the traceback after the line (the lines before it hold the
        # previous failure's): the cause is in it
        own = log[match.end():matches[i + 1].start() if i + 1 < len(matches) else len(log)]
        cause = next((c for c in CAUSES if c in own), "an error (see the log)")
        student = Path(match["path"].rstrip("/")).parent.name
        causes[student] = {"DeadKernelError": "the kernel died",
                           "SandboxUnavailable": "no sandbox",
                           "SandboxError": "the sandbox failed (a machine too busy?): grade "
                                           "again"}.get(cause, cause)
    return causes


def _db_url(course_dir: Path) -> str:
    return os.environ.get("ADKIT_COURSE_DB") or f"sqlite:///{course_dir / 'gradebook.db'}"


def check_sandbox(course_dir: Path) -> bool:
    """Whether the cells may run here (the backend said, and TRUSTED=1 warned about);
    else False, with what to do."""
    from adkit.platforms.sandboxed_cells import course_backend, secrets_of
    from adkit.sandbox import SandboxUnavailable

    try:
        backend = course_backend(secrets_of(str(course_dir), _db_url(course_dir)))
    except SandboxUnavailable as error:
        print(f"course-autograde: no sandbox, nothing graded: {error}", file=sys.stderr)
        return False
    print(f"sandbox: {backend.describe()}", flush=True)
    if not backend.isolating:
        print(UNTRUSTED, flush=True)
    return True


def autograde(course_dir: Path, assignment: str, force: bool, strict: bool) -> int:
    if not check_sandbox(course_dir):
        return 2
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
    return importlib.util.find_spec("adkit.cohort.__main__") is not None


def seal_chore(course_dir: Path, assignment: str) -> int:
    students = submitted_students(course_dir, assignment)
    seal.seal(course_dir, assignment, students)
    print(f"sealed {len(students)} submission(s) of {assignment} in "
          f"{course_dir / 'sealed' / assignment} (the crosscheck grades these copies)")
    return 0


def _sealed(course_dir: Path, assignment: str, students: list[str],
            ) -> tuple[dict[str, list[str]], dict[str, Path]]:
    """Per student, why their submission is not what was collected, and the folder of the
    notebooks to grade: the sealed copy (a student never sealed is sealed now, said so)."""
    book = seal.recorded(course_dir, assignment)
    late = [s for s in students if s not in book]
    if late:
        print(f"not sealed at collection (collected without `make course-collect`?), sealed "
              f"now: {', '.join(late)}", file=sys.stderr)
        book = seal.seal(course_dir, assignment, late)
    problems = {s: seal.changes(course_dir, assignment, s, book) for s in students}
    return problems, {s: seal.sealed_copy(course_dir, assignment, s) for s in students}


def _grade_sandboxed(course_dir: Path, assignment: str, out: Path,
                     trusted: bool = False) -> tuple[list[str], dict[str, list[str]]] | None:
    """Grade the sealed notebooks with `python -m adkit.cohort` into OUT/sandboxed (a rerun
    grades only what changed); the students and why any changed since collection, or None
    (said why) when it cannot."""
    if not _grader_ready():
        print("this needs the kit's graders (`python -m adkit.cohort`), which are not "
              "installed here", file=sys.stderr)
        return None
    students = submitted_students(course_dir, assignment)
    if not students:
        print(f"no submissions in {course_dir / 'submitted'}: run `make course-collect` first",
              file=sys.stderr)
        return None
    problems, sealed = _sealed(course_dir, assignment, students)
    staged = out / "submissions"
    shutil.rmtree(staged, ignore_errors=True)
    for student in students:  # SUBMISSIONS/<student_id>/*.ipynb, the graders' layout
        (staged / student).mkdir(parents=True)
        for notebook in sorted(sealed[student].glob("*.ipynb")):
            shutil.copyfile(notebook, staged / student / notebook.name)
    sandboxed = out / "sandboxed"
    trust = ["--trusted"] if trusted else []
    print(f"$ python -m adkit.cohort {staged} --out {sandboxed} {' '.join(trust)}", flush=True)
    run = subprocess.run([sys.executable, "-m", "adkit.cohort", str(staged), "--out",
                          str(sandboxed), *trust], cwd=Path(__file__).resolve().parents[2])
    if run.returncode == 2 or not (sandboxed / "gradebook.csv").is_file():
        print(f"the sandboxed graders did not grade (exit status {run.returncode}; see "
              "above); TRUSTED=1 grades without an isolating sandbox", file=sys.stderr)
        return None
    return students, problems


def kernel_cells(course_dir: Path, assignment: str, students: list[str],
                 ) -> dict[str, dict[str, tuple[float, float]] | None]:
    """Each student's in-kernel score per test cell {cell id: (score, max)} from nbgrader's
    database; None for a submission nbgrader did not grade (a dead kernel, say)."""
    from nbgrader.api import Gradebook, MissingEntry

    found: dict[str, dict[str, tuple[float, float]] | None] = {}
    with Gradebook(_db_url(course_dir), os.environ.get("ADKIT_COURSE_ID", COURSE_ID)) as book:
        notebooks = [nb.name for nb in book.find_assignment(assignment).notebooks]
        for student in students:
            cells: dict[str, tuple[float, float]] = {}
            graded = False
            for notebook in notebooks:
                try:
                    submission = book.find_submission_notebook(notebook, assignment, student)
                except MissingEntry:
                    continue
                for grade in submission.grades:
                    graded = graded or grade.auto_score is not None
                    cells[str(grade.name)] = (float(grade.score), float(grade.max_score))
            found[student] = cells if graded else None
    return found


def _sandboxed_tests(results: Path) -> list[dict]:
    """The tests of one student's sandboxed results.json (none if it is missing)."""
    data = read_results(results)
    return data["tests"] if data else []


def _expected_cells(course_dir: Path, assignment: str) -> dict[str, float]:
    """The assignment's test cells and their points, from nbgrader's database."""
    from nbgrader.api import Gradebook

    with Gradebook(_db_url(course_dir), os.environ.get("ADKIT_COURSE_ID", COURSE_ID)) as book:
        return {str(cell.name): float(cell.max_score)
                for notebook in book.find_assignment(assignment).notebooks
                for cell in notebook.grade_cells}


def crosscheck(course_dir: Path, assignment: str, out: Path, trusted: bool = False) -> int:
    """Grade the sealed notebooks in the sandbox; compare with nbgrader task by task."""
    graded = _grade_sandboxed(course_dir, assignment, out, trusted)
    if graded is None:
        return 2
    students, problems = graded
    cells = kernel_cells(course_dir, assignment, students)
    expected = _expected_cells(course_dir, assignment)
    for student in students:
        problems[student] += forged(cells.get(student) or {}, expected)
    rows = sorted((compare(s, cells.get(s), _sandboxed_tests(out / "sandboxed" / s /
                                                              "results.json"), problems[s])
                   for s in students), key=lambda c: c.rank)
    mark = "TRUSTED=1, no isolating sandbox: " if trusted else ""
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["student_id", "nbgrader", "sandboxed", "difference", "verdict", "why"])
    for c in rows:
        kernel = "" if c.kernel is None else f"{c.kernel:g}"
        difference = "" if c.kernel is None else f"{c.kernel - c.sandboxed:+.2f}"
        writer.writerow([shown(c.student_id, 200, one_line=True), kernel, f"{c.sandboxed:g}",
                         difference, c.verdict,
                         mark + shown("; ".join(c.reasons), 2000, one_line=True)])
    write_atomic(out / "crosscheck.csv", table.getvalue())
    if trusted:
        print(UNTRUSTED)
    _print_crosscheck(rows, out / "crosscheck.csv")
    return 0


def _print_crosscheck(rows: list[Comparison], table: Path) -> None:
    print(f"\n{'student':<20} {'nbgrader':>9} {'sandboxed':>9}  verdict")
    for c in rows:
        kernel = "-" if c.kernel is None else f"{c.kernel:g}"
        name = shown(c.student_id, 200, one_line=True)
        print(f"{name:<20} {kernel:>9} {c.sandboxed:>9g}  {c.verdict}")
        for reason in c.reasons:
            print(f"{'':<22}{shown(reason, 1000, one_line=True)}")
    suspects = [c.student_id for c in rows if c.verdict == "SUSPECT"]
    if suspects:
        print(f"\nSUSPECT ({len(suspects)}): {', '.join(suspects)}: scored higher in their own "
              "kernel than in the sandbox, or changed after collection. Look at their "
              "notebooks (monkeypatched builtins, objects that equal anything); the sandboxed "
              "score of the sealed copy counts.")
    else:
        print("\nNo student scores higher in their kernel than in the sandbox.")
    honest = [c.student_id for c in rows if c.verdict == "honest difference"]
    if honest:
        print(f"Honest differences ({len(honest)}): {', '.join(honest)}: partial credit in the "
              "sandbox, all or nothing per test cell in nbgrader; the sandboxed score counts.")
    print(f"Table: {table}")


def feedback_sandboxed(course_dir: Path, assignment: str, out: Path, trusted: bool = False,
                       ) -> int:
    """Release each notebook student's sandboxed feedback through nbgrader's exchange."""
    graded = _grade_sandboxed(course_dir, assignment, out, trusted)
    if graded is None:
        return 2
    students, problems = graded
    for student, why in problems.items():
        if why:
            print(f"SUSPECT {student}: {shown('; '.join(why), 1000, one_line=True)}; their "
                  "feedback is of the sealed copy", file=sys.stderr)
    if trusted:
        print(UNTRUSTED)
    written, left = write_pages(course_dir, assignment, out / "sandboxed", students)
    for why in left:
        print(f"not released: {why}", file=sys.stderr)
    if not written:
        return 2
    status = _nbgrader(course_dir, "release_feedback", assignment)
    if status != 0:
        print(f"`nbgrader release_feedback` exited with status {status}", file=sys.stderr)
        return 2
    print(f"sandboxed feedback released for {len(written)} student(s); they fetch it with "
          f"`nbgrader fetch_feedback {assignment} --course COURSE --Exchange.root=EXCHANGE`")
    return 1 if left else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chore", choices=("seal", "autograde", "crosscheck",
                                          "feedback-sandboxed"))
    parser.add_argument("--course-dir", type=Path, default=Path("assignments"))
    parser.add_argument("--assignment", default=ASSIGNMENT)
    parser.add_argument("--out", type=Path,
                        help="crosscheck, feedback-sandboxed: folder for the sandboxed grades")
    parser.add_argument("--force", action="store_true", help="autograde: regrade everything")
    parser.add_argument("--strict", action="store_true",
                        help="autograde: exit 1 when a submission could not be graded")
    parser.add_argument("--trusted", action="store_true",
                        help="run student code even where no isolating sandbox runs (marked)")
    args = parser.parse_args(argv)
    course_dir = args.course_dir.resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        print(f"{course_dir} is not a course directory (no nbgrader_config.py): run "
              "`make course-generate COURSE_DIR=...` first", file=sys.stderr)
        return 2
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    if args.trusted:
        os.environ["ADKIT_TRUSTED"] = "1"  # nbgrader's SandboxedExecute reads it
    try:
        if args.chore == "seal":
            return seal_chore(course_dir, args.assignment)
        if args.chore == "autograde":
            return autograde(course_dir, args.assignment, args.force, args.strict)
        out = (args.out or course_dir / "reports" / "crosscheck").resolve()
        out.mkdir(parents=True, exist_ok=True)
        if args.chore == "feedback-sandboxed":
            return feedback_sandboxed(course_dir, args.assignment, out, args.trusted)
        return crosscheck(course_dir, args.assignment, out, args.trusted)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
