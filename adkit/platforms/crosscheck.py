"""nbgrader's in-kernel scores against the sandboxed ones (`make course-crosscheck`).

nbgrader scores each test cell all or nothing; the sandbox gives partial credit per case and
checks more (big graphs, shared nodes). So an honest bug often scores differently in the
two, in either direction. What means tampering is a test cell that PASSED in the student's
own kernel while the sandbox's matching tests fail on the same code: the paper-example cell
against the sandbox's visible tests of that task, the random-functions cell against its
hidden tests with "random" in their name. Those students are SUSPECT and listed first, with
those whose submission changed after it was collected (adkit/platforms/seal.py) and those
whose gradebook entries nbgrader's autograde never writes (a score above its cell's points,
below zero, or for a cell the assignment does not have).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TOLERANCE = 1.0  # points, per task
FAILED_BELOW = 0.5  # sandbox tests scored below this share count as failed
CELL = re.compile(r"test_(?P<task>[a-z_]+?)_(?:paper|random)")


def task_of(cell_id: str) -> str | None:
    """The rubric task a notebook test cell (`test_forward_mode_paper`) belongs to."""
    match = CELL.fullmatch(cell_id)
    return match["task"] if match else None


@dataclass
class Comparison:
    """One student's crosscheck: totals, the verdict, and what it rests on."""

    student_id: str
    kernel: float | None  # None: nbgrader did not grade this submission
    sandboxed: float
    verdict: str = "agree"  # SUSPECT, honest difference, agree, not graded by nbgrader
    reasons: list[str] = field(default_factory=list)
    worst: float = 0.0  # points of kernel cells the sandbox fails: sorts suspects

    @property
    def rank(self) -> tuple[int, float, str]:
        order = ["SUSPECT", "not graded by nbgrader", "honest difference", "agree"]
        return order.index(self.verdict), -self.worst, self.student_id


def _shares(tests: list[dict]) -> dict[str, dict[str, float]]:
    """Per task, the sandbox's share of points: 'task' (all of it), 'paper' (its visible
    tests) and 'random' (its hidden tests named random, else all its hidden tests)."""
    sums: dict[str, dict[str, list[float]]] = {}
    for test in tests:
        task = (test.get("tags") or ["?"])[0]
        kinds = ["task", "paper" if test.get("visibility") == "visible" else "hidden"]
        if "random" in test["name"] and kinds[1] == "hidden":
            kinds.append("random")
        for kind in kinds:
            pair = sums.setdefault(task, {}).setdefault(kind, [0.0, 0.0])
            pair[0] += float(test["score"])
            pair[1] += float(test["max_score"])
    shares = {}
    for task, kinds in sums.items():
        kinds.setdefault("random", kinds.get("hidden", [0.0, 0.0]))
        shares[task] = {k: (p / m if m else 1.0) for k, (p, m) in kinds.items()}
    return shares


def forged(cells: dict[str, tuple[float, float]], expected: dict[str, float] | None = None,
           ) -> list[str]:
    """Gradebook entries that nbgrader's autograde never writes: a score outside 0..max, a
    max other than the cell's points, or a cell the assignment does not have."""
    why = []
    for cell_id, (score, top) in sorted(cells.items()):
        if not (0.0 <= score <= top):  # also false for NaN
            why.append(f"{cell_id} holds {score:g} of {top:g} points")
        if expected is not None and cell_id not in expected:
            why.append(f"{cell_id} is not a test cell of the assignment")
        elif expected is not None and expected[cell_id] != top:
            why.append(f"{cell_id} is worth {expected[cell_id]:g}, not {top:g}")
    return why


def compare(student_id: str, cells: dict[str, tuple[float, float]] | None,
            tests: list[dict], tampered: tuple[str, ...] | list[str] = ()) -> Comparison:
    """Compare nbgrader's cell scores {cell id: (score, max)} with the sandbox's results.json
    tests; `cells` is None when nbgrader did not grade the student. `tampered`: why the
    submission or its gradebook entries are not what collection and autograde left."""
    shares = _shares(tests)
    sandboxed = sum(float(t["score"]) for t in tests)
    if tampered:
        kernel = None if cells is None else sum(score for score, _ in cells.values())
        return Comparison(student_id, kernel, sandboxed, "SUSPECT", list(tampered),
                          worst=1000.0 * len(tampered))
    if cells is None:
        return Comparison(student_id, None, sandboxed, "not graded by nbgrader",
                          ["nbgrader could not grade this submission (see make "
                           "course-autograde); the sandboxed score counts"])
    kernel = sum(score for score, _ in cells.values())
    result = Comparison(student_id, kernel, sandboxed)
    for cell_id, (score, top) in sorted(cells.items()):
        match = CELL.fullmatch(cell_id)
        if not match or match["task"] not in shares or not top or score < top:
            continue
        kind = "paper" if cell_id.endswith("_paper") else "random"
        share = shares[match["task"]].get(kind, 1.0)
        if share < FAILED_BELOW:
            result.verdict = "SUSPECT"
            result.worst += top
            result.reasons.append(
                f"{cell_id} passed in the kernel, but the sandbox's matching "
                f"{'visible' if kind == 'paper' else 'random'} tests of {match['task']} give "
                f"{100 * share:.0f}%")
    if result.verdict == "agree" and abs(kernel - sandboxed) > TOLERANCE:
        result.verdict = "honest difference"
        result.reasons.append(
            f"{sandboxed - kernel:+.2f} points in the sandbox: partial credit per case, and "
            "more checks (big graphs, shared nodes), where the kernel scores a test cell "
            "all or nothing")
    return result
