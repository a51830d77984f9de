"""Task `tape`: Tape records nodes in creation order; tape.forward and tape.backward.

Graphs are wired by hand inside `with Tape() as tape:`.
"""

import pytest

from adkit.grade.builders import FIXED, big_report, paper_examples, tape_scenario
from adkit.grade.judging import check_big, check_derivatives
from adkit.model import programs

WHAT = "the tape"


def _recorded_only(program):
    return dict(tape_scenario(program), calls=[])


def test_records_creation_order(session, judge):
    """tape.nodes on the paper's graph (at x1 = 2, x2 = 5 and at a random point of yours),
    the fixed graphs and a random one."""
    rng = session.rng("tape.recorded")
    cases = [*paper_examples(rng, points=1), *FIXED,
             programs.random_program(rng, n_inputs=3, n_ops=15)]
    check_derivatives(session, judge, cases, _recorded_only, WHAT)
    judge.finish()


def test_paper_example(session, judge):
    """tape.forward and tape.backward on y = log(x1) + x1*x2 - sin(x2) at x1 = 2, x2 = 5
    and at three random points of yours: the paper's numbers alone do not pass."""
    check_derivatives(session, judge, paper_examples(session.rng("tape.paper")), tape_scenario,
                      WHAT, shrinkable=False)
    judge.finish()


def test_random_graphs(session, judge):
    rng = session.rng("tape.random")
    cases = [*FIXED] + [programs.random_program(rng, n_inputs=rng.randint(1, 4), n_ops=n)
                        for n in (1, 3, 6, 12, 25, 60)]
    check_derivatives(session, judge, cases, tape_scenario, WHAT)
    judge.finish()


@pytest.mark.shared_graphs
def test_big_graphs(session, judge):
    def make(spec, wired):
        calls = [["forward", 0], ["backward", len(wired["values"]) - 1]]
        return dict(spec, kind="tape", calls=calls, report=big_report(wired), recorded=False)

    check_big(session, judge, make, WHAT, record=True)
    judge.finish()


def test_inputs_made_before_the_tape(session, judge):
    """`x = Node(2.0); with Tape() as tape: y = f(x)`: the usual way to use a tape, on the
    paper's function at x1 = 2, x2 = 5 and at a random point of yours, and random ones."""
    rng = session.rng("tape.outside")

    def make(program):
        return dict(tape_scenario(program), inputs_outside=True, recorded=False)

    cases = [*paper_examples(rng, points=1)] + [
        programs.random_program(rng, n_inputs=rng.randint(1, 3), n_ops=n) for n in (2, 6, 15)]
    check_derivatives(session, judge, cases, make, WHAT + " (inputs created before the tape)")
    judge.finish()
