"""Stored results of a small made-up cohort, for the outputs' tests (no grading)."""

from __future__ import annotations

from adkit.cohort.scoring import score
from adkit.grade.plugin import Outcome
from adkit.model.rubric import load_rubric
from adkit.outputs.result import StudentResult

RUBRIC = load_rubric()
KEYS = list(RUBRIC.tests)
SYNTAX = "your package could not be imported: SyntaxError: expected ':' (a.py, line 3)"
HANG = "forward for y = x1: did not finish within 10 s (an infinite loop?)"
CRASH = "backward: crashed: killed by SIGSEGV (a recursion too deep?)"


def student_result(sid: str, failing: dict[tuple[str, str], str] | None = None, *,
                   everything: str | None = None, extra: dict | None = None) -> StudentResult:
    """A scored result: every test passed but `failing` (key: message), or `everything`."""
    if everything is not None:
        outcomes = {k: Outcome(0.0, everything) for k in KEYS}
    else:
        outcomes = {k: Outcome(0.0, (failing or {})[k]) if k in (failing or {}) else
                    Outcome(1.0) for k in KEYS}
    return score(sid, RUBRIC, outcomes, **{"seconds": 1.0, "sandbox": "bubblewrap",
                                          "isolated": True, **(extra or {})})


def small_cohort() -> list[StudentResult]:
    """Seven students: full marks, wrong answers, a syntax error, a hang, a crash, left out."""
    forward = [k for k in KEYS if k[0] == "forward_mode"]
    reverse = [k for k in KEYS if k[0] == "reverse_mode"]
    return [
        student_result("s1"),
        student_result("s2", {forward[0]: "forward: expected 2 but got 7\nmore lines"}),
        student_result("s3", {forward[0]: "forward: expected 2 but got 7", forward[1]: "other"}),
        student_result("s4", everything=SYNTAX),
        student_result("s5", {forward[0]: HANG}),
        student_result("s6", {reverse[0]: CRASH}),
        student_result("s7", extra={"left_out": ["s7.zip: ../x.py: a path with `..`", "b", "c"]}),
    ]
