"""Task `forward_mode`: forward(root) on hand-wired graphs, several roots on one graph.

`forward` runs with a stand-in for topological_order that knows only the graph the grader
wired for the check (adkit/inside/handler.py), so a wrong topological_order costs its own
task only.
"""

import pytest

from adkit.grade.builders import FIXED, big_report, forward_scenario, paper_examples
from adkit.grade.judging import check_big, check_derivatives
from adkit.model import programs

WHAT = "forward mode"


def test_paper_example(session, judge):
    """forward(x1) then forward(x2) on the same graph (the paper's own code gets 7.216
    here), on y = log(x1) + x1*x2 - sin(x2) at x1 = 2, x2 = 5 and at three random points
    of yours: the paper's numbers alone do not pass."""
    check_derivatives(session, judge, paper_examples(session.rng("forward.paper")),
                      forward_scenario, WHAT, shrinkable=False)
    judge.finish()


def test_shared_nodes(session, judge):
    check_derivatives(session, judge, FIXED, forward_scenario, WHAT)
    judge.finish()


def test_random_graphs(session, judge):
    rng = session.rng("forward.random")
    cases = [programs.random_program(rng, n_inputs=rng.randint(1, 4), n_ops=n)
             for n in (1, 2, 3, 5, 8, 12, 20, 40, 80)]
    check_derivatives(session, judge, cases, forward_scenario, WHAT)
    judge.finish()


@pytest.mark.shared_graphs
def test_big_graphs(session, judge):
    def make(spec, wired):
        return dict(spec, kind="forward", roots=[0], report=big_report(wired))

    check_big(session, judge, make, WHAT)  # x1 reaches all of it
    judge.finish()
