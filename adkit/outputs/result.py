"""One student's result, typed: what every output is made from.

A `StudentResult` is stored as OUT/<student>/results.json in Gradescope's autograder
schema (`to_json`, `from_json`: the only places that know that schema), so the file stays
what Gradescope and docs/contract.md expect; the kit's own fields live under `extra_data`.
Results written by earlier versions of the kit load too (fields they lack take defaults).
Every student-derived text is escaped again on the way out (`adkit.model.text`): a result
stored by an older kit, or a merged shard, cannot carry a control character into a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adkit.model.text import escape_controls, plain

# The sandbox's words (adkit/sandbox/words.py) for code that hung or crashed its process,
# and the intake's and the runner's for code that never loaded.
TIMED_OUT = ("did not finish within", "used more than", "time limit was used up")
CRASHED = ("crashed: killed by", "ran out of memory", "was killed:", "the process exited with",
           "closed or broke the grader's private channel", "wrote more than")
NOT_LOADED = ("your package could not be", "no simpleautodiff package found",
              "your submission folder could not be read", "no code found")
# extra_data keys with a field of their own here; any other key is kept as it came.
_KNOWN = ("student_id", "tasks", "max_total", "grader_error", "seed", "fingerprint",
          "seconds", "sandbox", "isolated", "left_out", "left_out_count", "notes",
          "submitted_at", "marked_late")


def points(x: float) -> float | int:
    """Points as shown everywhere: 2 decimals, whole numbers without them."""
    x = round(float(x), 2)
    return int(x) if x == int(x) else x


@dataclass(frozen=True)
class TestResult:
    """One hidden test of one student: its task, shown name, points and message."""

    task: str
    name: str  # as shown: "forward_mode: reverse order of nodes"
    score: float
    max_score: float
    output: str = ""  # what the student is told (already capped and escaped)
    visibility: str = "visible"
    passed: bool = False  # the whole test passed (its status)

    @property
    def lost(self) -> bool:
        """Whether points were lost here (feedback.md explains each such test)."""
        return self.score < self.max_score

    def to_json(self) -> dict[str, Any]:
        return {"name": escape_controls(self.name), "score": points(self.score),
                "max_score": points(self.max_score),
                "status": "passed" if self.passed else "failed",
                "output": escape_controls(self.output), "visibility": self.visibility,
                "tags": [escape_controls(self.task)]}

    @classmethod
    def from_json(cls, data: Any) -> TestResult:
        if not isinstance(data, dict):
            raise ValueError("a test is not an object")
        tags = data.get("tags") or [""]
        return cls(task=plain(tags[0]), name=plain(data["name"]), score=_number(data["score"]),
                   max_score=_number(data["max_score"]), output=plain(data.get("output") or ""),
                   visibility=plain(data.get("visibility", "visible")),
                   passed=data.get("status") == "passed")


@dataclass
class StudentResult:
    """One student's grade: per test and per task points, and how the grading went.

    `notes` are shown atop feedback.md (files left out, what the notebooks said, why the
    code could not be graded); `left_out` names at most five refused files, `left_out_count`
    counts them all. `sandbox`/`isolated` say where the code ran (None: not recorded).
    """

    student_id: str
    tests: list[TestResult]
    tasks: dict[str, float]
    total: float
    max_total: float
    grader_error: bool = False
    seed: int | None = None
    fingerprint: str | None = None
    seconds: float = 0.0
    sandbox: str | None = None
    isolated: bool | None = None
    left_out: list[str] | None = None
    left_out_count: int | None = None
    notes: list[str] = field(default_factory=list)
    # When the student handed in (ISO 8601 with its UTC offset) and whether the LMS marked
    # it late, where the intake knew them (an LMS's metadata); None: not known.
    submitted_at: str | None = None
    marked_late: bool | None = None
    more: dict[str, Any] = field(default_factory=dict)  # other extra_data keys, kept as is

    @property
    def score(self) -> float | int:
        return points(self.total)

    def task_maxima(self) -> dict[str, float | int]:
        """The points each task is worth (the sum of its tests' points)."""
        worth = dict.fromkeys(self.tasks, 0.0)
        for t in self.tests:
            worth[t.task] = worth.get(t.task, 0.0) + t.max_score
        return {task: points(v) for task, v in worth.items()}

    def tests_by_task(self) -> dict[str, list[TestResult]]:
        """The tests of each task, in their order."""
        found: dict[str, list[TestResult]] = {task: [] for task in self.tasks}
        for t in self.tests:
            found.setdefault(t.task, []).append(t)
        return found

    def tasks_saying(self, words: tuple[str, ...]) -> tuple[list[str], str]:
        """The tasks whose test messages hold any of `words`, and the first such line."""
        tasks: list[str] = []
        line = ""
        for test in self.tests:
            if any(w in test.output for w in words):
                if test.task not in tasks:
                    tasks.append(test.task)
                line = line or next(x for x in test.output.splitlines()
                                    if any(w in x for w in words))
        return tasks, line

    @property
    def timed_out(self) -> bool:
        return bool(self.tasks_saying(TIMED_OUT)[0])

    @property
    def crashed(self) -> bool:
        return bool(self.tasks_saying(CRASHED)[0])

    @property
    def not_loaded(self) -> bool:
        """The code never ran: every test failed with one message saying it did not load."""
        outputs = {t.output for t in self.tests}
        return (not self.grader_error and len(outputs) == 1 and float(self.total) == 0
                and any(w in next(iter(outputs)) for w in NOT_LOADED))

    def to_json(self) -> dict[str, Any]:
        """The results.json object (Gradescope's schema)."""
        worth = self.task_maxima()
        summary = "; ".join(f"{t} {points(v)}/{worth[t]}" for t, v in self.tasks.items())
        extra: dict[str, Any] = {
            "student_id": escape_controls(self.student_id, keep_newlines=False),
            "tasks": {t: points(v) for t, v in self.tasks.items()},
            "max_total": points(self.max_total), "grader_error": bool(self.grader_error)}
        optional = {"seed": self.seed, "fingerprint": self.fingerprint,
                    "seconds": self.seconds, "sandbox": self.sandbox,
                    "isolated": self.isolated,
                    "left_out": None if self.left_out is None else
                    [escape_controls(x, keep_newlines=False) for x in self.left_out],
                    "left_out_count": self.left_out_count,
                    "notes": [escape_controls(n) for n in self.notes] or None,
                    "submitted_at": self.submitted_at, "marked_late": self.marked_late}
        extra |= {k: v for k, v in optional.items() if v is not None}
        extra |= {k: v for k, v in self.more.items() if k not in _KNOWN}
        return {"score": self.score,
                "output": f"{self.score}/{points(self.max_total)} points ({summary})",
                "visibility": "visible", "stdout_visibility": "hidden",
                "tests": [t.to_json() for t in self.tests], "extra_data": extra}

    @classmethod
    def from_json(cls, data: Any) -> StudentResult:
        """The result stored in `data` (a results.json object); ValueError if it is not one."""
        try:
            extra = data["extra_data"]
            tasks = {plain(t): _number(v) for t, v in extra["tasks"].items()}
            left_out = extra.get("left_out")
            return cls(
                student_id=plain(extra["student_id"]),
                tests=[TestResult.from_json(t) for t in data["tests"]],
                tasks=tasks, total=_number(data["score"]), max_total=_number(extra["max_total"]),
                grader_error=extra.get("grader_error") is True,
                seed=extra.get("seed") if isinstance(extra.get("seed"), int) else None,
                fingerprint=_text_or_none(extra.get("fingerprint")),
                seconds=_number(extra.get("seconds", 0.0)),
                sandbox=_text_or_none(extra.get("sandbox")),
                isolated=extra["isolated"] if isinstance(extra.get("isolated"), bool) else None,
                left_out=None if left_out is None else [plain(x) for x in left_out],
                left_out_count=_int_or_none(extra.get("left_out_count")),
                notes=[plain(n) for n in extra.get("notes") or []],
                submitted_at=_text_or_none(extra.get("submitted_at")),
                marked_late=extra["marked_late"] if isinstance(extra.get("marked_late"), bool)
                else None,
                more={k: v for k, v in extra.items() if k not in _KNOWN})
        except (KeyError, TypeError, AttributeError, IndexError) as error:
            raise ValueError(f"not a results.json of this kit ({type(error).__name__})") \
                from None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("not a number")
    return value


def _text_or_none(value: Any) -> str | None:
    return None if value is None else plain(value)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def results_text(result: StudentResult) -> str:
    """results.json's text."""
    return json.dumps(result.to_json(), indent=1) + "\n"


def read_result(path: Path) -> StudentResult | None:
    """The result stored at `path`, or None when there is none (missing, unreadable, not a
    results.json of this kit)."""
    try:
        return StudentResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, RecursionError):
        return None


def read_results(path: Path) -> dict[str, Any] | None:
    """The results.json object stored at `path` (as this kit writes it), or None."""
    result = read_result(path)
    return None if result is None else result.to_json()
