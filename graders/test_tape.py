"""Task `tape`: Tape records nodes in creation order; tape.forward and tape.backward.

Graphs are wired by hand inside `with Tape() as tape:`.
"""

from adkit.grade.harness import SHARED, big_report, check_big, check_derivatives, tape_scenario
from adkit.model import programs

WHAT = "the tape"


def _recorded_only(program):
    return {"kind": "tape", "program": program, "calls": []}


def test_records_creation_order(session, judge):
    rng = session.rng("tape.recorded")
    cases = [programs.paper_example(), *SHARED,
             programs.random_program(rng, n_inputs=3, n_ops=15)]
    check_derivatives(session, judge, cases, _recorded_only, WHAT)
    judge.finish()


def test_paper_example(session, judge):
    check_derivatives(session, judge, [programs.paper_example()], tape_scenario, WHAT,
                      shrinkable=False)
    judge.finish()


def test_random_graphs(session, judge):
    rng = session.rng("tape.random")
    cases = [*SHARED] + [programs.random_program(rng, n_inputs=rng.randint(1, 4), n_ops=n)
                         for n in (1, 3, 6, 12, 25, 60)]
    check_derivatives(session, judge, cases, tape_scenario, WHAT)
    judge.finish()


def test_big_graphs(session, judge):
    def make(spec, wired):
        calls = [["forward", 0], ["backward", wired["output"]]]
        return dict(spec, kind="tape", calls=calls, report=big_report(wired), recorded=False)

    check_big(session, judge, make, WHAT)
    judge.finish()


def test_inputs_made_before_the_tape(session, judge):
    """`x = Node(2.0); with Tape() as tape: y = f(x)`: the usual way to use a tape."""
    rng = session.rng("tape.outside")

    def make(program):
        return dict(tape_scenario(program), inputs_outside=True, recorded=False)

    cases = [programs.paper_example()] + [
        programs.random_program(rng, n_inputs=rng.randint(1, 3), n_ops=n) for n in (2, 6, 15)]
    check_derivatives(session, judge, cases, make, WHAT + " (inputs created before the tape)")
    judge.finish()
