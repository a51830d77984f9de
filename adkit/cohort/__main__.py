"""`python -m adkit.cohort SUBMISSIONS --out OUT [--jobs N] [--force] [--only ID ...]`

SUBMISSIONS is a folder (student folders, student archives, LMS bulk downloads, zipped or
unpacked) or one archive of the cohort. [--trusted] grades even where no isolating sandbox
runs (only code you trust). `make grade ONLY=id,prefix` is `--only id prefix --force`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adkit import sandbox
from adkit.cohort import runner
from adkit.cohort.jobs import JobPool, Stopped, stop_signals
from adkit.intake.archives import is_archive
from adkit.intake.submissions import Skipped, Submission, scan_submissions
from adkit.model.rubric import DEFAULT_RUBRIC, GRADERS, Rubric, RubricError, load_rubric
from adkit.model.text import shown
from adkit.outputs import console
from adkit.outputs.result import StudentResult, points, read_result
from adkit.outputs.steps import publish
from adkit.sandbox import Backend, SandboxUnavailable

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m adkit.cohort",
        description="Grade every student folder in SUBMISSIONS into OUT.")
    parser.add_argument("submissions", type=Path,
                        help="folder of student folders or archives, or the cohort's archive")
    parser.add_argument("--out", type=Path, default=Path("grades"), help="where grades go")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="students graded at once (default: the number of cores)")
    parser.add_argument("--force", action="store_true",
                        help="regrade students whose results are already up to date")
    parser.add_argument("--only", nargs="+", metavar="ID",
                        help="grade only these students: ids or their first letters, "
                             "separated by spaces or commas (with --force: regrade them)")
    parser.add_argument("--zip-timezone", metavar="ZONE",
                        default=os.environ.get("ADKIT_ZIP_TIMEZONE", "UTC"),
                        help="the time zone a bulk download's zip times are in (an IANA "
                             "name such as America/Chicago; default UTC, or "
                             "ADKIT_ZIP_TIMEZONE)")
    parser.add_argument("--trusted", action="store_true",
                        help="grade even when no isolating sandbox runs here (only for code "
                             "you trust: it runs with your rights)")
    parser.add_argument("--rubric", type=Path, default=DEFAULT_RUBRIC, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _fail(message: str) -> int:
    print(f"adkit.cohort: error: {message}", file=sys.stderr)
    return EXIT_USAGE


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
                  f"students ({elapsed:.0f} s) {shown(row['student_id'], 20, True):<20}",
                  end="", file=sys.stderr, flush=True)
            if self.done == self.total:
                print(file=sys.stderr)
        else:
            flag = "  GRADER ERROR" if row["grader_error"] else ""
            print(f"[{self.done}/{self.total}] {shown(row['student_id'], 200, True)}: "
                  f"{row['total']}/"
                  f"{row['max_total']} ({row['seconds']:.1f} s){flag}", file=sys.stderr,
                  flush=True)


def _check_folders(submissions: Path, out: Path, jobs: int) -> str | None:
    """What is wrong with the command line's folders and numbers, or None."""
    if submissions.is_file() and not is_archive(submissions.name):
        return (f"{submissions} is a file but not a zip or tar archive: give the folder of "
                "student folders, or the cohort's .zip/.tar(.gz) archive")
    if not submissions.exists():
        return (f"submissions {submissions} does not exist (give the folder that holds one "
                "folder or archive per student, or the cohort's archive)")
    if submissions.is_dir() and out.resolve().is_relative_to(submissions.resolve()):
        return (f"--out {out} is inside the submissions folder {submissions}; choose a "
                "folder outside it")
    if jobs < 1:
        return "--jobs must be at least 1"
    return None


def _zone(name: str) -> tzinfo | str:
    """The time zone named `name`, or what is wrong with it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return (f"--zip-timezone {shown(name, 60, True)} is not a time zone: give an IANA "
                "name such as UTC, Europe/Berlin or America/Chicago")


def _choose(everyone: list[Submission], only: list[str] | None, folder: Path,
            skipped: Sequence[Skipped] = ()) -> list[Submission] | str:
    """The students to grade, or what is wrong with --only (ONLY=): each word an id, or the
    first letters of exactly one id (ignoring case)."""
    if not only:
        return everyone
    words = [w for item in only for w in item.replace(",", " ").split()]
    if not words:
        return "ONLY= names no student: give an id or its first letters, e.g. ONLY=s2401"
    ids = [s.student_id for s in everyone]
    chosen: list[str] = []
    for word in words:
        found = [i for i in ids if i == word] or \
            [i for i in ids if i.lower().startswith(word.lower())]
        if len(found) > 1:
            return (f"ONLY={_said(word)} matches {len(found)} students "
                    f"({_listed(found)}): give more of the id")
        if not found:
            return _unknown(word, ids, skipped, folder)
        if found[0] not in chosen:
            chosen.append(found[0])
    return [s for s in everyone if s.student_id in chosen]


def _said(word: str) -> str:
    return shown(word, 60, True)


def _listed(ids: list[str], most: int = 8) -> str:
    more = f" and {len(ids) - most} more" if len(ids) > most else ""
    return ", ".join(shown(i, 60, True) for i in ids[:most]) + more


def _unknown(word: str, ids: list[str], skipped: Sequence[Skipped], folder: Path) -> str:
    """The one line for an ONLY= word that names no student."""
    entries = [s for s in skipped if s.name.rsplit("/", 1)[-1].lower().startswith(word.lower())]
    if entries:
        return (f"ONLY={_said(word)}: the entry {_said(entries[0].name)} is not graded: "
                f"{shown(entries[0].reason, 300, True)}")
    close = difflib.get_close_matches(word, ids, 3, 0.6) or \
        [i for i in ids if word.lower() in i.lower()][:3]
    hint = f"; did you mean {_listed(close)}?" if close else \
        f"; the ids are {_listed(ids, 5)}" if ids else ""
    return f"ONLY={_said(word)}: no student id starts with it in {folder}{hint}"


def _print_skipped(skipped: list[Skipped]) -> None:
    for entry in skipped:
        print(f"skipped {console.line(repr(entry.name))}: {console.line(entry.reason, 2000)}",
              file=sys.stderr)


def _sandbox(trusted: bool, secrets: list[Path]) -> Backend | None:
    """The sandbox backend to grade in, or None (the reason printed) when none may be used."""
    try:
        backend = sandbox.choose_backend(trusted)
        backend.check_secrets(secrets)
    except SandboxUnavailable as error:
        print(f"adkit.cohort: no sandbox: {error}", file=sys.stderr)
        return None
    print(f"sandbox: {backend.describe()}", file=sys.stderr)
    if not backend.isolating:
        print(f"WARNING: grading WITHOUT an isolating sandbox ({backend.name}, --trusted): "
              "student code runs with your rights; results.json, feedback.md and "
              "report.html say so", file=sys.stderr)
    return backend


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    submissions_dir, out = args.submissions, args.out
    problem = _check_folders(submissions_dir, out, args.jobs)
    if problem:
        return _fail(problem)
    try:
        rubric = load_rubric(args.rubric)
    except RubricError as error:
        return _fail(str(error))
    with _private_folder("adkit-unpacked-", 0o700) as unpacked:
        return _grade_cohort(args, rubric, unpacked)


def _grade_cohort(args: argparse.Namespace, rubric: Rubric, unpacked: Path) -> int:
    """Find the students (archives unpacked into `unpacked`), grade them, write the outputs."""
    submissions_dir, out = args.submissions, args.out
    zone = _zone(args.zip_timezone)
    if isinstance(zone, str):
        return _fail(zone)
    opened: list[str] = []
    everyone, skipped = scan_submissions(submissions_dir, unpacked, zone, opened)
    for line in opened:
        print(f"LMS bulk download {console.line(line)}", file=sys.stderr)
    _print_skipped(skipped)
    if not everyone:
        return _fail(f"no student folders or archives in {submissions_dir} (see the skipped "
                     "entries above, if any)")
    chosen = _choose(everyone, args.only, submissions_dir, skipped)
    if isinstance(chosen, str):
        return _fail(chosen)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    # Who this run sets out to grade (narrowed by _run to those not up to date): the report
    # and the interruption message count who it did not.
    wanted = [s.student_id for s in chosen]
    try:
        with stop_signals():
            code = _run(args, chosen, out, rubric, rows, wanted)
    except Stopped:
        code = EXIT_INTERRUPTED
    if code == EXIT_USAGE:
        return code
    with stop_signals(ignored=True):  # the gradebook is written even when told to stop
        finished = _finish(everyone, skipped, out, rows, code == EXIT_INTERRUPTED, wanted)
    if code == EXIT_INTERRUPTED:
        _interrupted(wanted, out, rows)
        return EXIT_INTERRUPTED
    print("to regrade one student: make grade ONLY=<id> (its first letters will do; "
          "or python -m adkit.cohort ... --only ID --force)", file=sys.stderr)
    return finished


def _interrupted(wanted: list[str], out: Path, rows: list[dict[str, Any]]) -> None:
    """Say who this run meant to grade and did not: with no result at all, or keeping a
    result from an earlier run (the gradebook shows that older grade)."""
    done = {r["student_id"] for r in rows}
    left = [i for i in wanted if i not in done]
    older = [i for i in left if (out / i / "results.json").exists()]
    kept = (f" ({len(older)} of them keep an earlier run's result, which the gradebook "
            f"shows: {_listed(older)})") if older else ""
    print(f"interrupted: {len(done)} student(s) graded by this run are saved; {len(left)} "
          f"are not graded by it{kept}; run the same command again to grade the rest",
          file=sys.stderr)


def _run(args: argparse.Namespace, chosen: list[Submission], out: Path, rubric: Rubric,
         rows: list[dict[str, Any]], wanted: list[str]) -> int:
    """Choose the sandbox, then grade who needs it into `rows` (their ids into `wanted`
    first); 0, or EXIT_USAGE."""
    backend = _sandbox(args.trusted, [runner.REFERENCE.parent, GRADERS, out, args.submissions])
    if backend is None:
        return EXIT_USAGE
    for leftover in [*out.glob(".*.tmp"), *out.glob("*/.*.tmp")]:
        leftover.unlink(missing_ok=True)  # from a run killed without a chance to clean up
    changed = runner.newest(runner.grader_files())
    chosen = [dataclasses.replace(s, handed_in=s.digest()) for s in chosen]
    todo = [s for s in chosen if args.force or not _current(s, out, rubric, changed, backend)]
    wanted[:] = [s.student_id for s in todo]
    if len(chosen) > len(todo):
        print(f"{len(chosen) - len(todo)} student(s) already graded and unchanged (--force "
              "regrades them)", file=sys.stderr)
    _grade_all(todo, out, rubric, args.jobs, backend, rows)
    return 0


def _current(submission: Submission, out: Path, rubric: Rubric, changed: float,
             backend: Backend) -> bool:
    """Whether the student's stored result is up to date: newer than the graders and their
    files (runner.is_current), and graded from exactly what they hand in now (the digest of
    the whole handed-in tree, names included: a deleted file regrades them too)."""
    if not runner.is_current(submission, out, rubric, changed, bool(backend.isolating)):
        return False
    stored = read_result(out / submission.student_id / "results.json")
    return stored is not None and stored.more.get("handed_in") == submission.handed_in


def _grade_all(todo: list[Submission], out: Path, rubric: Rubric, jobs: int, backend: Backend,
               rows: list[dict[str, Any]]) -> None:
    """Grade in parallel, adding each finished student's row to `rows`; Stopped when told."""
    if not todo:
        return
    progress = Progress(len(todo))
    pool = JobPool(lambda s: _grade_one(s, out, rubric, backend),
                   lambda s, why: _crashed(s, out, rubric, backend, why))
    with _private_folder("adkit-run-", 0o711) as root:
        saved, tempfile.tempdir = tempfile.tempdir, str(root)
        try:
            for row in pool.run(todo, min(jobs, len(todo))):
                rows.append(row)
                progress.step(row)
        finally:
            with stop_signals(ignored=True):
                pool.stop()
            tempfile.tempdir = saved


@contextlib.contextmanager
def _private_folder(prefix: str, mode: int) -> Iterator[Path]:
    """A new folder in /tmp, removed at the end. The run's temporary folders (the jobs' and
    their sandboxes') live in one, so a job killed mid-student leaves nothing behind."""
    root = tempfile.mkdtemp(prefix=prefix)
    os.chmod(root, mode)  # 0711: a sandbox worker with a uid of its own reaches its folder
    try:
        yield Path(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _grade_one(submission: Submission, out: Path, rubric: Rubric, backend: Backend,
               ) -> dict[str, Any]:
    """Grade one student in a job process: the progress line's row."""
    try:
        result = runner.grade_student(submission, out, rubric, backend)
    except Exception as error:  # a bug of the grader: this student only, the others go on
        result = runner.grader_error(submission, out, rubric, error, backend)
    return _row(result)


def _crashed(submission: Submission, out: Path, rubric: Rubric, backend: Backend,
             why: str) -> dict[str, Any]:
    """The row of a student whose job process died (recorded as a grader error)."""
    error = RuntimeError(f"the grading process stopped while grading you ({why})")
    return _row(runner.grader_error(submission, out, rubric, error, backend))


def _row(result: StudentResult) -> dict[str, Any]:
    """What a job sends back (JSON): the result itself is stored in OUT already."""
    return {"student_id": result.student_id, "total": result.score,
            "max_total": points(result.max_total), "seconds": result.seconds,
            "grader_error": result.grader_error}


def _finish(everyone: list[Submission], skipped: list[Skipped], out: Path,
            rows: list[dict[str, Any]], partial: bool = False, wanted: list[str] | None = None,
            ) -> int:
    """Every output rewritten from every student's stored results (adkit.outputs.steps);
    the exit status. `partial`: the run was interrupted (the report says so, and who is not
    graded yet)."""
    cohort = publish([out], out, [s.student_id for s in everyone],
                     skipped=[(s.name, s.reason) for s in skipped if not s.plain_file],
                     others=[(s.name, s.reason) for s in skipped if s.plain_file],
                     partial=partial, fresh=[r["student_id"] for r in rows],
                     wanted=wanted or [])
    return console.exit_status(cohort)


if __name__ == "__main__":
    sys.exit(main())
