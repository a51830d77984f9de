"""One student's grading session: their worker, their seed, and the current test's budget."""

from __future__ import annotations

import binascii
import random
import time
from array import array
from typing import Any

from adkit.grade.reference import GraderError


def unpack_order(packed: Any) -> list[int] | None:
    """An order the handler sent packed (base64 of 32-bit integers), or None if damaged."""
    try:
        data = binascii.a2b_base64(packed["int32"], strict_mode=True)
        if len(data) % 4:
            return None
        order = array("i")
        order.frombytes(data)
        return order.tolist()
    except (TypeError, KeyError, ValueError, binascii.Error):
        return None


def _excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "...")


class Session:
    """One student's grading: their sandbox, their seed, and the current test's time limit.

    `seed` is this student's (shown in results.json only); `common_seed`, from the course
    secret alone, draws every case that scores (`rng`) and the big graphs.
    """

    def __init__(self, student_id: str, seed: int, common_seed: int, sandbox: Any,
                 broken: str | None = None) -> None:
        self.student_id = student_id
        self.seed = seed
        self.common_seed = common_seed
        self.sandbox = sandbox
        self.broken = broken
        self.deadline = time.monotonic() + 10.0
        self.limit = 10.0  # the current test's time limit in seconds (the rubric's)
        # Scenario kinds that crashed or hung, per task: later calls of that kind in the same
        # task are skipped (a hang costs its time limit once), other tasks still try theirs.
        self.failed_kinds: dict[tuple[str, str], str] = {}
        self.task = ""
        self.shares_graphs = False  # the current task runs on the graphs build_shared builds
        self.final = False  # the current task is the last one (the worker serves it itself)
        self.shared_built = False
        # The sandbox forks a fresh process per task itself (adkit.sandbox.Sandbox); the
        # in-process stand-in cannot, and is restarted instead.
        self.per_task = getattr(sandbox, "per_task", False) is True

    def rng(self, salt: str) -> random.Random:
        """One test's random numbers: from the course secret and the test alone, never the
        student id, so the same code earns the same grade whoever hands it in."""
        return random.Random(f"{self.common_seed}:{salt}")

    def start_test(self, seconds: float, task: str = "", shares_graphs: bool = False,
                   final: bool = False) -> None:
        """A test starts: its time limit; a new task also gets a fresh process, so nothing
        swapped in or kept during one task survives into the next: a fork of the worker
        made right after import (calls tagged with the task), else a restarted worker.

        `shares_graphs`: the task runs on the big graphs, built in the worker (once, before
        this task's process forks) by `build_shared`. `final`: no task follows this one, so
        the worker serves it itself. The plugin runs the tasks that share no graphs first,
        so that theirs fork from a worker that does not hold them yet (cheaper to copy).
        """
        if task != self.task:
            if self.task and not self.per_task:
                self.sandbox.restart()
            if shares_graphs and not self.shared_built:
                self.build_shared()
                self.shared_built = True
        self.deadline = time.monotonic() + seconds
        self.limit = seconds
        self.task, self.shares_graphs, self.final = task, shares_graphs, final

    def build_shared(self, seconds: float = 5.0) -> None:
        """Build the big graphs that tasks share once, in the worker before any task
        forks from it: each task's process then starts from a copy-on-write copy, measured
        cheaper than a build per task. Untagged, so it runs in the worker itself; only the
        student's Node runs, and their Tape when a trial shows it fit to share (fast, stops
        at the end of its block, leaves the package as it found it: handler._tape_fit); a
        forward from no node calls nothing else of theirs. Best effort: if it fails, each
        task builds its own, as before."""
        from adkit.grade import builders

        if self.broken or not self.per_task:
            return
        scenarios = [dict(spec, kind="forward", roots=[])
                     for spec in builders.shared_graphs(self.common_seed)]
        self.sandbox.call({"scenarios": scenarios}, timeout=seconds)

    def timed_out(self) -> str:
        """The time-out sentence: the rubric's limit (the sandbox's own figure is what was
        left of it) and both likely causes."""
        return (f"did not finish within the {self.limit:g} s limit for this test (an endless "
                "loop, or an algorithm too slow for graphs of 100,000 nodes: is your walk "
                "quadratic?)")

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def call(self, scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run scenarios in the student's worker: one answer or {"error": ...} each."""
        if not self.shares_graphs and any(s.get("keep") for s in scenarios):
            raise GraderError(f"a test of task {self.task!r} runs on a graph the worker keeps, "
                              "but none of the task's tests is marked shared_graphs (see "
                              "graders/pytest.ini)")
        if self.broken:
            return [{"error": self.broken} for _ in scenarios]
        kinds = {s["kind"] for s in scenarios}
        skipped = [self.failed_kinds[(self.task, k)] for k in kinds
                   if (self.task, k) in self.failed_kinds]
        if skipped and len(skipped) == len(kinds):
            return [{"error": f"not run: {skipped[0]}"} for _ in scenarios]
        timeout = self.time_left()
        if timeout <= 0.05:
            return [{"error": "not run: this test's time limit was used up by earlier calls"}
                    for _ in scenarios]
        if self.per_task and self.task:
            reply = self.sandbox.call({"scenarios": scenarios}, timeout=timeout, task=self.task,
                                      final=self.final)
        else:
            reply = self.sandbox.call({"scenarios": scenarios}, timeout=timeout)
        if not reply.ok:
            problem = reply.problem or "your code stopped the grader's worker"
            if problem.startswith("did not finish within"):
                problem = self.timed_out()
            if reply.output:
                problem += f" Output before that: {_excerpt(reply.output)}"
            for k in kinds:
                self.failed_kinds[(self.task, k)] = problem
            return [{"error": problem} for _ in scenarios]
        value = reply.value
        if not isinstance(value, dict):
            raise GraderError(f"the worker replied {type(value).__name__}")
        if "import_error" in value:
            self.broken = f"your package could not be imported: {value['import_error']}"
            return [{"error": self.broken} for _ in scenarios]
        results = value.get("results")
        if not isinstance(results, list) or len(results) != len(scenarios):
            return [{"error": "the worker did not answer once per check (did your code change "
                              "the grader's worker?)"} for _ in scenarios]
        for k, result in enumerate(results):
            if isinstance(result, dict) and isinstance(result.get("order"), dict):
                order = unpack_order(result["order"])
                results[k] = {"order": order} if order is not None else {
                    "error": "the order came back damaged (did your code change the grader's "
                             "worker?)"}
        return results
