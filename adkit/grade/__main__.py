"""`python -m adkit.grade SUBMISSIONS --out OUT [--jobs N] [--force] [--only ID ...]`."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from adkit.grade import runner
from adkit.grade.rubric import DEFAULT_RUBRIC, Rubric, RubricError, load_rubric
from adkit.intake.submissions import Submission, find_submissions
from adkit.outputs import files as outputs
from adkit.outputs.report import report_html

EXIT_USAGE = 2

_RUBRIC: Rubric | None = None
_OUT: Path | None = None


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m adkit.grade",
        description="Grade every student folder in SUBMISSIONS into OUT.")
    parser.add_argument("submissions", type=Path, help="folder of student folders")
    parser.add_argument("--out", type=Path, default=Path("grades"), help="where grades go")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="students graded at once (default: the number of cores)")
    parser.add_argument("--force", action="store_true",
                        help="regrade students whose results are already up to date")
    parser.add_argument("--only", nargs="+", metavar="ID", help="grade only these students")
    parser.add_argument("--rubric", type=Path, default=DEFAULT_RUBRIC, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _fail(message: str) -> int:
    print(f"adkit.grade: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _init_worker(rubric: Rubric, out: Path) -> None:
    global _RUBRIC, _OUT  # one pool worker process: its settings, set once
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    _RUBRIC, _OUT = rubric, out


def _grade_one(submission: Submission) -> dict[str, Any]:
    assert _RUBRIC is not None and _OUT is not None
    try:
        data = runner.grade(submission, _OUT, _RUBRIC)
    except Exception as error:  # a bug of the grader: this student only, the others go on
        data = runner.grader_error(submission, _OUT, _RUBRIC, error)
    return outputs.row_of(data) | {"seconds": data["extra_data"]["seconds"],
                                   "grader_error": data["extra_data"]["grader_error"]}


class Progress:
    """A progress bar on a terminal; one line per finished student otherwise."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()

    def step(self, row: dict[str, Any]) -> None:
        self.done += 1
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            elapsed = time.monotonic() - self.started
            print(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                  f"students ({elapsed:.0f} s) {row['student_id'][:20]:<20}",
                  end="", file=sys.stderr, flush=True)
            if self.done == self.total:
                print(file=sys.stderr)
        else:
            flag = "  GRADER ERROR" if row["grader_error"] else ""
            print(f"[{self.done}/{self.total}] {row['student_id']}: {row['total']}/"
                  f"{row['max_total']} ({row['seconds']:.1f} s){flag}", file=sys.stderr,
                  flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    submissions_dir, out = args.submissions, args.out
    if not submissions_dir.is_dir():
        return _fail(f"submissions folder {submissions_dir} does not exist (give the folder "
                     "that holds one folder per student)")
    if out.resolve().is_relative_to(submissions_dir.resolve()):
        return _fail(f"--out {out} is inside the submissions folder {submissions_dir}; "
                     "choose a folder outside it")
    if args.jobs < 1:
        return _fail("--jobs must be at least 1")
    try:
        rubric = load_rubric(args.rubric)
    except RubricError as error:
        return _fail(str(error))
    everyone = find_submissions(submissions_dir)
    if not everyone:
        return _fail(f"no student folders in {submissions_dir}")
    chosen = everyone
    if args.only:
        known = {s.student_id for s in everyone}
        unknown = [i for i in args.only if i not in known]
        if unknown:
            return _fail(f"--only: no student folder named {', '.join(unknown)} in "
                         f"{submissions_dir}")
        chosen = [s for s in everyone if s.student_id in set(args.only)]

    from adkit.sandbox import available_mode

    mode, reason = available_mode()
    if mode == "bubblewrap":
        print("sandbox: bubblewrap", file=sys.stderr)
    else:
        print(f"sandbox: plain child process with resource limits ({reason})", file=sys.stderr)

    out.mkdir(parents=True, exist_ok=True)
    for leftover in [*out.glob(".*.tmp"), *out.glob("*/.*.tmp")]:
        leftover.unlink(missing_ok=True)  # from a run killed without a chance to clean up
    changed = runner.newest(runner.grader_files())
    todo = [s for s in chosen
            if args.force or not runner.is_current(s, out, rubric, changed)]
    skipped = len(chosen) - len(todo)
    if skipped:
        print(f"{skipped} student(s) already graded and unchanged (--force regrades them)",
              file=sys.stderr)
    rows = _grade_all(todo, out, rubric, args.jobs)
    if rows is None:
        print("interrupted: finished students are saved; run the same command again to "
              "grade the rest", file=sys.stderr)
        return 130
    return _finish(everyone, out, rubric, rows)


def _grade_all(todo: list[Submission], out: Path, rubric: Rubric,
               jobs: int) -> list[dict[str, Any]] | None:
    """Grade in parallel; None when interrupted (SIGINT or SIGTERM)."""
    rows: list[dict[str, Any]] = []
    if not todo:
        return rows
    progress = Progress(len(todo))
    context = multiprocessing.get_context("fork")
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    pool = context.Pool(min(jobs, len(todo)), _init_worker, (rubric, out))
    try:
        for row in pool.imap_unordered(_grade_one, todo):
            rows.append(row)
            progress.step(row)
        pool.close()
    except KeyboardInterrupt:
        pool.terminate()
        pool.join()
        return None
    finally:
        signal.signal(signal.SIGTERM, previous)
    pool.join()
    return rows


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _finish(everyone: list[Submission], out: Path, rubric: Rubric,
            rows: list[dict[str, Any]]) -> int:
    """Rewrite the gradebook and the report from every student's results; summarise."""
    results = []
    missing = []
    for s in everyone:
        data = outputs.read_results(out / s.student_id / "results.json")
        if data is None:
            missing.append(s.student_id)
        else:
            results.append(data)
    outputs.write_atomic(out / "gradebook.csv",
                         outputs.gradebook([outputs.row_of(r) for r in results]))
    outputs.write_atomic(out / "report.html", report_html(results))
    seconds = sum(r["seconds"] for r in rows)
    if rows:
        print(f"graded {len(rows)} student(s): {seconds:.1f} s of grading, "
              f"{seconds / len(rows):.2f} s per student", file=sys.stderr)
    print(f"results: {out / 'gradebook.csv'}, {out / 'report.html'}, "
          f"{out}/<student>/feedback.md and results.json", file=sys.stderr)
    errors = [r["extra_data"]["student_id"] for r in results if r["extra_data"]["grader_error"]]
    if missing:
        print(f"not graded (run again): {', '.join(missing)}", file=sys.stderr)
    if errors:
        print(f"GRADER ERROR for {len(errors)} student(s): {', '.join(errors)}; see their "
              "feedback.md; the other students are graded", file=sys.stderr)
    return 1 if errors or missing else 0


if __name__ == "__main__":
    sys.exit(main())
