"""Task `reverse_mode`: backward(output) on hand-wired graphs, called again and again.

`backward` runs with the grader's own reverse topological order swapped in.
"""

from adkit.grade.harness import SHARED, backward_scenario, big_report, check_big, check_derivatives
from adkit.model import programs

WHAT = "reverse mode"


def test_paper_example(session, judge):
    check_derivatives(session, judge, [programs.paper_example()], backward_scenario, WHAT,
                      shrinkable=False)
    judge.finish()


def test_shared_nodes(session, judge):
    check_derivatives(session, judge, SHARED, backward_scenario, WHAT)
    judge.finish()


def test_random_graphs(session, judge):
    rng = session.rng("reverse.random")
    cases = [programs.random_program(rng, n_inputs=rng.randint(1, 4), n_ops=n)
             for n in (1, 2, 3, 5, 8, 12, 20, 40, 80)]
    check_derivatives(session, judge, cases, backward_scenario, WHAT)
    judge.finish()


def test_big_graphs(session, judge):
    def make(spec, wired):
        # Once: backward twice is checked on small graphs.
        return dict(spec, kind="backward", outputs=[wired["output"]], report=big_report(wired))

    check_big(session, judge, make, WHAT)
    judge.finish()
