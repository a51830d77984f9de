"""Lets `pytest` in this folder import the simpleautodiff package beside it, and keeps one
mistake's output on one screen."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

LINES = 60  # the most lines one failing test prints


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A RecursionError in one line (where in your code, and why); any other failure cut to
    its first and last lines."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or call.excinfo is None:
        return
    if call.excinfo.errisinstance(RecursionError):
        mine = [entry for entry in call.excinfo.traceback
                if "simpleautodiff" in str(entry.path) and "tests" not in Path(entry.path).parts]
        where = f" in {Path(mine[-1].path).name}, line {mine[-1].lineno + 1}" if mine else ""
        report.longrepr = (
            f"RecursionError{where}: your code calls itself once per node, and Python stops "
            "at about 1,000 calls deep; graphs here are 100,000 deep. Walk the graph with a "
            "loop and a list of your own (a stack or a queue) instead. (Traceback cut.)")
        return
    text = str(report.longrepr).splitlines()
    if len(text) > LINES:
        cut = len(text) - LINES
        report.longrepr = "\n".join([*text[:LINES - 20], f"... ({cut} lines cut) ...",
                                     *text[-20:]])
