"""Task `tape`: Tape records nodes in creation order; tape.forward and tape.backward.

Graphs are wired by hand inside `with Tape() as tape:`.
"""


from adkit.grade.behaviours import by_kind, one, split
from adkit.grade.builders import FIXED, big_report, paper_examples, tape_scenario
from adkit.grade.judging import check_big, check_derivatives
from adkit.model import programs

WHAT = "the tape"
PAPER = "the paper's function at x1 = 2, x2 = 5 and at three other points"


def _recorded_only(program):
    return dict(tape_scenario(program), calls=[])


def test_records_creation_order(session, judge):
    """tape.nodes on the paper's graph (at x1 = 2, x2 = 5 and at another point), and on
    the hand-picked graphs and a random one: half of the points each."""
    rng = session.rng("tape.recorded")

    def check(j, cases):
        check_derivatives(session, j, cases, _recorded_only, WHAT)

    by_kind(judge, {
        "the paper's function at x1 = 2, x2 = 5 and at another point":
            lambda j: check(j, paper_examples(rng, points=1)),
        "hand-picked and random graphs":
            lambda j: check(j, [*FIXED, programs.random_program(rng, n_inputs=3, n_ops=15)]),
    })
    judge.finish()


def test_paper_example(session, judge):
    """tape.forward and tape.backward on y = log(x1) + x1*x2 - sin(x2) at x1 = 2, x2 = 5
    and at three other points: the paper's numbers alone do not pass."""
    by_kind(judge, one(PAPER, paper_examples(session.rng("tape.paper")),
                       lambda j, cases: check_derivatives(session, j, cases, tape_scenario, WHAT,
                                                          shrinkable=False)))
    judge.finish()


def test_random_graphs(session, judge):
    """Fan-out, the same node twice, constants, paths of different lengths that meet,
    chains, random functions: a sixth of the points each."""
    by_kind(judge, split(session.rng("tape.random"),
                         ("fan_out", "repeated_inputs", "constants", "uneven_paths", "chains",
                          "random"),
                         lambda j, cases: check_derivatives(session, j, cases, tape_scenario,
                                                            WHAT)))
    judge.finish()


def test_big_graphs(session, judge):
    def make(spec, wired):
        calls = [["forward", 0], ["backward", len(wired["values"]) - 1]]
        return dict(spec, kind="tape", calls=calls, report=big_report(wired), recorded=False)

    check_big(session, judge, make, WHAT, record=True)
    judge.finish()


def test_inputs_made_before_the_tape(session, judge):
    """`x = Node(2.0); with Tape() as tape: y = f(x)`: the usual way to use a tape, on the
    paper's function at x1 = 2, x2 = 5 and at another point, and random ones."""
    rng = session.rng("tape.outside")

    def make(program):
        return dict(tape_scenario(program), inputs_outside=True, recorded=False)

    cases = [*paper_examples(rng, points=1)] + [
        programs.random_program(rng, n_inputs=rng.randint(1, 3), n_ops=n) for n in (2, 6, 15)]
    by_kind(judge, one("inputs created before the tape", cases,
                       lambda j, cases: check_derivatives(
                           session, j, cases, make, WHAT + " (inputs created before the tape)")))
    judge.finish()
