"""Task `topological_order`: topological_order and reverse_topological_order.

Graphs are wired by hand from `Node`, so wrong primitives do not matter here. Any valid
order is accepted (adkit/grade/checks.py): every reachable node once, the start first, each
node after its parents (before them, for the reverse order). Each test's points are split
over the kinds of graph it checks (adkit/grade/behaviours.py); the graphs come from the
course secret, the same for every student.
"""


from adkit.grade.behaviours import by_kind, one, split
from adkit.grade.builders import STAR, generated_graph, kept, paper_examples
from adkit.grade.judging import big_order_verdict, check_big, check_orders

PAPER = "the paper's function at x1 = 2, x2 = 5 and at three other points"


def test_paper_example(session, judge):
    """Orders on the paper's graph y = log(x1) + x1*x2 - sin(x2), built at x1 = 2, x2 = 5
    and at three other points."""
    by_kind(judge, one(PAPER, paper_examples(session.rng("order.paper")),
                       lambda j, cases: check_orders(session, j, cases, shrinkable=False)))
    judge.finish()


def test_shared_nodes(session, judge):
    """Fan-out, the same node twice (x*x), constants: a third of the points each."""
    by_kind(judge, split(session.rng("order.shared"), ("fan_out", "repeated_inputs", "constants"),
                         lambda j, cases: check_orders(session, j, cases)))
    judge.finish()


def test_random_graphs(session, judge):
    """Paths of different lengths that meet, chains, random functions: a third each."""
    by_kind(judge, split(session.rng("order.random"), ("uneven_paths", "chains", "random"),
                         lambda j, cases: check_orders(session, j, cases)))
    judge.finish()


def test_big_graphs(session, judge):
    def make(spec, wired):
        return dict(spec, kind="order", start=0, reverse=False)

    def make_reverse(spec, wired):
        return dict(spec, kind="order", start=len(wired["values"]) - 1, reverse=True)

    # Depth 100,000 both ways: a recursive walk fails here; x2 and x3 fan out 50,000-fold.
    check_big(session, judge, make, "topological_order")
    check_big(session, judge, make_reverse, "reverse_topological_order")
    judge.finish()


def test_many_children(session, judge):
    """One node with 30,000 children (each -x1): a walk that rescans a node's child list
    from its start is quadratic here. Last in this file: a hang here skips no other order
    test. The worker generates the star itself (adkit/grade/builders.py STAR)."""
    _, wired, names = generated_graph(*STAR)
    scenario = dict(kept(*STAR), kind="order", start=0, reverse=False)
    problem = big_order_verdict(scenario, wired, names, session.call([scenario])[0])
    judge.case(problem is None)
    if problem:
        judge.problem(f"the order for x1 with 30,000 children (each -x1): {problem}")
    judge.finish()

