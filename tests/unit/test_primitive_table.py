"""adkit/model/primitives.py: the one table agrees with the reference, with calculus, and
with every place that reads it (programs, wirings, operators, the wrapper's functions)."""

from __future__ import annotations

import math
import random
import types

import pytest

import simpleautodiff as ad
from adkit.model import primitives, programs, scenarios

ROWS = list(primitives.TABLE.values())
PACKAGE_ROWS = list(primitives.PRIMITIVES.values())


def points(row: primitives.Primitive, count: int = 12, seed: int = 0):
    """(args, number) pairs inside the row's domain."""
    rng = random.Random(f"{row.name}:{seed}")
    found = []
    while len(found) < count:
        args = [rng.uniform(-3.0, 3.0) for _ in range(row.arity)]
        p = rng.choice(row.numbers or (2.0,)) if row.number else None
        if primitives.in_domain(row.name, args, p):
            found.append((args, p))
    return found


def test_the_views_partition_the_table():
    assert list(primitives.PRIMITIVES) == [
        "add", "sub", "mul", "div", "neg", "log", "exp", "sin", "cos", "power"]
    assert set(primitives.OPERATIONS) == set(primitives.PRIMITIVES) | {"rpow"}
    assert set(primitives.TABLE) == set(primitives.OPERATIONS) | set(primitives.WRAPPER_ONLY)
    assert {r.name for r in ROWS if r.paper} == {"log", "mul", "add", "sub", "sin"}
    assert programs.PRIMITIVES == tuple(primitives.PRIMITIVES)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_partials_are_the_derivatives(row):
    """Each partial against a central finite difference of the row's value."""
    for args, p in points(row):
        got = primitives.partials(row.name, args, p)
        assert len(got) == row.arity
        for i in range(row.arity):
            h = 1e-6 * max(1.0, abs(args[i]))
            up, down = list(args), list(args)
            up[i] += h
            down[i] -= h
            rise = primitives.value(row.name, up, p) - primitives.value(row.name, down, p)
            slope = rise / (2 * h)
            assert got[i] == pytest.approx(slope, rel=1e-5, abs=1e-6), (row.name, args, p, i)


@pytest.mark.parametrize("row", PACKAGE_ROWS, ids=lambda r: r.name)
def test_the_reference_primitives_follow_the_table(row):
    """Value, local derivatives and operator name of each reference primitive, exactly."""
    for args, p in points(row):
        nodes = [ad.Node(a) for a in args]
        node = getattr(ad, row.name)(*nodes, *([p] if row.number else []))
        assert node.value == primitives.value(row.name, args, p)
        assert node.grad_wrt_parents == primitives.partials(row.name, args, p)
        assert node.operator == row.name
        assert list(node.parent_nodes) == nodes


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_function_makes_the_primitive_with_the_wrapper(row):
    """`primitive(*function(name))` is the row, as the wrapper task asks of students."""
    for args, p in points(row, 4):
        made = ad.primitive(*primitives.function(row.name, p), name=row.name)
        node = made(*[ad.Node(a) for a in args])
        assert node.value == primitives.value(row.name, args, p)
        assert node.grad_wrt_parents == primitives.partials(row.name, args, p)


@pytest.mark.parametrize("row", [r for r in ROWS if r.operator], ids=lambda r: r.name)
def test_operators_on_nodes_give_the_rows_value(row):
    for args, p in points(row, 6):
        if row.name == "rpow":
            p = abs(p) + 0.5  # a positive base
        node = primitives.apply_operator(row.name, [ad.Node(a) for a in args], p)
        assert node.value == pytest.approx(primitives.value(row.name, args, p), rel=1e-12)
        assert primitives.apply_operator(row.name, args, p) == primitives.value(row.name, args, p)


def test_rows_are_plain_data():
    for row in ROWS:
        assert primitives.Primitive.from_dict(row.to_dict()) == row
        scenarios.validate_request({"kind": "wrapper", "row": row.rule(), "name": row.name,
                                    "args": [1.0] * row.arity})
    with pytest.raises(ValueError, match="no operator"):
        primitives.apply_operator("log", [1.0])
    with pytest.raises(ValueError, match="needs its number"):
        primitives.function("power")


def test_rules_see_only_math():
    """A row is data: its expressions cannot reach builtins beyond abs and float."""
    row = primitives.Primitive("evil", 1, "open('/etc/passwd')", ("1.0",))
    primitives.add_row(row)
    try:
        with pytest.raises(NameError):
            primitives.value("evil", [1.0])
    finally:
        del primitives.TABLE["evil"]
        primitives.refresh()
    assert "evil" not in primitives.PRIMITIVES


def test_an_added_row_reaches_programs():
    """A new row is drawn by random programs and wired with its own derivatives."""
    tanh = primitives.Primitive("tanh", 1, "math.tanh(a)", ("1.0 - math.tanh(a) ** 2",))
    primitives.add_row(tanh)
    try:
        program = programs.random_program(random.Random(1), n_ops=40, primitives=("tanh",))
        assert {op["op"] for op in program["ops"]} <= {"tanh", "add"}
        wired = programs.wiring(program)
        k = wired["ops"].index("tanh")
        x = wired["values"][wired["parents"][k][0]]
        assert wired["grads"][k] == [1.0 - math.tanh(x) ** 2]
    finally:
        del primitives.TABLE["tanh"]
        primitives.refresh()
    with pytest.raises(ValueError, match="unknown operation 'tanh'"):
        programs.evaluate({"inputs": [1.0], "ops": [{"op": "tanh", "args": [0]}]})
    with pytest.raises(ValueError, match="unknown operation 'tanh'"):
        programs.wiring({"inputs": [1.0], "ops": [{"op": "tanh", "args": [0]}]})


@pytest.mark.parametrize("seed", range(30))
def test_wirings_are_what_the_reference_builds(seed):
    """programs.wiring: the reference's values and local derivatives, node for node."""
    rng = random.Random(seed)
    program = programs.random_program(rng, n_inputs=rng.randint(1, 4), n_ops=rng.randint(1, 30))
    wired = programs.wiring(program)
    nodes = programs.build(program, ad)
    for i, node in enumerate(nodes):
        w = wired["index"][i]
        assert node.value == wired["values"][w]
        if i >= len(program["inputs"]):
            assert node.grad_wrt_parents == wired["grads"][w]
            assert node.operator == wired["ops"][w]
    assert wired["values"] == [float(v) for v in wired["values"]]


def test_build_looks_up_only_the_primitives_used():
    """A one-file submission without div (or anything else unused) keeps the paper example."""
    partial = types.SimpleNamespace(Node=ad.Node, log=ad.log, mul=ad.mul, sin=ad.sin,
                                    add=ad.add, sub=ad.sub)
    nodes = programs.build(programs.paper_example(), partial)
    assert nodes[-1].value == pytest.approx(math.log(2) + 10 - math.sin(5))


def test_build_writes_rpow_with_its_operator():
    program = {"inputs": [0.5], "ops": [{"op": "rpow", "args": [0], "base": 2.0}]}
    assert programs.build(program, ad)[-1].value == pytest.approx(2.0 ** 0.5)
    assert programs.evaluate(program)[-1] == pytest.approx(2.0 ** 0.5)


def test_random_draws_stay_the_same():
    """The table's order is the draw order: these seeds give the programs they always gave."""
    program = programs.random_program(random.Random(7), n_inputs=2, n_ops=6)
    assert program == {  # what the hand-written rules before the table drew
        "inputs": [1.174, 1.366],
        "ops": [{"op": "sub", "args": [0, 0]}, {"op": "cos", "args": [0]},
                {"op": "exp", "args": [1]}, {"op": "sub", "args": [0, 0]},
                {"op": "div", "args": [4, 4]}, {"op": "power", "args": [4], "p": 0.5},
                {"op": "add", "args": [7, 2]}, {"op": "add", "args": [8, 3]},
                {"op": "add", "args": [9, 5]}, {"op": "add", "args": [10, 6]}]}


def test_spelled():
    assert primitives.spelled("add", ["x1", "x2"]) == "x1 + x2"
    assert primitives.spelled("neg", ["x1"]) == "-x1"
    assert primitives.spelled("power", ["x1"], 2) == "x1 ** 2"
    assert primitives.spelled("rpow", ["x1"], 2.0) == "2 ** x1"
    assert primitives.spelled("hypot", ["x1", "x2"]) == "hypot(x1, x2)"


# --- scenarios ----------------------------------------------------------------------------

def test_requests_are_checked():
    paper = programs.paper_example()
    scenarios.validate_request({"kind": "tape", "program": paper,
                                "calls": [["forward", 0], ["backward", 6]]})
    wired = {k: v for k, v in programs.wiring(paper).items() if k not in ("index", "output")}
    scenarios.validate_request({"kind": "backward", "wiring": wired, "outputs": [6]})
    rule = {"params": ["a"], "value": "math.log(a)", "partials": ["1.0 / a"], "number": None}
    scenarios.validate_request({"kind": "wrapper", "row": rule, "name": None, "args": [1.5]})
    scenarios.validate_request({"kind": "build", "program": paper, "via": "wrapper",
                                "rows": {"log": rule}})
    bad = [
        ({"kind": "forward", "program": paper, "root": [0]}, "missing 'roots'"),
        ({"kind": "order", "program": paper, "start": 9, "reverse": False}, "node 9"),
        ({"kind": "build", "program": {"inputs": [1.0], "ops": [{"op": "tanh", "args": [0]}]}},
         "no such operation"),
        ({"kind": "build", "program": {"inputs": [1.0], "ops": [{"op": "power", "args": [0]}]}},
         "its number p"),
        ({"kind": "wrapper", "function": "hypot", "name": None, "args": [1.0]}, "1 arguments"),
        ({"kind": "tape", "program": paper, "calls": [["sideways", 0]]}, "sideways"),
        ({"kind": "explode"}, "known kind"),
        ({"kind": "order", "program": paper, "wiring": wired, "start": 0, "reverse": False},
         "exactly one of"),
        ({"kind": "order", "wiring": dict(wired, grads=wired["grads"][:-1]), "start": 0,
          "reverse": False}, "differ in length"),
        ({"kind": "wrapper", "row": dict(rule, value="math.log(a"), "name": None,
          "args": [1.5]}, "not an expression"),
        ({"kind": "wrapper", "row": rule, "function": "log", "name": None, "args": [1.5]},
         "exactly one of"),
    ]
    for scenario, words in bad:
        with pytest.raises(ValueError, match=words):
            scenarios.validate_request(scenario)


def test_answers_are_checked():
    paper = programs.paper_example()
    forward = {"kind": "forward", "program": paper, "roots": [0, 1]}
    assert scenarios.validate_answer(forward, {"after": [[1.0] * 7, [0.0] * 7]}) is None
    assert scenarios.validate_answer(forward, {"error": "ZeroDivisionError"}) is None
    for answer, words in [
        ({"after": [[1.0] * 7]}, "after 1 calls, not 2"),
        ({"after": [[1.0] * 6, [0.0] * 7]}, "6 numbers after call 1, not 7"),
        ({"after": [[1] * 7, [0.0] * 7]}, "after[0][0] is an int"),
        ({}, "missing 'after'"),
        ([1.0], "not a dict"),
    ]:
        assert words in (scenarios.validate_answer(forward, answer) or ""), answer
    tape = {"kind": "tape", "program": paper, "calls": []}
    assert "missing 'recorded'" in scenarios.validate_answer(tape, {"after": []})
    order = {"kind": "order", "program": paper, "start": 0, "reverse": False}
    assert scenarios.validate_answer(order, {"order": {"int32": "AAAA"}}) is None
    assert "order[1] is True" in scenarios.validate_answer(order, {"order": [0, True]})
    build = {"kind": "build", "program": paper}
    assert "0 nodes, not 7" in scenarios.validate_answer(build, {"nodes": [], "others": []})


@pytest.mark.slow
def test_the_reference_answers_every_scenario_the_graders_ask_in_the_declared_shape(tmp_path):
    """Grade the reference in this process, checking every request and every answer."""
    from adkit.inside import handler
    from adkit.proofs.inprocess import grade_in_process

    seen = []
    original = handler.handle

    def checked(request):
        reply = original(request)
        for scenario, answer in zip(request.get("scenarios", ()), reply.get("results", ())):
            scenarios.validate_request(scenario)
            seen.append(scenario["kind"])
            assert scenarios.validate_answer(scenario, answer) is None, scenario["kind"]
        return reply

    handler.handle = checked
    try:
        results = grade_in_process(ad.__path__[0].rsplit("/", 1)[0], tmp_path)
    finally:
        handler.handle = original
    assert results["score"] == results.get("max_score", 100) or results["score"] == 100
    assert set(seen) == set(scenarios.REQUESTS)


def test_the_quick_answer_check_agrees_with_the_one_that_explains():
    """validate_answer asks `_fits` first and `_problem` only for the sentence: they must
    agree on every declared answer kind, on good answers and on damaged ones."""
    import random as random_

    rng = random_.Random(7)
    leaves = [1.0, 2, True, None, "x", -0.5, [1.0], {"int32": "AAAA"}, {}, {"a": 1.0}]

    def damaged(value, depth=0):
        if depth > 4 or rng.random() < 0.25:
            return rng.choice(leaves)
        if isinstance(value, dict):
            out = {k: damaged(v, depth + 1) if rng.random() < 0.5 else v for k, v in value.items()}
            if rng.random() < 0.2:
                out[rng.choice(["extra", "after", "nodes"])] = rng.choice(leaves)
            if out and rng.random() < 0.2:
                out.pop(rng.choice(list(out)))
            return out
        if isinstance(value, list):
            return [damaged(v, depth + 1) if rng.random() < 0.3 else v for v in value]
        return value

    node = {"value": 1.0, "operator": "add", "parents": [0, "c0"], "grads": [1.0, 1.0],
            "children": []}
    other = {"value": 2.0, "operator": "const", "n_parents": 0}
    good = {
        "build": {"nodes": [node, node], "others": [other]},
        "order": {"order": [0, 1, -1]},
        "forward": {"after": [[1.0, 0.0], [2.5]]},
        "tape": {"after": [[1.0]], "recorded": [0, 1]},
        "grad": {"grad": [1.0, -2.0]},
        "neighbours": {"rows": [dict(other, parents=["c1"], grads=[1.0], children=[])],
                       "total": 2},
    }
    good["backward"], good["wrapper"] = good["forward"], good["build"]
    assert set(good) == set(scenarios.ANSWERS)
    disagreements = []
    for kind, answer in good.items():
        declared = scenarios.ANSWERS[kind]
        assert scenarios._fits(answer, declared, True)
        for _ in range(300):
            value = damaged(answer)
            quick = scenarios._fits(value, declared, True)
            slow = scenarios._problem(value, declared, "", True) is None
            if quick != slow:
                disagreements.append((kind, value))
    assert not disagreements, disagreements[:3]


def test_every_declared_kind_is_run_by_the_worker_and_no_other():
    """A scenario kind is a row of KINDS (the grader's side) and a function of the handler's
    SCENARIOS (the worker's): the two tables name the same kinds."""
    from adkit.inside import handler

    assert set(handler.SCENARIOS) == set(scenarios.KINDS)
