"""Grading one student: their sandbox, the hidden tests in this process, their two files."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from adkit import inside
from adkit.cohort.scoring import score
from adkit.grade.plugin import GradePlugin, Outcome
from adkit.grade.session import Session
from adkit.intake.staging import NoRoom, UnsafeFile, refused_note, stage
from adkit.intake.submissions import Submission
from adkit.model.rubric import GRADERS, Rubric, student_seed
from adkit.model.text import cap, shown
from adkit.outputs import feedback
from adkit.outputs.result import StudentResult, read_result
from adkit.sandbox import Backend

KIT = Path(__file__).resolve().parents[1]
HANDLER = KIT / "inside" / "handler.py"  # what the worker runs: the only kit code in the sandbox
PROGRAMS = KIT / "model" / "programs.py"
REFERENCE = KIT.parent / "reference" / "simpleautodiff"
BIG_GRAPHS_ID = "\0big graphs"  # not a folder name: the seed of the graphs all students share


def grader_files() -> list[Path]:
    """Everything a grade depends on besides the submission (newer ones mean: regrade)."""
    files = [HANDLER, PROGRAMS, *sorted(GRADERS.glob("*.py")), *sorted(GRADERS.glob("*.toml"))]
    for folder in ("grade", "inside", "intake", "model", "outputs", "sandbox"):
        files += sorted((KIT / folder).glob("*.py"))
    files += sorted(REFERENCE.glob("*.py"))
    return files


def fingerprint(rubric: Rubric) -> str:
    """Changes when the secret or the rubric changes (then every student is regraded)."""
    text = rubric.secret + "\0" + rubric.path.read_text(encoding="utf-8")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _all(rubric: Rubric, message: str,
         grader_error: bool = False) -> dict[tuple[str, str], Outcome]:
    return {key: Outcome(0.0, message, grader_error) for key in rubric.tests}


# pytest's plugins the graders do not use: each costs time per test, for every student
# (per-test log and warning capture, xdist's start-up: 0.05-0.1 s a student in all).
UNUSED_PLUGINS = ("cacheprovider", "xdist", "randomly", "unraisableexception",
                  "threadexception", "logging", "warnings", "junitxml", "doctest", "pastebin",
                  "stepwise", "nose")


def _run_graders(session: Session, rubric: Rubric) -> dict[tuple[str, str], Outcome]:
    import pytest

    plugin = GradePlugin(session, rubric)
    args = [str(GRADERS), "-c", str(GRADERS / "pytest.ini"), "--rootdir", str(GRADERS),
            "-q", "--assert=plain", "-W", "ignore"]
    for name in UNUSED_PLUGINS:
        args += ["-p", f"no:{name}"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not plugin.outcomes:
        return _all(rubric, f"grader error: pytest could not run the graders (exit {code})", True)
    return plugin.outcomes


# The sandboxes open in this process, so that a job told to stop can kill their workers.
_OPEN: list[Any] = []


def close_open_sandboxes() -> None:
    """Close every sandbox this process has open (called when the grading run stops)."""
    while _OPEN:
        box = _OPEN.pop()
        with contextlib.suppress(Exception):
            box.close()


def grade(submission: Submission, out: Path, rubric: Rubric,
          backend: Backend) -> dict[str, Any]:
    """`grade_student`, its result as the results.json object (Gradescope's schema)."""
    return grade_student(submission, out, rubric, backend).to_json()


def grade_student(submission: Submission, out: Path, rubric: Rubric,
                  backend: Backend) -> StudentResult:
    """Grade one student in `backend`'s sandbox; write OUT/<id>/results.json and feedback.md.

    The sandbox gets a capped copy of the student's folder (adkit.intake.staging), never
    the folder itself.
    """
    started = time.perf_counter()
    seed = student_seed(rubric.secret, submission.student_id)
    # A copy that cannot be removed (no descriptor left: EMFILE) costs no grade; the run's
    # own folder goes at its end.
    with tempfile.TemporaryDirectory(prefix="adkit-grade-", ignore_cleanup_errors=True) \
            as scratch:
        left_out: list[str] = []
        measured: dict[str, int] = {}
        outcomes, notes = _grade_copy(submission, Path(scratch), rubric, backend, seed,
                                      left_out, measured)
    result = score(submission.student_id, rubric, outcomes, seed=seed,
                   fingerprint=fingerprint(rubric),
                   seconds=round(time.perf_counter() - started, 3),
                   sandbox=str(backend.name), isolated=bool(backend.isolating),
                   left_out=left_out, notes=notes)
    result.more.update(measured)  # e.g. the most bytes read of one reply
    result.submitted_at, result.marked_late = submission.submitted_at, submission.marked_late
    if submission.handed_in:  # what was handed in, for the next run's "unchanged" check
        result.more["handed_in"] = submission.handed_in
    feedback.write_student(out, result)
    return result


def _grade_copy(submission: Submission, scratch: Path, rubric: Rubric, backend: Backend,
                seed: int, left_out: list[str], measured: dict[str, int] | None = None,
                ) -> tuple[dict[tuple[str, str], Outcome], list[str]]:
    """Stage the student's folder into `scratch`, then grade the copy: (outcomes, notes).
    The files refused (unpacking, staging) are added to `left_out`; what the sandbox
    measured (the most bytes read of one reply) to `measured`."""
    left_out += submission.refused
    try:
        staged = stage(submission.folder, scratch / "submission")
    except NoRoom as error:  # the machine's fault: marked as a grader error, so rerun
        return _all(rubric, error.reason, True), [f"**{error.reason}**"]
    except UnsafeFile as error:
        problem = (f"your submission folder could not be read ({error.strerror}): hand in "
                   "a folder holding your files")
        return _all(rubric, problem), [f"**Your code could not be graded:** {problem}"]
    # Members refused while unpacking the student's archives come first (adkit.intake).
    left_out += staged.refused
    notes = [n for n in [refused_note(left_out)] if n]
    folder, notebooks, problem = submission.code(staged.folder)
    if notebooks and not problem:
        folder, problem = _extract(notebooks, scratch, staged.folder)
        if folder is not None:
            notes += _notebook_notes(folder)
    if problem or folder is None:
        problem = problem or "no code found"
        return _all(rubric, problem), [f"**Your code could not be graded:** {problem}", *notes]
    outcomes, broken = _run_sandboxed(submission, folder, rubric, backend, seed, measured)
    if broken:
        notes.insert(0, f"**Your code could not be graded:** {broken}")
    return outcomes, notes


def _run_sandboxed(submission: Submission, folder: Path, rubric: Rubric, backend: Backend,
                   seed: int, measured: dict[str, int] | None = None,
                   ) -> tuple[dict[tuple[str, str], Outcome], str | None]:
    """The graders' outcomes for the package in `folder`, and why it could not load if so."""
    from adkit.sandbox import Limits

    limits = Limits(call_seconds=30.0)
    with backend.open(folder, HANDLER, list(inside.SUPPORT), limits) as sandbox:
        _OPEN.append(sandbox)
        try:
            session = Session(submission.student_id, seed,
                              student_seed(rubric.secret, BIG_GRAPHS_ID), sandbox)
            broken = _load_problem(sandbox)
            if broken:
                return _all(rubric, broken), broken
            return _run_graders(session, rubric), None
        finally:
            if measured is not None:
                measured["reply_bytes_most"] = int(getattr(sandbox, "reply_read_most", 0))
            if sandbox in _OPEN:
                _OPEN.remove(sandbox)


def _load_problem(sandbox: Any) -> str | None:
    """Why the student's package does not load in `sandbox`, or None when it does."""
    # A real sandbox reads no more of the reply than an import error can need.
    most = {"most": 64 * 1024} if getattr(sandbox, "per_task", False) is True else {}
    ping = sandbox.call({"ping": True}, timeout=10.0, **most)
    if not ping.ok and not (ping.problem or "").startswith("did not finish"):
        ping = sandbox.call({"ping": True}, timeout=10.0, **most)  # once more, afresh
    if not ping.ok:
        broken = f"your package could not be loaded: {shown(ping.problem or '', 4000, True)}"
    elif isinstance(ping.value, dict) and "import_error" in ping.value:
        error = ping.value["import_error"]  # decoded JSON: a str, or else shown by its type
        broken = f"your package could not be imported: {shown(error, 4000, True)}"
    else:
        return None
    if ping.output:
        broken += f" (it printed: {shown(ping.output.strip(), 300, True)!r})"
    return broken


def grader_error(submission: Submission, out: Path, rubric: Rubric, error: BaseException,
                 backend: Backend | None = None) -> StudentResult:
    """Record that the grader itself failed on this student (the others go on)."""
    message = (f"grader error: {type(error).__name__}: {cap(str(error), 2000, note=True)} "
               "(not your fault: tell the course staff)")
    result = score(submission.student_id, rubric, _all(rubric, message, True),
                   seed=student_seed(rubric.secret, submission.student_id),
                   fingerprint=fingerprint(rubric), seconds=0.0,
                   sandbox=None if backend is None else str(backend.name),
                   isolated=None if backend is None else bool(backend.isolating),
                   notes=[f"**{message}**"])
    feedback.write_student(out, result)
    return result


def _extract(notebooks: list[Path], scratch: Path, staged: Path,
             ) -> tuple[Path | None, str | None]:
    """The package made from the notebooks (in a limited child process), or the problem."""
    from adkit.intake.notebooks import SubmissionError, extract_in_child

    try:
        return extract_in_child(notebooks, scratch / "package", base=staged), None
    except SubmissionError as error:
        return None, str(error)


def _notebook_notes(folder: Path, most: int = 20) -> list[str]:
    """The extractor's notes (the `# NOTE:` lines it wrote atop the package) for feedback."""
    found = []
    with open(folder / "simpleautodiff" / "__init__.py", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("# ---"):
                break
            if line.startswith("# NOTE: ") and len(found) < most:
                found.append(f"- {cap(line[8:].rstrip(), 600, note=True)}")
    if not found:
        return []
    return ["**From your notebooks:**\n" + "\n".join(found)]


def is_current(submission: Submission, out: Path, rubric: Rubric, graders_changed: float,
               isolating: bool = False) -> bool:
    """Whether this student's results are newer than their submission and the graders.

    With `isolating` (the sandbox isolates now), results graded without isolation are not.
    """
    path = out / submission.student_id / "results.json"
    result = read_result(path)
    if result is None or result.grader_error:
        return False
    if isolating and result.isolated is False:
        return False
    if result.fingerprint != fingerprint(rubric):
        return False
    if not (out / submission.student_id / "feedback.md").exists():
        return False
    done = path.stat().st_mtime
    try:
        changed = submission.newest_change()
    except OSError:  # the folder changes under us: grade it
        return False
    return done > graders_changed and done > changed


def newest(files: list[Path]) -> float:
    return max((os.stat(f).st_mtime for f in files if f.exists()), default=0.0)
