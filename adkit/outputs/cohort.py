"""What a teaching assistant asks of a graded cohort, computed from the results.json data:
who needs attention and why, which tests trip the class, the mean and the median."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

# The sandbox's words (adkit/sandbox/words.py) for code that hung or crashed its process.
TIMED_OUT = ("did not finish within", "used more than", "time limit was used up")
CRASHED = ("crashed: killed by", "ran out of memory", "was killed:", "the process exited with",
           "closed or broke the grader's private channel", "wrote more than")
NOT_LOADED = ("your package could not be", "no simpleautodiff package found",
              "your submission folder could not be read", "no code found")
UNGRADED = ("grader error", "could not be graded")  # kinds whose tests never ran


@dataclass(frozen=True)
class Attention:
    """One student who needs a look: their id, the kind of trouble, and why in words."""

    student_id: str
    kind: str  # not graded, grader error, could not be graded, timed out, crashed, files left out
    why: str


def first_line(text: str, limit: int = 200) -> str:
    line = next((x.strip() for x in (text or "").splitlines() if x.strip()), "")
    return line if len(line) <= limit else line[:limit] + "..."


def _tasks_with(data: dict[str, Any], words: tuple[str, ...]) -> tuple[list[str], str]:
    """The tasks whose test outputs contain any of `words`, and the first such message."""
    tasks: list[str] = []
    message = ""
    for test in data["tests"]:
        output = test.get("output") or ""
        if any(w in output for w in words):
            task = test["tags"][0] if test.get("tags") else test["name"]
            if task not in tasks:
                tasks.append(task)
            message = message or next(x for x in output.splitlines() if any(w in x for w in words))
    return tasks, first_line(message)


def attention_of(data: dict[str, Any]) -> list[Attention]:
    """Why this student's grade needs a look (empty when it does not)."""
    extra = data["extra_data"]
    sid = extra["student_id"]
    found = []
    if extra.get("grader_error"):
        message = next((t["output"] for t in data["tests"] if "grader error" in t["output"]), "")
        found.append(Attention(sid, "grader error", first_line(message)))
    outputs = {t.get("output") or "" for t in data["tests"]}
    if not extra.get("grader_error") and len(outputs) == 1 and float(data["score"]) == 0:
        only = outputs.pop()
        if any(w in only for w in NOT_LOADED):
            found.append(Attention(sid, "could not be graded", first_line(only, 400)))
    graded = not found  # a crash is news only when the code ran at all
    for kind, words in (("timed out", TIMED_OUT), ("crashed", CRASHED)):
        tasks, message = _tasks_with(data, words)
        if tasks and graded:
            found.append(Attention(sid, kind, f"in {', '.join(tasks)}: {message}"))
    if extra.get("left_out_count"):
        names = "; ".join(extra.get("left_out") or [])
        more = extra["left_out_count"] - len(extra.get("left_out") or [])
        found.append(Attention(sid, "files left out", names + (f"; and {more} more"
                                                               if more > 0 else "")))
    return found


def needs_attention(results: list[dict[str, Any]], missing: list[str] = (),
                    skipped: list[tuple[str, str]] = ()) -> list[Attention]:
    """Everyone to look at first: entries not graded, then students by the kind of trouble."""
    order = ["not graded", "grader error", "could not be graded", "crashed", "timed out",
             "files left out"]
    found = [Attention(name, "not graded", why) for name, why in skipped]
    found += [Attention(sid, "not graded", "not graded yet (the run was interrupted or this "
                                           "student's grading failed): run the command again")
              for sid in missing]
    for data in results:
        found += attention_of(data)
    return sorted(found, key=lambda a: (order.index(a.kind), a.student_id))


@dataclass(frozen=True)
class FailedTest:
    """One hidden test: how many students failed it, and its most common first line."""

    name: str
    task: str
    failed: int
    graded: int
    common: str
    common_count: int


def failed_tests(results: list[dict[str, Any]]) -> list[FailedTest]:
    """Every test that some student failed, the most failed first."""
    failed: dict[str, Counter[str]] = {}
    tasks: dict[str, str] = {}
    for data in results:
        for test in data["tests"]:
            tasks[test["name"]] = test["tags"][0] if test.get("tags") else ""
            if float(test["score"]) < float(test["max_score"]):
                failed.setdefault(test["name"], Counter())[first_line(test["output"])] += 1
    rows = []
    for name, messages in failed.items():
        common, count = messages.most_common(1)[0]
        rows.append(FailedTest(name, tasks[name], sum(messages.values()), len(results),
                                 common or "(no message)", count))
    return sorted(rows, key=lambda r: (-r.failed, r.name))


def summary(scores: list[float]) -> dict[str, float]:
    """Mean, median, lowest and highest of `scores` (zeros for none)."""
    if not scores:
        return {"mean": 0.0, "median": 0.0, "min": 0.0, "max": 0.0}
    return {"mean": statistics.fmean(scores), "median": statistics.median(scores),
            "min": min(scores), "max": max(scores)}
