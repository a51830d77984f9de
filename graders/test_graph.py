"""Task `graph`: the primitives evaluate, create one node each and wire it into the graph.

Graphs are built with the student's primitives; every node's value, operator, parents,
local derivatives (`grad_wrt_parents`) and children are compared with the reference's.
Each test's points are split over the kinds of behaviour it checks (adkit/grade/behaviours.py).
"""

from adkit.grade.behaviours import by_kind, one, split
from adkit.grade.builders import build_scenario, paper_examples
from adkit.grade.explain import node_names
from adkit.grade.judging import check_programs
from adkit.grade.verdicts import compare_build
from adkit.model import primitives, programs

WHAT = "building the graph with your primitives"
PAPER = "the paper's function at x1 = 2, x2 = 5 and at three other points"


def _verdict(program, want, got):
    return compare_build(want, got, node_names(program), build_scenario(program))


def _check(session, shrinkable=True):
    return lambda j, cases: check_programs(session, j, cases, build_scenario, _verdict, WHAT,
                                           shrinkable=shrinkable)


def test_paper_example(session, judge):
    """The paper's y = log(x1) + x1*x2 - sin(x2) at x1 = 2, x2 = 5, and the same function
    at three other points: the paper's numbers alone do not pass."""
    by_kind(judge, one(PAPER, paper_examples(session.rng("graph.paper")),
                       _check(session, shrinkable=False)))
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
    """Each primitive of the table (but the given mul) on nodes, plain numbers as either
    argument, the same node twice (x*x, x-x): the points split evenly over these kinds."""
    rng = session.rng("graph.each")
    rows = [row for name, row in primitives.PRIMITIVES.items() if name not in GIVEN]
    own: dict[str, list] = {}
    numbers, twice = [], []
    for row in rows:
        if row.arity < 2 or row.number:
            continue
        args = _draw(rng, row.name, 0.5, 3)
        own[row.name] = [_one(row.name, args)]
        for i in reversed(range(row.arity)):  # each argument a plain number in turn
            numbers.append(_one(row.name, [{"const": a} if k == i else a
                                           for k, a in enumerate(args)]))
        # x op x: the same node twice (x*x, x-x)
        twice.append({"inputs": [args[0]], "ops": [{"op": row.name, "args": [0] * row.arity}]})
    for row in rows:
        if row.arity == 1 and not row.number:
            own[row.name] = [_one(row.name, _draw(rng, row.name, 0.3, 2.5)) for _ in range(2)]
    for row in rows:
        if row.number:
            own[row.name] = [_one(row.name, _draw(rng, row.name, 0.5, 2.5, p), p)
                             for p in row.numbers]
    kinds = {f"the primitive {name} on nodes": cases for name, cases in own.items()}
    kinds["plain numbers as arguments (constant nodes)"] = numbers
    kinds["the same node twice as an argument (x*x, x-x)"] = twice
    check = _check(session)
    by_kind(judge, {kind: (lambda j, cases=cases: check(j, cases))
                    for kind, cases in kinds.items()})
    judge.finish()


def test_random_functions(session, judge):
    """Functions of every kind of shape (fan-out, the same node twice, constants, paths of
    different lengths that meet, chains, random ones) over every primitive: a sixth each."""
    by_kind(judge, split(session.rng("graph.random"),
                         ("fan_out", "repeated_inputs", "constants", "uneven_paths", "chains",
                          "random"), _check(session), names=programs.PRIMITIVES))
    judge.finish()


def test_larger_function(session, judge):
    rng = session.rng("graph.larger")
    cases = [programs.random_program(rng, n_inputs=5, n_ops=400, locality=30)]
    # Not shrunk (too slow at this size): test_random_functions shows small examples.
    by_kind(judge, one("a function of 400 operations", cases, _check(session, shrinkable=False)))
    judge.finish()
