"""Grading trusted code (the reference, or a mutant of it) in this process, with the engine's
own `runner.grade` and the in-process backend (adkit/sandbox/inprocess.py): for the kit's
proofs on code it wrote (coverage, mutation), never for a student's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adkit.sandbox.inprocess import InProcessBackend


def grade_in_process(folder: Path, out: Path, student_id: str = "reference",
                     timeouts: bool = False) -> dict[str, Any]:
    """Grade the trusted package in `folder` with the engine and rubric; its results.json data.

    With `timeouts`, each call into the package is stopped at the rubric's time limit.
    """
    from adkit.cohort import runner
    from adkit.intake.submissions import Submission
    from adkit.model.rubric import load_rubric

    submission, rubric = Submission(student_id, Path(folder)), load_rubric()
    return runner.grade(submission, Path(out), rubric, InProcessBackend(timeouts))
