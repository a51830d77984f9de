"""The pytest plugin that runs the hidden tests for one student and keeps their outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adkit.grade.session import Session
from adkit.grade.verdicts import Judge
from adkit.model.rubric import Rubric


@dataclass
class Outcome:
    """One hidden test's result: the share of its points earned, and why points were lost."""

    fraction: float
    message: str = ""
    grader_error: bool = False


def test_key(item: pytest.Item) -> tuple[str, str]:
    """(task, test name) of a collected test: graders/test_<task>.py::<test name>."""
    return Path(str(item.fspath)).stem.removeprefix("test_"), item.originalname or item.name


class GradePlugin:
    """Holds the student's session for the graders' fixtures, and collects outcomes."""

    def __init__(self, session: Session, rubric: Rubric) -> None:
        self.session = session
        self.rubric = rubric
        self.judges: dict[str, Judge] = {}
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.final = ""  # the task that runs last

    def timeout_of(self, item: pytest.Item) -> float:
        rule = self.rubric.tests.get(test_key(item))
        return rule.timeout if rule else 10.0

    def start(self, item: pytest.Item) -> None:
        """Tell the session a test starts: its time limit, its task, whether the task runs
        on the shared big graphs, and whether it is the last task."""
        task = test_key(item)[0]
        self.session.start_test(self.timeout_of(item), task=task,
                                shares_graphs=task in self.rubric.shared_graphs,
                                final=task == self.final)

    @pytest.hookimpl(trylast=True)  # after any deselection
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """The tasks in the rubric's run_order (graders/rubric.toml says why), each task's
        tests together and in file order."""
        order = self.rubric.run_order
        unknown = sorted({test_key(i)[0] for i in items} - set(order))
        if unknown:
            raise pytest.UsageError(f"graders/test_{unknown[0]}.py: {unknown[0]!r} is not a "
                                    f"rubric task ({', '.join(order)}): name a graders file "
                                    "after a [tasks.<name>] table of graders/rubric.toml")
        items.sort(key=lambda i: order.index(test_key(i)[0]))  # stable
        self.final = test_key(items[-1])[0] if items else ""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[Any]) -> pytest.TestReport | None:
        """Keep the outcome, and report it without pytest's traceback.

        pytest would parse the test's source to format one (about 15 ms per failed test,
        for every student); the feedback uses the assertion's own message instead.
        """
        error = call.excinfo
        key = test_key(item)
        if call.when == "call" or (call.when == "setup" and error is not None):
            judge = self.judges.get(item.nodeid)
            if error is None:
                self.outcomes[key] = Outcome(judge.fraction if judge else 1.0)
            elif error.errisinstance(AssertionError) and call.when == "call":
                fraction = judge.fraction if judge else 0.0
                self.outcomes[key] = Outcome(min(fraction, 1.0), str(error.value))
            else:
                self.outcomes[key] = Outcome(
                    0.0, f"grader error: {error.typename}: {error.value}", grader_error=True)
        if error is not None and error.errisinstance(pytest.skip.Exception):
            return None  # pytest's own report
        return pytest.TestReport(
            item.nodeid, item.location, {}, "passed" if error is None else "failed",
            None if error is None else f"{error.typename}: {error.value}", call.when,
            duration=call.duration, start=call.start, stop=call.stop)
