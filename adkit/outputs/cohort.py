"""A graded cohort as the outputs see it (`Cohort`), and what a teaching assistant asks of
it: who needs attention and why (computed once, in the Cohort), which tests trip the class,
the mean and the median."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adkit.model.messages import cause_of
from adkit.model.text import cap
from adkit.outputs.result import CRASHED, NOT_LOADED, TIMED_OUT, StudentResult
from adkit.outputs.similar import Similarity

# Kinds whose tests never really ran: left out of "which test trips the class".
UNGRADED = ("grader error", "could not be graded", "did not run")
# What a test says when the student's code (or a part of it) never loaded: not loaded or
# imported, a cell or module that does not compile, a name the package must define missing.
NOT_THERE = (*NOT_LOADED, "ImportError", "ModuleNotFoundError", "cannot import name",
             "SyntaxError", "does not compile", "AttributeError: module '")
# ... and for the whole submission, also the released stubs and undefined names.
NO_CODE = (*NOT_THERE, "NotImplementedError", "is not defined")
_ERROR = re.compile(r"\b\w+(?:Error|Exception)\b")


@dataclass(frozen=True)
class Attention:
    """One student who needs a look: their id, the kind of trouble, and why in words."""

    student_id: str
    kind: str  # one of ORDER
    why: str


def first_line(text: str, limit: int = 200) -> str:
    """The first line of `text` that is not blank, at most `limit` bytes."""
    return cap(next((x.strip() for x in (text or "").splitlines() if x.strip()), ""), limit)


def _cause(output: str) -> str:
    """The error a lost test reports, in short (its root cause), else its first line."""
    cause = cause_of(output)
    if cause is None:
        found = _ERROR.search(output)
        cause = found.group(0) if found else first_line(output)
    return first_line(cause) or "(no message)"


def _most_common(outputs: list[str]) -> str:
    causes = Counter(_cause(x) for x in outputs)
    cause, count = causes.most_common(1)[0]
    return cause if count == len(outputs) else \
        f"{cause} (in {count} of {len(outputs)} lost tests)"


def did_not_run(result: StudentResult) -> str:
    """Why this student's code did not run, by the data ("" when it ran): every test lost
    with a message saying the code was not there (not loaded or imported, not compiled, a
    name missing, the released stub), or a total of 0."""
    tests = result.tests
    if not tests or not all(t.lost for t in tests):
        return ""
    outputs = [t.output for t in tests]
    if all(any(w in x for w in NO_CODE) for x in outputs):
        return f"no test could run the code: {_most_common(outputs)}"
    if float(result.total) == 0:
        return f"scored 0, every test lost: {_most_common(outputs)}"
    return ""


def not_loaded_tasks(result: StudentResult) -> str:
    """Why some tasks' code did not run ("" when all of it did): the tasks whose every test
    was lost because their code did not load, import or compile (a notebook cell left out)."""
    if not any(t.lost and any(w in t.output for w in NOT_THERE) for t in result.tests):
        return ""  # the common case, at once
    tasks = [task for task, mine in result.tests_by_task().items()
             if mine and all(t.lost and any(w in t.output for w in NOT_THERE) for t in mine)]
    if not tasks:
        return ""
    outputs = [t.output for t in result.tests if t.task in tasks]
    return f"the code of {', '.join(tasks)} did not load: {_most_common(outputs)}"


def attention_of(result: StudentResult) -> list[Attention]:
    """Why this student's grade needs a look (empty when it does not)."""
    sid = result.student_id
    found = []
    if result.grader_error:
        message = next((t.output for t in result.tests if "grader error" in t.output), "")
        found.append(Attention(sid, "grader error", first_line(message)))
    if result.not_loaded:
        found.append(Attention(sid, "could not be graded",
                               first_line(result.tests[0].output, 400)))
    graded = not found  # a crash is news only when the code ran at all
    if graded:
        why = did_not_run(result)
        part = "" if why else not_loaded_tasks(result)
        if why or part:
            found.append(Attention(sid, "did not run" if why else "not loaded", why or part))
    for kind, words in (("timed out", TIMED_OUT), ("crashed", CRASHED)):
        tasks, message = result.tasks_saying(words)
        if tasks and graded:
            found.append(Attention(sid, kind, f"in {', '.join(tasks)}: {first_line(message)}"))
    if result.left_out_count:
        names = "; ".join(result.left_out or [])
        more = result.left_out_count - len(result.left_out or [])
        found.append(Attention(sid, "files left out", names + (f"; and {more} more"
                                                               if more > 0 else "")))
    return found


ORDER = ("not graded", "not regraded", "grader error", "could not be graded", "did not run",
         "not loaded", "crashed", "timed out", "files left out")


def needs_attention(results: Sequence[StudentResult], missing: Sequence[str] = (),
                    skipped: Sequence[tuple[str, str]] = (),
                    stale: Sequence[str] = ()) -> list[Attention]:
    """Everyone to look at first: entries not graded, students an interrupted run did not
    regrade (`stale`: an older result stands), then students by the kind of trouble."""
    found = [Attention(name, "not graded", why) for name, why in skipped]
    found += [Attention(sid, "not graded", "not graded yet (the run was interrupted or this "
                                           "student's grading failed): run the command again")
              for sid in missing]
    found += [Attention(sid, "not regraded", "the run was interrupted before regrading this "
                                             "student: the result shown is an older one; run "
                                             "the command again")
              for sid in stale]
    for result in results:
        found += attention_of(result)
    return sorted(found, key=lambda a: (ORDER.index(a.kind), a.student_id))


@dataclass(frozen=True)
class FailedTest:
    """One hidden test: how many students failed it, and its most common first line."""

    name: str
    task: str
    failed: int
    graded: int
    common: str
    common_count: int


def failed_tests(results: Sequence[StudentResult]) -> list[FailedTest]:
    """Every test that some student failed, the most failed first."""
    failed: dict[str, Counter[str]] = {}
    tasks: dict[str, str] = {}
    for result in results:
        for test in result.tests:
            tasks[test.name] = test.task
            if test.lost:
                failed.setdefault(test.name, Counter())[first_line(test.output)] += 1
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


@dataclass
class Cohort:
    """Everything the outputs are made from: the stored results, who is not graded yet and
    why, what else SUBMISSIONS held, and `make similarity`'s pairs.

    `results` are in the gradebook's order; `sources` says where each was read (its
    results.json; `exact`: those whose file already holds what this kit would write);
    `skipped`: (entry of SUBMISSIONS, why) not graded (they need attention);
    `others`: plain files beside the submissions (a README); `missing`: students found but
    not graded yet; `partial`: the run was stopped; `fresh`: the students graded by this
    run (the console's summary); `wanted`: the students this run set out to grade (a rerun
    skips those graded and unchanged). `attention` is computed once, here.
    """

    results: list[StudentResult]
    missing: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    others: list[tuple[str, str]] = field(default_factory=list)
    partial: bool = False
    similarity: Similarity | None = None
    fresh: list[str] = field(default_factory=list)
    sources: dict[str, Path] = field(default_factory=dict)
    exact: set[str] = field(default_factory=set)  # stored exactly as this kit writes them
    wanted: list[str] = field(default_factory=list)
    # The course policy (adkit/outputs/policy.py): the course file to read (None: the
    # default), and what its step found: the policy, each student's `Applied`, or why not.
    policy_file: Path | None = None
    policy: Any = None
    applied: dict[str, Any] = field(default_factory=dict)
    policy_problem: str | None = None
    attention: list[Attention] = field(init=False)

    def __post_init__(self) -> None:
        self.attention = needs_attention(self.results, self.missing, self.skipped,
                                         self.not_regraded)

    @property
    def not_regraded(self) -> list[str]:
        """Students this run set out to grade but did not, who keep an older result."""
        fresh, missing = set(self.fresh), set(self.missing)
        return [sid for sid in self.wanted if sid not in fresh and sid not in missing]

    @property
    def unfinished(self) -> list[str]:
        """Every student without a result from this run that it meant to give: no result at
        all (`missing`), or an older one (`not_regraded`)."""
        return list(self.missing) + self.not_regraded

    @property
    def flagged(self) -> dict[str, list[str]]:
        """Each student's kinds of trouble, in the order of `attention`."""
        found: dict[str, list[str]] = {}
        for a in self.attention:
            found.setdefault(a.student_id, []).append(a.kind)
        return found

    @property
    def ran(self) -> list[StudentResult]:
        """The students whose code ran (not those that could not be graded at all)."""
        out = {a.student_id for a in self.attention if a.kind in UNGRADED}
        return [r for r in self.results if r.student_id not in out]
