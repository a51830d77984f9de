"""Task `graph`: the primitives evaluate, create one node each and wire it into the graph.

Graphs are built with the student's primitives; every node's value, operator, parents,
local derivatives (`grad_wrt_parents`) and children are compared with the reference's.
"""

from adkit.grade.builders import build_scenario, paper_examples
from adkit.grade.explain import node_names
from adkit.grade.judging import check_programs
from adkit.grade.verdicts import compare_build
from adkit.model import primitives, programs

WHAT = "building the graph with your primitives"



def _verdict(program, want, got):
    return compare_build(want, got, node_names(program), build_scenario(program))



def test_paper_example(session, judge):
    """The paper's y = log(x1) + x1*x2 - sin(x2) at x1 = 2, x2 = 5, and the same function
    at three random points of yours: the paper's numbers alone do not pass."""
    check_programs(session, judge, paper_examples(session.rng("graph.paper")), build_scenario,
                   _verdict, WHAT, shrinkable=False)
    judge.finish()


def _one(op, args, p=None):
    """A program of one op on `args`: numbers become inputs, {"const": x} stay numbers."""
    program = {"inputs": [a for a in args if not isinstance(a, dict)], "ops": []}
    refs, k = [], 0
    for a in args:
        if isinstance(a, dict):
            refs.append(a)
        else:
            refs.append(k)
            k += 1
    entry = {"op": op, "args": refs}
    if p is not None:
        entry[primitives.PRIMITIVES[op].number] = p
    program["ops"].append(entry)
    return program


GIVEN = ("mul",)  # the skeleton gives mul in full, as the paper's first listing


def _draw(rng, name, low, high, p=None):
    """Argument values for `name` inside its domain (adkit/model/primitives.py)."""
    arity = primitives.PRIMITIVES[name].arity
    while True:
        args = [round(rng.uniform(low, high), 3) for _ in range(arity)]
        if primitives.in_domain(name, args, p):
            return args


def test_each_primitive(session, judge):
    """Every primitive of the table: nodes and numbers as arguments, the same node twice."""
    rng = session.rng("graph.each")
    rows = [row for name, row in primitives.PRIMITIVES.items() if name not in GIVEN]
    cases = []
    for row in rows:
        if row.arity < 2 or row.number:
            continue
        args = _draw(rng, row.name, 0.5, 3)
        cases.append(_one(row.name, args))
        for i in reversed(range(row.arity)):  # each argument a plain number in turn
            cases.append(_one(row.name, [{"const": a} if k == i else a
                                         for k, a in enumerate(args)]))
        # x op x: the same node twice (x*x, x-x)
        cases.append({"inputs": [args[0]], "ops": [{"op": row.name, "args": [0] * row.arity}]})
    for row in rows:
        if row.arity == 1 and not row.number:
            cases.append(_one(row.name, _draw(rng, row.name, 0.3, 2.5)))
    for row in rows:
        for p in row.numbers if row.number else ():
            cases.append(_one(row.name, _draw(rng, row.name, 0.5, 2.5, p), p))
    check_programs(session, judge, cases, build_scenario, _verdict, WHAT)
    judge.finish()


def test_random_functions(session, judge):
    rng = session.rng("graph.random")
    cases = [_random(rng, n) for n in (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30)]
    check_programs(session, judge, cases, build_scenario, _verdict, WHAT)
    judge.finish()


def _random(rng, n_ops):
    """A random function that uses more than `mul` (which the skeleton gives)."""
    while True:
        program = programs.random_program(rng, n_inputs=rng.randint(1, 3), n_ops=n_ops)
        if any(op["op"] != "mul" for op in program["ops"]):
            return program


def test_larger_function(session, judge):
    rng = session.rng("graph.larger")
    cases = [programs.random_program(rng, n_inputs=5, n_ops=400, locality=30)]
    # Not shrunk (too slow at this size): test_random_functions shows small examples.
    check_programs(session, judge, cases, build_scenario, _verdict, WHAT, shrinkable=False)
    judge.finish()
