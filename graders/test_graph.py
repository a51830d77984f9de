"""Task `graph`: the primitives evaluate, create one node each and wire it into the graph.

Graphs are built with the student's primitives; every node's value, operator, parents,
local derivatives (`grad_wrt_parents`) and children are compared with the reference's.
"""

from adkit.grade.explain import node_names
from adkit.grade.harness import check_programs, compare_build
from adkit.model import programs

WHAT = "building the graph with your primitives"


def _build(program):
    return {"kind": "build", "program": program}


def _verdict(program, want, got):
    return compare_build(want, got, node_names(program))


def _note(session, judge):
    if judge.passed < judge.total:
        session.graph_broken = "graph"


def test_paper_example(session, judge):
    program = programs.paper_example()
    check_programs(session, judge, [program], _build, _verdict, WHAT, shrinkable=False)
    _note(session, judge)
    judge.finish()


def _one(op, args, p=None):
    program = {"inputs": [v for v in args if not isinstance(v, dict) and v is not None],
               "ops": []}
    refs, k = [], 0
    for a in args:
        if isinstance(a, dict):
            refs.append(a)
        else:
            refs.append(k)
            k += 1
    entry = {"op": op, "args": refs}
    if p is not None:
        entry["p"] = p
    program["ops"].append(entry)
    return program


def test_each_primitive(session, judge):
    rng = session.rng("graph.each")
    cases = []
    for op in ("add", "sub", "div"):  # mul is given in the skeleton
        a, b = round(rng.uniform(0.5, 3), 3), round(rng.uniform(0.5, 3), 3)
        cases += [_one(op, [a, b]), _one(op, [a, {"const": b}]), _one(op, [{"const": a}, b])]
        # x op x: the same node twice (x*x, x-x)
        cases.append({"inputs": [a], "ops": [{"op": op, "args": [0, 0]}]})
    for op in ("neg", "log", "exp", "sin", "cos"):
        cases.append(_one(op, [round(rng.uniform(0.3, 2.5), 3)]))
    for p in programs.EXPONENTS:
        cases.append(_one("power", [round(rng.uniform(0.5, 2.5), 3)], p))
    check_programs(session, judge, cases, _build, _verdict, WHAT)
    _note(session, judge)
    judge.finish()


def test_random_functions(session, judge):
    rng = session.rng("graph.random")
    cases = [_random(rng, n) for n in (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30)]
    check_programs(session, judge, cases, _build, _verdict, WHAT)
    _note(session, judge)
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
    check_programs(session, judge, cases, _build, _verdict, WHAT, shrinkable=False)
    _note(session, judge)
    judge.finish()
