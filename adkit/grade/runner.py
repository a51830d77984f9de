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

from adkit.grade.harness import Session
from adkit.grade.plugin import GradePlugin, Outcome
from adkit.grade.rubric import GRADERS, Rubric, student_seed
from adkit.intake.submissions import Submission
from adkit.outputs import files as outputs

KIT = Path(__file__).resolve().parents[1]
WORKER = KIT / "inside" / "handler.py"
PROGRAMS = KIT / "model" / "programs.py"
PRIMITIVES = KIT / "model" / "primitives.py"  # the table programs.py reads
REFERENCE = KIT.parent / "reference" / "simpleautodiff"
BIG_GRAPHS_ID = "\0big graphs"  # not a folder name: the seed of the graphs all students share


def grader_files() -> list[Path]:
    """Everything a grade depends on besides the submission (newer ones mean: regrade)."""
    files = [WORKER, PROGRAMS, *sorted(GRADERS.glob("*.py")), *sorted(GRADERS.glob("*.toml"))]
    for folder in ("grade", "inside", "model", "sandbox"):
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


def _run_graders(session: Session, rubric: Rubric) -> dict[tuple[str, str], Outcome]:
    import pytest

    plugin = GradePlugin(session, rubric)
    args = [str(GRADERS), "-c", str(GRADERS / "pytest.ini"), "--rootdir", str(GRADERS),
            "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly",
            "-p", "no:unraisableexception", "-p", "no:threadexception",
            "-W", "ignore", "--assert=plain"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not plugin.outcomes:
        return _all(rubric, f"grader error: pytest could not run the graders (exit {code})", True)
    return plugin.outcomes


def grade(submission: Submission, out: Path, rubric: Rubric) -> dict[str, Any]:
    """Grade one student and write OUT/<id>/results.json and feedback.md."""
    from adkit.sandbox import Limits, Sandbox

    started = time.perf_counter()
    seed = student_seed(rubric.secret, submission.student_id)
    note = None
    with tempfile.TemporaryDirectory(prefix="adkit-grade-") as scratch:
        folder, notebooks, problem = submission.code()
        if notebooks:
            folder, problem = _extract(notebooks, Path(scratch))
        if problem:
            outcomes = _all(rubric, problem)
        else:
            limits = Limits(wall_seconds=30.0)
            with Sandbox(folder, WORKER, [PROGRAMS, PRIMITIVES], limits) as sandbox:
                session = Session(submission.student_id, seed,
                                  student_seed(rubric.secret, BIG_GRAPHS_ID), sandbox)
                ping = sandbox.call({"ping": True}, timeout=10.0)
                if not ping.ok and not (ping.problem or "").startswith("did not finish"):
                    ping = sandbox.call({"ping": True}, timeout=10.0)  # once more, afresh
                if not ping.ok:
                    session.broken = f"your package could not be loaded: {ping.problem}"
                elif isinstance(ping.value, dict) and "import_error" in ping.value:
                    session.broken = ("your package could not be imported: "
                                      f"{ping.value['import_error']}")
                if session.broken:
                    if ping.output:
                        session.broken += f" (it printed: {ping.output.strip()[:300]!r})"
                    outcomes = _all(rubric, session.broken)
                    note = f"**Your code could not be graded:** {session.broken}"
                else:
                    outcomes = _run_graders(session, rubric)
    extra = {"seed": seed, "fingerprint": fingerprint(rubric),
             "seconds": round(time.perf_counter() - started, 3)}
    data = outputs.results(submission.student_id, rubric, outcomes, extra)
    if problem:
        note = f"**Your code could not be graded:** {problem}"
    write_student(out, submission.student_id, data, rubric, note)
    return data


def write_student(out: Path, student_id: str, data: dict[str, Any], rubric: Rubric,
                  note: str | None = None) -> None:
    import json

    folder = out / student_id
    outputs.write_atomic(folder / "feedback.md", outputs.feedback(data, rubric, note))
    # results.json last: its presence and time mean "this student is done".
    outputs.write_atomic(folder / "results.json", json.dumps(data, indent=1) + "\n")


def grader_error(submission: Submission, out: Path, rubric: Rubric, error: BaseException,
                 ) -> dict[str, Any]:
    """Record that the grader itself failed on this student (the others go on)."""
    message = (f"grader error: {type(error).__name__}: {error} (not your fault: tell the "
               "course staff)")
    data = outputs.results(submission.student_id, rubric, _all(rubric, message, True),
                           {"seed": student_seed(rubric.secret, submission.student_id),
                            "fingerprint": fingerprint(rubric), "seconds": 0.0})
    write_student(out, submission.student_id, data, rubric, f"**{message}**")
    return data


def _extract(notebooks: list[Path], scratch: Path) -> tuple[Path | None, str | None]:
    try:
        from adkit.intake.notebooks import extract_package
    except ImportError:
        return None, "notebook submissions not supported yet"
    try:
        return extract_package(notebooks, scratch / "package"), None
    except Exception as error:  # the student's notebook: say what went wrong, grade nothing
        return None, f"your notebooks could not be turned into a package: {error}"


def is_current(submission: Submission, out: Path, rubric: Rubric, graders_changed: float) -> bool:
    """Whether this student's results are newer than their submission and the graders."""
    path = out / submission.student_id / "results.json"
    data = outputs.read_results(path)
    if data is None or data["extra_data"].get("grader_error"):
        return False
    if data["extra_data"].get("fingerprint") != fingerprint(rubric):
        return False
    if not (out / submission.student_id / "feedback.md").exists():
        return False
    done = path.stat().st_mtime
    return done > graders_changed and done > submission.newest_change()


def newest(files: list[Path]) -> float:
    return max((os.stat(f).st_mtime for f in files if f.exists()), default=0.0)
