"""Issue 21: each kind of behaviour is checked on graphs built to show it, whatever the
course secret, so code wrong on a kind loses that kind's points every time."""

import random
from collections import deque

import pytest

from adkit.grade.behaviours import by_kind
from adkit.grade.checks import children_of
from adkit.grade.verdicts import Judge
from adkit.model import programs
from adkit.model.messages import cause_of

SECRETS = range(40)  # stand-ins for course secrets: the generators' only input


def _wired(kind, seed, names=programs.TAME):
    return [programs.wiring(p) for p in programs.KINDS[kind][1](random.Random(seed), names)]


def _bfs(start, children):
    order, seen, queue = [], {start}, deque([start])
    while queue:
        node = queue.popleft()
        order.append(node)
        for child in children[node]:
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return order


def _valid(order, parents):
    at = {n: i for i, n in enumerate(order)}
    return all(at[p] < at[n] for n in order for p in parents[n] if p in at)


@pytest.mark.parametrize("names", [programs.TAME, programs.PRIMITIVES])
def test_a_breadth_first_order_fails_every_graph_where_paths_of_different_lengths_meet(names):
    for seed in SECRETS:
        for wired in _wired("uneven_paths", seed, names):
            children = children_of(wired["parents"])
            starts = range(len(wired["values"]))
            assert any(not _valid(_bfs(s, children), wired["parents"]) for s in starts), seed


def test_each_kind_holds_its_shape_in_every_graph():
    for seed in SECRETS:
        for wired in _wired("repeated_inputs", seed):
            assert any(len(p) == 2 and p[0] == p[1] for p in wired["parents"])
        for wired in _wired("constants", seed):
            assert "const" in wired["ops"]
        for wired in _wired("fan_out", seed):
            assert max(len(c) for c in children_of(wired["parents"])) >= 2
        for wired in _wired("chains", seed):
            assert len(wired["values"]) >= 4


def test_a_kind_scores_only_when_all_its_cases_pass_and_an_error_is_said_once():
    def failing(problem):
        def run(judge):
            judge.case(True)
            judge.case(False, problem)
        return run

    judge = Judge()
    error = "NotImplementedError: Task graph: implement sin() (in p.py, line 3, in sin)"
    by_kind(judge, {"kind a": failing(f"y = sin(x): {error} (2 of 4 functions failed)"),
                    "kind b": failing(f"y = sin(x)*x: {error}"),
                    "kind c": lambda j: j.case(True)})
    assert (judge.passed, judge.total) == (1, 3)
    assert len(judge.problems) == 1 and "The same error failed these too: kind b" in \
        judge.problems[0]
    assert cause_of(judge.problems[0]).startswith("NotImplementedError: Task graph")
    assert cause_of("y has value 1, expected 2") is None
