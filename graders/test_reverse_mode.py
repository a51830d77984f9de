"""Task `reverse_mode`: backward(output) on hand-wired graphs, called again and again.

`backward` runs with a stand-in for reverse_topological_order that knows only the graph
the grader wired for the check.
"""


from adkit.grade.behaviours import by_kind, one, split
from adkit.grade.builders import backward_scenario, big_report, paper_examples
from adkit.grade.judging import check_big, check_derivatives

PAPER = "the paper's function at x1 = 2, x2 = 5 and at three other points"
WHAT = "reverse mode"


def test_paper_example(session, judge):
    """backward(y), again and again, on y = log(x1) + x1*x2 - sin(x2) at x1 = 2, x2 = 5
    and at three other points: the paper's numbers alone do not pass."""
    by_kind(judge, one(PAPER, paper_examples(session.rng("reverse.paper")),
                       lambda j, cases: check_derivatives(session, j, cases, backward_scenario,
                                                          WHAT, shrinkable=False)))
    judge.finish()


def _check(session):
    return lambda j, cases: check_derivatives(session, j, cases, backward_scenario, WHAT)


def test_shared_nodes(session, judge):
    """Fan-out, the same node twice (x*x), constants: a third of the points each."""
    by_kind(judge, split(session.rng("reverse.shared"), ("fan_out", "repeated_inputs", "constants"),
                         _check(session)))
    judge.finish()


def test_random_graphs(session, judge):
    """Paths of different lengths that meet, chains, random functions: a third each."""
    by_kind(judge, split(session.rng("reverse.random"), ("uneven_paths", "chains", "random"),
                         _check(session)))
    judge.finish()


def test_big_graphs(session, judge):
    def make(spec, wired):
        # Once: backward twice is checked on small graphs.
        return dict(spec, kind="backward", outputs=[len(wired["values"]) - 1],
                    report=big_report(wired))

    check_big(session, judge, make, WHAT)
    judge.finish()
