"""One student's grading session: their worker, their seed, and the current test's budget."""

from __future__ import annotations

import binascii
import functools
import random
from array import array
from typing import Any

from adkit.grade.reference import GraderError
from adkit.grade.verdicts import answer_problem, forget_checked
from adkit.model.scenarios import answer_items, reply_bytes
from adkit.model.text import cap, escape_controls, shown

ERROR_BYTES = 2048  # an error sentence from the worker, as the student reads it


def unpack_order(packed: Any, most: int | None = None) -> list[int] | None:
    """An order the handler sent packed (base64 of 32-bit integers), or None if damaged or
    longer than `most` indices."""
    try:
        text = packed["int32"]
        if type(text) is not str or (most is not None and len(text) > 4 * (4 * most + 3) // 3):
            return None
        data = binascii.a2b_base64(text, strict_mode=True)
        if len(data) % 4:
            return None
        order = array("i")
        order.frombytes(data)
        return order.tolist()
    except (TypeError, KeyError, ValueError, binascii.Error):
        return None


def said(text: Any) -> str:
    """Text the worker sent (an error, an import failure) as the grader may use it: an
    exact str of at most ERROR_BYTES, its control characters escaped, on one line."""
    return cap(shown(text, ERROR_BYTES, one_line=True), ERROR_BYTES)  # escapes lengthen it


def checked(scenario: dict[str, Any], result: Any) -> dict[str, Any]:
    """The worker's answer to `scenario` once checked for type and size: the answer (a
    packed order unpacked), or {"error": sentence}, the error the worker sent made safe to
    show or the sentence saying how the answer was damaged. Nothing else leaves `call`."""
    if type(result) is dict and set(result) == {"error"} and type(result["error"]) is str:
        return {"error": said(result["error"])}
    if (type(result) is dict and scenario.get("kind") == "order"
            and type(result.get("order")) is dict):
        order = unpack_order(result["order"], answer_items(scenario))
        if order is None:
            return {"error": "the order came back damaged (did your code change the grader's "
                             "worker?)"}
        result = dict(result, order=order)
    problem = answer_problem(scenario, result)
    return result if problem is None else {"error": problem}


def _excerpt(text: str, limit: int = 300) -> str:
    """What the student's code printed, on one line, quoted: repr escapes its control
    characters (escape_controls the few it leaves, such as bidirectional marks)."""
    text = " ".join(cap(text, 4 * limit).split())
    return escape_controls(repr(text if len(text) <= limit else text[:limit] + "..."))


@functools.lru_cache(maxsize=2)
def _shared_request(common_seed: int) -> tuple[Any, int]:
    """The request that builds the big graphs (the same for every student), encoded once
    per grading job: its 5 MB of packed wiring cost 30-40 ms of JSON a student (measured)."""
    from adkit.grade import builders, stand_in_data
    from adkit.sandbox.channel import encoded

    scenarios = [stand_in_data.supply(dict(spec, kind="forward", roots=[]))
                 for spec in builders.shared_graphs(common_seed)]
    return encoded({"scenarios": scenarios}), reply_bytes(scenarios)


class Session:
    """One student's grading: their sandbox, their seed, and the current test's time limit.

    `seed` is this student's (shown in results.json only); `common_seed`, from the course
    secret alone, draws every case that scores (`rng`) and the big graphs.
    """

    def __init__(self, student_id: str, seed: int, common_seed: int, sandbox: Any,
                 broken: str | None = None) -> None:
        forget_checked()  # nothing found well formed for another student counts here
        self.student_id = student_id
        self.seed = seed
        self.common_seed = common_seed
        self.sandbox = sandbox
        self.broken = broken
        self.limit = 10.0  # the current test's time limit: CPU seconds (the rubric's)
        self.left = 10.0  # ... and what its calls have not used of it yet
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
        self.limit = self.left = seconds
        self.task, self.shares_graphs, self.final = task, shares_graphs, final

    def build_shared(self, seconds: float = 5.0) -> None:
        """Build the big graphs that tasks share once, in the worker before any task
        forks from it: each task's process then starts from a copy-on-write copy, measured
        cheaper than a build per task. Untagged, so it runs in the worker itself; only the
        student's Node runs, and their Tape when a trial shows it fit to share (fast, stops
        at the end of its block, leaves the package as it found it: inside/graphs.py tape_fit);
        a forward from no node calls nothing else of theirs. Best effort: if it fails, each
        task builds its own, as before."""
        if self.broken or not self.per_task:
            return
        request, most = _shared_request(self.common_seed)
        self.sandbox.call(request, timeout=seconds, most=most)

    def timed_out(self) -> str:
        """The time-out sentence: the rubric's limit (the sandbox's own figure is what was
        left of it) and both likely causes."""
        return (f"did not finish within the {self.limit:g} s limit for this test (an endless "
                "loop, or an algorithm too slow for graphs of 100,000 nodes: is your walk "
                "quadratic?)")

    def time_left(self) -> float:
        """CPU seconds the current test's calls may still use."""
        return self.left

    def call(self, scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run scenarios in the student's worker: one answer or {"error": ...} each (with
        what their stand-ins hand out added as data, and graphs of unknown shape read whole
        by `rings`)."""
        from adkit.grade import rings, stand_in_data
        from adkit.inside.graphs import WIRING_NEEDED

        results = self._call([stand_in_data.supply(s, wiring=False) for s in scenarios])
        again = [k for k, r in enumerate(results) if r == {"error": WIRING_NEEDED}]
        if again:  # a kept graph the worker does not hold (yet): once more, with its wiring
            for k, result in zip(again, self._call(
                    [stand_in_data.supply(scenarios[k]) for k in again]), strict=True):
                results[k] = result
        return rings.complete(results, self._call)

    def _call(self, scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.shares_graphs and any(s.get("keep") for s in scenarios):
            raise GraderError(f"a test of task {self.task!r} runs on a graph the worker keeps, "
                              "but the task has no `shared_graphs = true` in "
                              "graders/rubric.toml")
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
        # A real sandbox reads no more of the reply than these questions can need.
        most = {"most": reply_bytes(scenarios)} if self.per_task else {}
        if self.per_task and self.task:
            reply = self.sandbox.call({"scenarios": scenarios}, timeout=timeout, task=self.task,
                                      final=self.final, **most)
        else:
            reply = self.sandbox.call({"scenarios": scenarios}, timeout=timeout, **most)
        self.left -= reply.cpu_seconds or 0.0  # the CPU time the student's processes used
        if not reply.ok:
            problem = said(reply.problem or "your code stopped the grader's worker")
            if reply.stopped:
                # Out of CPU time, or waiting past the wall-clock backstop: either way the
                # test's time is used up, so one hang costs a test one limit, not one a kind.
                self.left = 0.0
                if reply.stopped == "cpu":
                    problem = self.timed_out()
            if reply.output:
                problem += f" Output before that: {_excerpt(reply.output)}"
            for k in kinds:
                self.failed_kinds[(self.task, k)] = problem
            return [{"error": problem} for _ in scenarios]
        value = reply.value
        if type(value) is dict and "import_error" in value:
            self.broken = f"your package could not be imported: {said(value['import_error'])}"
            return [{"error": self.broken} for _ in scenarios]
        results = value.get("results") if type(value) is dict else None
        if type(results) is not list or len(results) != len(scenarios):
            return [{"error": "the worker did not answer once per check (did your code change "
                              "the grader's worker?)"} for _ in scenarios]
        return [checked(s, r) for s, r in zip(scenarios, results, strict=True)]
