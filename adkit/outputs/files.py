"""Writing the grades: results.json (Gradescope schema), feedback.md and gradebook.csv.

Every file is written to a temporary name in the same folder and renamed into place, so an
interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from adkit.authoring.regions import TASKS
from adkit.grade.plugin import Outcome
from adkit.grade.rubric import Rubric

HEADER = ["student_id", *TASKS, "total", "max_total"]
MESSAGE_BYTES = 8 * 1024  # one test's message: what a student's code said can be anything
NOTE_BYTES = 16 * 1024  # the note at the top of feedback.md
NOT_ISOLATED = ("**Graded without a sandbox** ({name}): your code ran with the grader's "
                "rights, as trusted code. Tell the course staff if you did not expect this.")


def capped(text: object, limit: int) -> str:
    """`text` as a plain str of at most `limit` UTF-8 bytes, saying how much was cut.

    A str subclass is copied to a real str first (its len() or __str__ may lie).
    """
    plain = str.__str__(text) if isinstance(text, str) else repr(type(text))
    data = plain.encode("utf-8", "replace")
    if len(data) <= limit:
        return plain
    kept = data[:limit].decode("utf-8", "ignore")
    return f"{kept}\n[... {len(data) - len(kept.encode())} more bytes cut]"


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~umask())  # mkstemp makes 0600; outputs are shared like any file
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def umask() -> int:
    """This process's umask, read without changing it (Linux), else by setting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _points(x: float) -> float | int:
    x = round(x, 2)
    return int(x) if x == int(x) else x


def results(student_id: str, rubric: Rubric, outcomes: dict[tuple[str, str], Outcome],
            extra: dict[str, Any]) -> dict[str, Any]:
    """The Gradescope results.json for one student; per-task points under extra_data.

    `extra` should say which sandbox graded ("sandbox": its name, "isolated": bool).
    """
    tests = []
    per_task = dict.fromkeys(TASKS, 0.0)
    grader_error = False
    for (task, name), rule in rubric.tests.items():
        outcome = outcomes.get((task, name))
        if outcome is None:
            outcome = Outcome(0.0, "grader error: this test did not run", grader_error=True)
        grader_error = grader_error or outcome.grader_error
        score = rule.points * max(0.0, min(1.0, outcome.fraction))
        per_task[task] += score
        tests.append({
            "name": f"{task}: {name.removeprefix('test_').replace('_', ' ')}",
            "score": _points(score),
            "max_score": _points(rule.points),
            "status": "passed" if outcome.fraction >= 1.0 else "failed",
            "output": capped(outcome.message or "", MESSAGE_BYTES),
            "visibility": rule.visibility,
            "tags": [task],
        })
    total = sum(per_task.values())
    summary = "; ".join(f"{t} {_points(per_task[t])}/{_points(rubric.tasks[t])}" for t in TASKS)
    return {
        "score": _points(total),
        "output": f"{_points(total)}/{_points(rubric.total)} points ({summary})",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "student_id": student_id,
            "tasks": {t: _points(v) for t, v in per_task.items()},
            "max_total": _points(rubric.total),
            "grader_error": grader_error,
            **extra,
        },
    }


def feedback(data: dict[str, Any], rubric: Rubric, note: str | None = None) -> str:
    """feedback.md: per task its points, then every lost point explained."""
    extra = data["extra_data"]
    lines = [f"# Feedback for {extra['student_id']}", "",
             f"**Total: {data['score']} / {extra['max_total']}**", ""]
    if extra.get("isolated") is False:
        lines += [NOT_ISOLATED.format(name=extra.get("sandbox", "no sandbox")), ""]
    if note:
        lines += [capped(note, NOTE_BYTES), ""]
    for task in TASKS:
        lines += [f"## {task}: {extra['tasks'][task]} / {_points(rubric.tasks[task])}", ""]
        lost = [t for t in data["tests"] if task in t["tags"] and t["score"] < t["max_score"]]
        if not lost:
            lines += ["All checks passed.", ""]
            continue
        for test in lost:
            lines.append(f"- **{test['name']}** ({test['score']} / {test['max_score']}):")
            for text in (test["output"] or "failed").splitlines():
                lines.append(f"  {text}")
        lines.append("")
    return "\n".join(lines)


def gradebook(rows: list[dict[str, Any]]) -> str:
    """gradebook.csv text: the contract's header, one row per student."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([row[c] for c in HEADER])
    return buffer.getvalue()


def row_of(data: dict[str, Any]) -> dict[str, Any]:
    extra = data["extra_data"]
    return {"student_id": extra["student_id"], **extra["tasks"], "total": data["score"],
            "max_total": extra["max_total"]}


def read_results(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "extra_data" in data else None
