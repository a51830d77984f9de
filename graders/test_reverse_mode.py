"""Task `reverse_mode`: backward(output) on hand-wired graphs, called again and again.

`backward` runs with a stand-in for reverse_topological_order that knows only the graph
the grader wired for the check.
"""

import pytest

from adkit.grade.builders import FIXED, backward_scenario, big_report, paper_examples
from adkit.grade.judging import check_big, check_derivatives
from adkit.model import programs

WHAT = "reverse mode"


def test_paper_example(session, judge):
    """backward(y), again and again, on y = log(x1) + x1*x2 - sin(x2) at x1 = 2, x2 = 5
    and at three random points of yours: the paper's numbers alone do not pass."""
    check_derivatives(session, judge, paper_examples(session.rng("reverse.paper")),
                      backward_scenario, WHAT, shrinkable=False)
    judge.finish()


def test_shared_nodes(session, judge):
    check_derivatives(session, judge, FIXED, backward_scenario, WHAT)
    judge.finish()


def test_random_graphs(session, judge):
    rng = session.rng("reverse.random")
    cases = [programs.random_program(rng, n_inputs=rng.randint(1, 4), n_ops=n)
             for n in (1, 2, 3, 5, 8, 12, 20, 40, 80)]
    check_derivatives(session, judge, cases, backward_scenario, WHAT)
    judge.finish()


@pytest.mark.shared_graphs
def test_big_graphs(session, judge):
    def make(spec, wired):
        # Once: backward twice is checked on small graphs.
        return dict(spec, kind="backward", outputs=[len(wired["values"]) - 1],
                    report=big_report(wired))

    check_big(session, judge, make, WHAT)
    judge.finish()
