"""Task `operators`: + - * / ** and unary - on Nodes (numbers on either side), and grad(f).

The spec leaves the shape of an operator's graph open (`-x` as neg(x) or mul(-1, x), `x - y`
as sub or add of a negation, `2 + x` as add(2, x) or add(x, 2)): an expression passes when
its nodes' values, their local derivatives and the derivatives by forward and reverse mode
are right (adkit/grade/verdicts.py, compare_meaning), whatever nodes it made in between.

Operators necessarily use the student's primitives: when a test here loses points, it also
builds its functions with the primitives alone, and the feedback says when those are wrong
too. `grad` runs with a stand-in for backward that knows only the graph f builds (its local
derivatives sent by the grader), so a wrong backward costs `reverse_mode` points only.
"""

from adkit.grade import reference
from adkit.grade.behaviours import by_kind, one
from adkit.grade.builders import build_scenario, grad_scenario, paper_examples
from adkit.grade.explain import node_names
from adkit.grade.judging import check_programs
from adkit.grade.verdicts import compare_build, compare_grad, compare_meaning
from adkit.model import primitives

WHAT = "the expression written with operators"


def _note(session, judge, cases):
    """After lost points: do the primitives alone build these functions right?"""
    if judge.passed == judge.total and not judge.problems:
        return
    if any(_unwritten(problem) for problem in judge.problems):
        return  # the operators are not written yet: nothing to fix in the primitives first
    probe = [p for p in cases if all(op["op"] != "rpow" for op in p["ops"])]  # no function
    scenarios = [build_scenario(p) for p in probe]
    got, want = session.call(scenarios), reference.expect(scenarios)
    if any(compare_build(w, g, node_names(p), s)
           for p, s, w, g in zip(probe, scenarios, want, got, strict=True)):
        judge.notes.append("Note: operators build nodes with your primitives, and those "
                           "build some of these functions wrong too (see the `graph` task); "
                           "fix them first.")


def _unwritten(problem):
    """An operator or grad that raises NotImplementedError itself (not a primitive it
    calls): the skeleton's stubs name the task, a student's own say where they were."""
    return "NotImplementedError" in problem and (
        "Task operators" in problem or ", in __" in problem or ", in grad)" in problem)


def _op(name, args, **extra):
    return {"op": name, "args": args, **extra}


def _fixed():
    x, y = 0, 1
    return [
        {"inputs": [1.5, -0.75], "ops": [_op("mul", [x, y]), _op("add", [2, {"const": 2.0}])]},
        {"inputs": [1.5], "ops": [_op("add", [{"const": 2.0}, x])]},
        {"inputs": [1.5], "ops": [_op("sub", [{"const": 2.0}, x])]},
        {"inputs": [1.5], "ops": [_op("sub", [x, {"const": 0.5}])]},
        {"inputs": [1.5], "ops": [_op("mul", [{"const": 3.0}, x])]},
        {"inputs": [1.5], "ops": [_op("div", [{"const": 1.0}, x])]},
        {"inputs": [1.5], "ops": [_op("div", [x, {"const": 4.0}])]},
        {"inputs": [1.5], "ops": [_op("power", [x], p=2)]},
        {"inputs": [1.5], "ops": [_op("power", [x], p=-0.5)]},
        {"inputs": [1.5], "ops": [_op("neg", [x])]},
        {"inputs": [0.5], "ops": [_op("rpow", [x], base=2.0)]},
        {"inputs": [1.5, 2.0], "ops": [_op("sub", [x, x]), _op("mul", [y, y]),
                                       _op("div", [2, 3])]},
    ]


# The operators' questions use small, tame numbers: exponents of their own, and margins
# tighter than the table's domains, checked before the exponent is drawn.
EXPONENTS = (2, 3, 0.5, -1)
_TAME = {"div": lambda a, b: abs(b) >= 0.3, "power": lambda a: 0.3 < a < 5}


def operator_program(rng, n_inputs, n_ops):
    """A random expression using only operators, numbers on either side.

    The operators are the table's primitives that have one (adkit/model/primitives.py).
    """
    kinds = [name for name, row in primitives.PRIMITIVES.items() if row.operator]
    inputs = [round(rng.uniform(0.5, 2.0), 3) for _ in range(n_inputs)]
    values = list(inputs)
    ops = []
    while len(ops) < n_ops:
        kind = rng.choice(kinds)
        row = primitives.PRIMITIVES[kind]
        args = [rng.randrange(len(values)) for _ in range(row.arity)]
        if row.arity > 1 and rng.random() < 0.3:
            args[rng.randrange(row.arity)] = {"const": round(rng.uniform(0.5, 3.0), 2)}
        arg_values = [x["const"] if isinstance(x, dict) else values[x] for x in args]
        if not _TAME.get(kind, lambda *xs: True)(*arg_values):
            continue
        extra = {row.number: rng.choice(EXPONENTS)} if row.number else {}
        p = extra.get(row.number)
        if not primitives.in_domain(kind, arg_values, p):
            continue
        value = primitives.value(kind, arg_values, p)
        if abs(value) > 1e3:
            continue
        ops.append(_op(kind, args, **extra))
        values.append(value)
    return {"inputs": inputs, "ops": ops}


def _build(program):
    return build_scenario(program, via="operators")


def _verdict(program, want, got):
    """Graded by meaning: any graph whose values and derivatives are right passes."""
    return compare_meaning(want, got, node_names(program), _build(program),
                           len(program["inputs"]))


def _check(session):
    return lambda j, cases: check_programs(session, j, cases, _build, _verdict, WHAT)


def test_operators_build_primitives(session, judge):
    """A number on the left (2 + x, 2 ** x), a number on the right (x - 0.5), nodes on both
    sides (x * y, x - x), unary minus and powers: a quarter of the points each."""
    cases = _fixed()
    kinds = {"a number on the left": [cases[k] for k in (1, 2, 4, 5, 10)],
             "a number on the right": [cases[k] for k in (3, 6)],
             "nodes on both sides (x * y, x - x)": [cases[k] for k in (0, 11)],
             "unary minus and powers": [cases[k] for k in (7, 8, 9)]}
    check = _check(session)
    by_kind(judge, {kind: (lambda j, c=c: check(j, c)) for kind, c in kinds.items()})
    _note(session, judge, cases)
    judge.finish()


def test_random_expressions(session, judge):
    rng = session.rng("operators.random")
    cases = [operator_program(rng, rng.randint(1, 3), n) for n in (1, 2, 3, 5, 8, 12, 20)]
    by_kind(judge, one("random expressions", cases, _check(session)))
    _note(session, judge, cases)
    judge.finish()


def test_grad(session, judge):
    """grad(f) on random expressions, and on the paper's y = log(x1) + x1*x2 - sin(x2)
    (written with the primitives) at x1 = 2, x2 = 5 and at three other points: half each."""
    rng = session.rng("operators.grad")
    cases = [operator_program(rng, rng.randint(1, 3), n) for n in (1, 3, 6, 12)]
    paper = paper_examples(session.rng("operators.grad.paper"))

    def with_primitives(p):
        return grad_scenario(p, via="primitives")

    by_kind(judge, {
        "grad(f) of random expressions": lambda j: check_programs(
            session, j, cases, grad_scenario,
            lambda p, w, g: compare_grad(w, g, grad_scenario(p)), "grad(f)"),
        "grad(f) of the paper's function": lambda j: check_programs(
            session, j, paper, with_primitives,
            lambda p, w, g: compare_grad(w, g, with_primitives(p)), "grad(f)",
            shrinkable=False),
    })
    _note(session, judge, cases + paper)
    judge.finish()
