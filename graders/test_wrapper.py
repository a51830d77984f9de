"""Task `wrapper`: primitive(function, *partials, name=...) makes Node-level functions.

The functions wrapped are rows of the table of primitives (adkit/model/primitives.py:
square, hypot, a three-argument muladd, and a rewrite of every contract primitive), sent
as expressions with each check; only the student's `primitive` and `Node` are used.
"""

from adkit.grade import reference
from adkit.grade.behaviours import by_kind, one
from adkit.grade.builders import build_scenario, wrapper_scenario
from adkit.grade.explain import node_names
from adkit.grade.judging import check_programs
from adkit.grade.verdicts import answer_problem, compare_build
from adkit.model import primitives, programs

WHAT = "a primitive made with your primitive()"
# The table's wrapper-only rows (functions no task defines) and their arities.
NEW = {name: row.arity for name, row in primitives.WRAPPER_ONLY.items()}


def _program(function, args):
    """A one-op stand-in for printing: the wrapped function applied to the inputs."""
    return {"inputs": [a for a in args if not isinstance(a, dict)],
            "ops": [], "function": function, "args": args}


def _scenario(case):
    return wrapper_scenario(case["function"], case["name"], case["args"])


def _names(case):
    k = sum(1 for a in case["args"] if not isinstance(a, dict))
    return [f"x{i + 1}" for i in range(k)] + [f"{case['function']}(...)"]


def _verdict(case, want, got):
    damaged = answer_problem(_scenario(case), got)
    if damaged:
        return damaged
    if case["name"] is None and "nodes" in got:
        # Without `name=` the contract fixes no operator name: any string will do.
        got = dict(got, nodes=[*got["nodes"][:-1],
                               dict(got["nodes"][-1], operator=want["nodes"][-1]["operator"])])
    problem = compare_build(want, got, _names(case), _scenario(case))
    if problem is None:
        return None
    args = ", ".join(f"{a['const']:g}" if isinstance(a, dict) else f"x{i + 1}={a:g}"
                     for i, a in enumerate(case["args"]))
    return f"primitive(...{', name=' + repr(case['name']) if case['name'] else ''}) " \
           f"applied to ({args}): {problem}"


def _run(session, judge, cases):
    got = session.call([_scenario(c) for c in cases])
    want = reference.expect([_scenario(c) for c in cases])
    for case, w, g in zip(cases, want, got, strict=True):
        problem = _verdict(case, w, g)
        judge.case(problem is None, problem)


def test_new_functions(session, judge):
    """New functions (square, hypot, muladd) called with name= and without: half each."""
    rng = session.rng("wrapper.new")
    named, unnamed = [], []
    for function, arity in NEW.items():
        for name in (function, f"my_{function}", None):  # None: called without name=
            args = [round(rng.uniform(0.5, 3.0), 3) for _ in range(arity)]
            (named if name else unnamed).append(
                {"function": function, "name": name, "args": args})
    by_kind(judge, {"new functions made with name=": lambda j: _run(session, j, named),
                    "new functions made without name=": lambda j: _run(session, j, unnamed)})
    judge.finish()


def test_numbers_become_constants(session, judge):
    rng = session.rng("wrapper.constants")
    cases = [
        {"function": "hypot", "name": "hypot",
         "args": [round(rng.uniform(0.5, 3.0), 3), {"const": 4.0}]},
        {"function": "muladd", "name": "muladd",
         "args": [{"const": 2.0}, round(rng.uniform(0.5, 3.0), 3), {"const": -1.5}]},
        {"function": "div", "name": "div", "args": [{"const": 1.0}, 2.5]},
    ]
    by_kind(judge, one("plain numbers as arguments (constant nodes)", cases,
                       lambda j, cases: _run(session, j, cases)))
    judge.finish()


def _rewritten(session):
    def check(j, cases):
        check_programs(session, j, cases, lambda p: build_scenario(p, via="wrapper"),
                       lambda p, w, g: compare_build(w, g, node_names(p),
                                                     build_scenario(p, via="wrapper")),
                       "every primitive rewritten with your primitive(), building")
    return check


def test_every_primitive_rewritten(session, judge):
    """Each primitive of the contract rewritten with primitive() (functions of it alone),
    and functions of every primitive at once: the points split evenly over these."""
    rng = session.rng("wrapper.rewritten")
    kinds = {}
    for name, row in primitives.PRIMITIVES.items():
        if row.role == "primitive":
            kinds[f"the primitive {name} rewritten"] = [
                programs.random_program(rng, n_inputs=2, n_ops=n, primitives=(name,))
                for n in (1, 3)]
    kinds["functions of every primitive"] = [
        programs.random_program(rng, n_inputs=rng.randint(1, 3), n_ops=n)
        for n in (1, 2, 4, 6, 10, 16, 30)]
    check = _rewritten(session)
    by_kind(judge, {kind: (lambda j, cases=cases: check(j, cases))
                    for kind, cases in kinds.items()})
    judge.finish()
