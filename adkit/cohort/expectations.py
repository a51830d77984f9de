"""Checking a graded cohort against its expectations.toml (the proofs of the graders).

Each table names a submission folder and what its grade must be: `full = "all"`,
`zero = "all"` or `zero = [tasks]`, `loses = [tasks]` (below full marks in each of these,
full marks in every other task), `feedback_contains = [...]` (case-insensitive, in
feedback.md) and `forbid_in_outputs = [...]` (never in gradebook.csv or results.json).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from adkit.model.rubric import TASKS
from adkit.outputs.result import points, read_result


def load(path: Path) -> dict[str, dict[str, Any]]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def problems(student: str, expected: dict[str, Any], out: Path, rubric_tasks: dict[str, float],
             ) -> list[str]:
    """Every way in which `student`'s grade in `out` breaks `expected` (empty: all is well)."""
    path = out / student / "results.json"
    if not path.exists():
        return [f"{student}: no results.json"]
    result = read_result(path)
    if result is None:
        return [f"{student}: results.json is not a result of this kit"]
    tasks = {t: points(v) for t, v in result.tasks.items()}
    found = []

    def lost(task: str) -> bool:
        return tasks[task] < rubric_tasks[task] - 1e-9

    full, zero, loses = expected.get("full"), expected.get("zero"), expected.get("loses")
    if full == "all":
        found += [f"{student}: {t} = {tasks[t]}, expected full marks" for t in TASKS if lost(t)]
    if zero is not None:
        for t in (TASKS if zero == "all" else zero):
            if tasks[t] != 0:
                found.append(f"{student}: {t} = {tasks[t]}, expected 0")
    if loses is not None:
        for t in TASKS:
            if t in loses and not lost(t):
                found.append(f"{student}: {t} has full marks, expected a loss")
            if t not in loses and lost(t) and (zero is None or (zero != "all" and t not in zero)):
                found.append(f"{student}: {t} = {tasks[t]}, expected full marks "
                             f"(the bug is in {', '.join(loses)})")
    feedback = (out / student / "feedback.md").read_text(encoding="utf-8").lower()
    for text in expected.get("feedback_contains", []):
        if text.lower() not in feedback:
            found.append(f"{student}: feedback.md does not mention {text!r}")
    outputs = (out / "gradebook.csv").read_text(encoding="utf-8") + path.read_text("utf-8")
    for text in expected.get("forbid_in_outputs", []):
        if text in outputs:
            found.append(f"{student}: {text!r} appears in the outputs")
    if result.grader_error:
        found.append(f"{student}: grader error")
    return found


def catch_rate(expectations: dict[str, dict[str, Any]], out: Path,
               rubric_tasks: dict[str, float]) -> tuple[int, int]:
    """(bugs caught in exactly their task(s), bug submissions): those with `loses`."""
    bugs = [name for name, e in expectations.items() if "loses" in e and "zero" not in e]
    caught = sum(1 for name in bugs if not problems(name, expectations[name], out, rubric_tasks))
    return caught, len(bugs)
