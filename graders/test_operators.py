"""Task `operators`: + - * / ** and unary - on Nodes (numbers on either side), and grad(f).

Operators necessarily use the student's primitives: when the `graph` task also lost
points, the feedback says so. `grad` runs with the grader's own backward swapped in.
"""

from adkit.grade.explain import node_names
from adkit.grade.harness import check_programs, compare_build
from adkit.model import primitives, programs

WHAT = "the expression written with operators"


def _note(session, judge):
    if session.graph_broken and judge.passed < judge.total:
        judge.notes.append("Note: operators build nodes with your primitives, and the `graph` "
                           "task found problems there too; fix those first.")


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
    return {"kind": "build", "program": program, "via": "operators"}


def _verdict(program, want, got):
    return compare_build(want, got, node_names(program))


def test_operators_build_primitives(session, judge):
    check_programs(session, judge, _fixed(), _build, _verdict, WHAT)
    _note(session, judge)
    judge.finish()


def test_random_expressions(session, judge):
    rng = session.rng("operators.random")
    cases = [operator_program(rng, rng.randint(1, 3), n) for n in (1, 2, 3, 5, 8, 12, 20)]
    check_programs(session, judge, cases, _build, _verdict, WHAT)
    _note(session, judge)
    judge.finish()


def _grad_verdict(program, want, got):
    if "error" in got:
        return got["error"]
    w, g = want["grad"], got["grad"]
    if len(g) != len(w):
        return f"grad(f) returned {len(g)} derivatives, expected {len(w)} (one per input)"
    from adkit.grade import checks

    for i, (a, b) in enumerate(zip(w, g)):
        if not checks.close(a, b):
            return f"∂y/∂x{i + 1} from grad(f) should be {a:.10g} but is {b:.10g}"
    return None


def test_grad(session, judge):
    rng = session.rng("operators.grad")
    cases = [operator_program(rng, rng.randint(1, 3), n) for n in (1, 3, 6, 12)]
    check_programs(session, judge, cases,
                   lambda p: {"kind": "grad", "program": p, "via": "operators"},
                   _grad_verdict, "grad(f)")
    check_programs(session, judge, [programs.paper_example()],
                   lambda p: {"kind": "grad", "program": p, "via": "primitives"},
                   _grad_verdict, "grad(f)")
    _note(session, judge)
    judge.finish()
