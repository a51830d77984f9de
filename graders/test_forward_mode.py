"""Task `forward_mode`: forward(root) on hand-wired graphs, several roots on one graph.

`forward` runs with a stand-in for topological_order that knows only the graph the grader
wired for the check (adkit/inside/handler.py), so a wrong topological_order costs its own
task only.
"""


from adkit.grade.behaviours import by_kind, one, split
from adkit.grade.builders import big_report, forward_scenario, paper_examples
from adkit.grade.judging import check_big, check_derivatives

PAPER = "the paper's function at x1 = 2, x2 = 5 and at three other points"
WHAT = "forward mode"


def test_paper_example(session, judge):
    """forward(x1) then forward(x2) on the same graph (the paper's own code gets 7.216
    here), on y = log(x1) + x1*x2 - sin(x2) at x1 = 2, x2 = 5 and at three other
    points: the paper's numbers alone do not pass."""
    by_kind(judge, one(PAPER, paper_examples(session.rng("forward.paper")),
                       lambda j, cases: check_derivatives(session, j, cases, forward_scenario, WHAT,
                                                          shrinkable=False)))
    judge.finish()


def _check(session):
    return lambda j, cases: check_derivatives(session, j, cases, forward_scenario, WHAT)


def test_shared_nodes(session, judge):
    """Fan-out, the same node twice (x*x), constants: a third of the points each."""
    by_kind(judge, split(session.rng("forward.shared"), ("fan_out", "repeated_inputs", "constants"),
                         _check(session)))
    judge.finish()


def test_random_graphs(session, judge):
    """Paths of different lengths that meet, chains, random functions: a third each."""
    by_kind(judge, split(session.rng("forward.random"), ("uneven_paths", "chains", "random"),
                         _check(session)))
    judge.finish()


def test_big_graphs(session, judge):
    def make(spec, wired):
        return dict(spec, kind="forward", roots=[0], report=big_report(wired))

    check_big(session, judge, make, WHAT)  # x1 reaches all of it
    judge.finish()
