"""The reference on awkward graphs: shared nodes, repeated calls, huge sizes, tapes, orders."""

from __future__ import annotations

import ast
import inspect
import math
import pkgutil
import random
import sys

import pytest

import simpleautodiff as ad
from adkit.grade import checks
from adkit.model import programs
from tests.helpers import ROOT

REFERENCE = ROOT / "reference" / "simpleautodiff"


def approx(x: float) -> object:
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def link(value: float, parents: list, grads: list, operator: str) -> ad.Node:
    """One node built by hand, the way a primitive would (docs/contract.md, graph wiring)."""
    node = ad.Node(value, parents, operator)
    node.grad_wrt_parents = list(grads)
    for parent in parents:
        parent.child_nodes.append(node)
    return node


def random_graph(seed: int, n_inputs: int = 3, n_ops: int = 25) -> tuple[list, ad.Node]:
    program = programs.random_program(random.Random(seed), n_inputs=n_inputs, n_ops=n_ops)
    nodes = programs.build(program, ad)
    return nodes[:n_inputs], nodes[-1]


# --- small awkward graphs -----------------------------------------------------------------

def test_fan_out_sums_every_use():
    x = ad.Node(0.8)
    y = ad.add(ad.add(ad.sin(x), ad.mul(ad.cos(x), x)), ad.exp(x))
    want = math.cos(0.8) + (-math.sin(0.8) * 0.8 + math.cos(0.8)) + math.exp(0.8)
    assert len(x.child_nodes) == 4
    ad.forward(x)
    assert y.partial_derivative == approx(want)
    ad.backward(y)
    assert x.adjoint == approx(want)


def test_diamond():
    x1, x2 = ad.Node(0.6), ad.Node(1.5)
    a = ad.mul(x1, x2)
    y = ad.add(ad.log(a), ad.exp(a))
    da = 1 / 0.9 + math.exp(0.9)
    ad.backward(y)
    assert (x1.adjoint, x2.adjoint) == (approx(da * 1.5), approx(da * 0.6))
    ad.forward(x1)
    assert y.partial_derivative == approx(da * 1.5)
    assert ad.topological_order(x1).count(a) == 1


def test_x_times_x():
    x = ad.Node(3.0)
    y = ad.mul(x, x)
    assert y.parent_nodes == [x, x] and y.grad_wrt_parents == [3.0, 3.0]
    assert x.child_nodes == [y, y]
    assert ad.topological_order(x) == [x, y]
    assert ad.reverse_topological_order(y) == [y, x]
    ad.forward(x)
    assert y.partial_derivative == approx(6.0)
    ad.backward(y)
    assert x.adjoint == approx(6.0)


@pytest.mark.parametrize("make, value", [(ad.sub, 0.0), (ad.div, 1.0)])
def test_x_minus_x_and_x_over_x_have_zero_derivative(make, value):
    x = ad.Node(3.0)
    y = make(x, x)
    assert y.value == approx(value)
    ad.forward(x)
    assert y.partial_derivative == pytest.approx(0.0, abs=1e-15)
    ad.backward(y)
    assert x.adjoint == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("make, value, derivative", [
    (lambda x: ad.add(2, x), 5.0, 1.0),
    (lambda x: ad.add(x, 2), 5.0, 1.0),
    (lambda x: ad.sub(2, x), -1.0, -1.0),
    (lambda x: ad.sub(x, 2.5), 0.5, 1.0),
    (lambda x: ad.mul(4, x), 12.0, 4.0),
    (lambda x: ad.mul(x, 4), 12.0, 4.0),
    (lambda x: ad.div(2, x), 2 / 3, -2 / 9),
    (lambda x: ad.div(x, 2), 1.5, 0.5),
    (lambda x: 2 - x * 3, -7.0, -3.0),
    (lambda x: 1 / x + x / 4, 1 / 3 + 0.75, -1 / 9 + 0.25),
])
def test_constants_on_either_side(make, value, derivative):
    x = ad.Node(3.0)
    y = make(x)
    assert y.value == approx(value)
    constants = [n for n in ad.reverse_topological_order(y) if n.operator == "const"]
    assert constants, "a plain number must become a constant node"
    ad.forward(x)
    assert y.partial_derivative == approx(derivative)
    ad.backward(y)
    assert x.adjoint == approx(derivative)


def test_forward_x2_after_x1_on_the_same_graph():
    # x1*x1 cannot be reached from x2: its tangent from forward(x1) must not leak.
    x1, x2 = ad.Node(1.5), ad.Node(0.5)
    y = ad.add(ad.mul(x1, x1), ad.sin(x2))
    ad.forward(x1)
    assert y.partial_derivative == approx(3.0)
    ad.forward(x2)
    assert y.partial_derivative == approx(math.cos(0.5))
    ad.forward(x1)
    assert y.partial_derivative == approx(3.0)


def test_backward_twice_and_on_two_outputs_sharing_inputs():
    x, z = ad.Node(0.4), ad.Node(2.0)
    shared = ad.mul(x, z)
    y1 = ad.exp(shared)
    y2 = ad.add(ad.sin(x), shared)
    for _ in range(2):
        ad.backward(y1)
        assert (x.adjoint, z.adjoint) == (approx(2.0 * math.exp(0.8)), approx(0.4 * math.exp(0.8)))
    ad.backward(y2)
    assert (x.adjoint, z.adjoint) == (approx(math.cos(0.4) + 2.0), approx(0.4))
    ad.backward(y1)
    assert (x.adjoint, z.adjoint) == (approx(2.0 * math.exp(0.8)), approx(0.4 * math.exp(0.8)))


# --- big graphs at the default recursion limit ----------------------------------------------

@pytest.fixture
def default_recursion_limit():
    """Python's default limit (or lower), never raised: graph walks must be iterative."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(min(before, 1000))
    assert sys.getrecursionlimit() <= 1000
    yield
    sys.setrecursionlimit(before)


def test_wide_graph_of_100000_nodes(default_recursion_limit):
    n = 33_334  # 3n - 1 = 100,001 nodes
    program = programs.wide_program(n)
    nodes = programs.build(program, ad)
    assert len(nodes) == 3 * n - 1
    xs, y = [v for v in program["inputs"]], nodes[-1]
    # y = Σ x_i x_{i+1} (indices mod n), so ∂y/∂x_i = x_{i-1} + x_{i+1}.
    assert y.value == pytest.approx(sum(xs[i] * xs[(i + 1) % n] for i in range(n)), rel=1e-9)
    ad.backward(y)
    for i in range(n):
        want = xs[i - 1] + xs[(i + 1) % n]
        assert nodes[i].adjoint == pytest.approx(want, rel=1e-12, abs=1e-12), f"x{i + 1}"
    for i in (0, n // 2, n - 1):
        ad.forward(nodes[i])
        assert y.partial_derivative == pytest.approx(xs[i - 1] + xs[(i + 1) % n], abs=1e-12)


def chain_by_hand(a: float, b: float, c: float, depth: int) -> tuple[float, float, float, float]:
    """Value and ∂/∂(x1, x2, x3) of chain_program's cycle (+x2, *x3, negate, -x2), in floats."""
    v, da, db, dc = a, 1.0, 0.0, 0.0
    for k in range(depth):
        step = k % 4
        if step == 0:
            v, db = v + b, db + 1.0
        elif step == 1:
            v, da, db, dc = v * c, da * c, db * c, dc * c + v
        elif step == 2:
            v, da, db, dc = -v, -da, -db, -dc
        else:
            v, db = v - b, db - 1.0
    return v, da, db, dc


def test_chain_100000_deep(default_recursion_limit):
    depth = 100_000
    program = programs.chain_program(depth)
    assert [op["op"] for op in program["ops"][:4]] == ["add", "mul", "neg", "sub"]
    a, b, c = program["inputs"]
    value, da, db, dc = chain_by_hand(a, b, c, depth)
    assert da == pytest.approx((-c) ** (depth // 4), rel=1e-9)  # the x1 path alone
    nodes = programs.build(program, ad)
    x1, x2, x3, y = nodes[0], nodes[1], nodes[2], nodes[-1]
    assert y.value == pytest.approx(value, rel=1e-9)
    ad.backward(y)
    got = (x1.adjoint, x2.adjoint, x3.adjoint)
    assert got == (pytest.approx(da, rel=1e-9), pytest.approx(db, rel=1e-9),
                   pytest.approx(dc, rel=1e-9))
    for x, want in ((x1, da), (x2, db), (x3, dc)):
        ad.forward(x)
        assert y.partial_derivative == pytest.approx(want, rel=1e-9)
    assert len(ad.topological_order(x1)) == depth + 1
    assert len(ad.reverse_topological_order(y)) == depth + 3


# --- the tape -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(12))
def test_tape_agrees_with_forward_and_backward(seed):
    with ad.Tape() as tape:
        inputs, y = random_graph(seed, n_inputs=1 + seed % 4)
    assert tape.nodes[-1] is y and all(x in tape.nodes for x in inputs)
    for x in inputs:
        ad.forward(x)
        searched = {id(n): n.partial_derivative for n in ad.topological_order(x)}
        tape.forward(x)
        for node in tape.nodes:
            assert node.partial_derivative == approx(searched.get(id(node), 0.0)), (
                f"seed {seed}: tape.forward and forward disagree on {node!r}")
    ad.backward(y)
    searched = {id(n): n.adjoint for n in ad.reverse_topological_order(y)}
    tape.backward(y)
    for node in tape.nodes:
        assert node.adjoint == approx(searched[id(node)]), f"seed {seed}: {node!r}"


def test_nested_tapes_and_nodes_outside_any_tape():
    before = ad.Node(1.0)
    with ad.Tape() as outer:
        a = ad.Node(0.5)
        with ad.Tape() as inner:
            b = ad.mul(a, 2)
        c = ad.sin(b)
    after = ad.exp(c)
    const = b.parent_nodes[1]
    assert outer.nodes == [a, const, b, c]
    assert inner.nodes == [const, b]
    assert before not in outer.nodes and after not in outer.nodes
    outer.backward(c)
    assert a.adjoint == approx(2 * math.cos(1.0))


def test_tape_left_by_an_exception_stops_recording():
    with pytest.raises(ZeroDivisionError):
        with ad.Tape() as tape:
            x = ad.Node(1.0)
            ad.div(x, 0.0)
    later = ad.Node(2.0)
    assert later not in tape.nodes and tape.nodes[0] is x
    with ad.Tape() as fresh:
        y = ad.Node(3.0)
    assert fresh.nodes == [y] and y not in tape.nodes


# --- no state shared between graphs -----------------------------------------------------

def test_building_another_graph_changes_nothing_in_the_first():
    inputs, y = random_graph(5)
    ad.backward(y)
    first = [x.adjoint for x in inputs]
    ad.forward(inputs[0])
    tangent = y.partial_derivative
    other_inputs, other_y = random_graph(6)
    ad.backward(other_y)
    ad.forward(other_inputs[0])
    assert [x.adjoint for x in inputs] == first
    assert y.partial_derivative == tangent
    ad.backward(y)
    ad.forward(inputs[0])
    assert [x.adjoint for x in inputs] == first and y.partial_derivative == tangent


def test_node_names_are_not_global_counters():
    program = programs.random_program(random.Random(3), n_inputs=2, n_ops=10)
    first, second = programs.build(program, ad), programs.build(program, ad)
    assert [n.name for n in first] == [n.name for n in second]
    assert ad.Node(1.0).name == ad.Node(1.0).name
    assert ad.evaluation_trace(first[-1]) == ad.evaluation_trace(second[-1])


def _reference_functions() -> list:
    import simpleautodiff

    found = []
    for info in pkgutil.iter_modules(simpleautodiff.__path__):
        module = __import__(f"simpleautodiff.{info.name}", fromlist=["_"])
        for _, obj in inspect.getmembers(module):
            if inspect.isclass(obj) and obj.__module__ == module.__name__:
                found += [f for _, f in inspect.getmembers(obj, inspect.isfunction)]
            elif callable(obj) and getattr(obj, "__module__", None) == module.__name__:
                found.append(obj)
    return found


MUTABLE = (list, dict, set, bytearray)


def test_no_mutable_default_arguments_in_reference():
    functions = _reference_functions()
    assert len(functions) > 20
    for function in functions:
        for param in inspect.signature(function).parameters.values():
            assert not isinstance(param.default, MUTABLE), (
                f"{function.__qualname__}({param.name}={param.default!r}): mutable default")
    # Nested and generated functions too: look at the source.
    sources = sorted(REFERENCE.glob("*.py"))
    assert sources, f"no reference modules in {REFERENCE}"
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for default in node.args.defaults + node.args.kw_defaults:
                    bad = isinstance(default, (ast.List, ast.Dict, ast.Set, ast.ListComp,
                                               ast.DictComp, ast.SetComp)) or (
                        isinstance(default, ast.Call) and isinstance(default.func, ast.Name)
                        and default.func.id in ("list", "dict", "set", "bytearray"))
                    assert not bad, f"{path.name}:{default.lineno}: mutable default argument"


# --- topological orders, checked by the graders' own checker (adkit.grade.checks) ----------------

def order_problem(order: list, start: ad.Node, reverse: bool = False) -> str | None:
    """adkit.grade.checks.check_order on Node objects: None if `order` is valid, else what is wrong.

    reverse=False checks topological_order(start), True reverse_topological_order(start).
    """
    nodes, seen, stack = [], {id(start)}, [start]
    while stack:  # every node connected to start, either way
        node = stack.pop()
        nodes.append(node)
        for other in node.parent_nodes + node.child_nodes:
            if id(other) not in seen:
                seen.add(id(other))
                stack.append(other)
    index = {id(n): i for i, n in enumerate(nodes)}
    parents = [[index[id(p)] for p in n.parent_nodes] for n in nodes]
    children = [[index[id(c)] for c in n.child_nodes] for n in nodes]
    return checks.check_order([index.get(id(n), -1) for n in order], index[id(start)],
                              parents, reverse=reverse, children=children,
                              names=[repr(n) for n in nodes])


def _paper_graph():
    x1, x2 = ad.Node(2.0, name="x1"), ad.Node(5.0, name="x2")
    v1 = link(math.log(2.0), [x1], [0.5], "log")
    v2 = link(10.0, [x1, x2], [5.0, 2.0], "mul")
    v3 = link(math.sin(5.0), [x2], [math.cos(5.0)], "sin")
    v4 = link(v1.value + v2.value, [v1, v2], [1.0, 1.0], "add")
    y = link(v4.value - v3.value, [v4, v3], [1.0, -1.0], "sub")
    return x1, x2, v1, v2, v3, v4, y


@pytest.mark.parametrize("kind, make, words", [
    ("missing node", lambda x1, x2, v1, v2, v3, v4, y: [x1, v1, v2, v4], "missing"),
    ("duplicate", lambda x1, x2, v1, v2, v3, v4, y: [x1, v1, v2, v2, v4, y], "twice"),
    ("parent after child", lambda x1, x2, v1, v2, v3, v4, y: [x1, v1, v4, v2, y],
     "before its parent"),
    ("wrong first node", lambda x1, x2, v1, v2, v3, v4, y: [v1, x1, v2, v4, y], "starts with"),
    ("extra unreachable node", lambda x1, x2, v1, v2, v3, v4, y: [x1, v1, v2, v3, v4, y],
     "not reachable"),
    ("empty", lambda *nodes: [], "empty"),
    ("not a node", lambda x1, x2, v1, v2, v3, v4, y: [x1, v1, v2, ad.Node(0.0), v4, y],
     "not a node"),
])
def test_order_checker_rejects_bad_orders(kind, make, words):
    nodes = _paper_graph()
    problem = order_problem(make(*nodes), nodes[0])
    assert problem is not None and words in problem, f"{kind}: {problem}"


def test_order_checker_accepts_valid_orders_and_rejects_bad_reverse_ones():
    x1, x2, v1, v2, v3, v4, y = _paper_graph()
    for order in ([x1, v1, v2, v4, y], [x1, v2, v1, v4, y]):
        assert order_problem(order, x1) is None
    assert order_problem([y, v3, v4, v2, x2, v1, x1], y, reverse=True) is None
    assert "after its parent" in order_problem([y, v4, v3, x2, v2, v1, x1], y, reverse=True)
    assert "missing" in order_problem([y, v4, v2, v1, x1, v3], y, reverse=True)


@pytest.mark.parametrize("seed", range(20))
def test_reference_orders_pass_the_checker(seed):
    inputs, y = random_graph(100 + seed, n_inputs=1 + seed % 5, n_ops=5 + 2 * seed)
    for x in inputs:
        assert order_problem(ad.topological_order(x), x) is None, seed
    assert order_problem(ad.reverse_topological_order(y), y, reverse=True) is None, seed


# --- primitive: every primitive of the reference rewritten with the wrapper -----------------

REWRITTEN = {
    "add": ad.primitive(lambda a, b: a + b, lambda a, b: 1.0, lambda a, b: 1.0, name="add"),
    "sub": ad.primitive(lambda a, b: a - b, lambda a, b: 1.0, lambda a, b: -1.0, name="sub"),
    "mul": ad.primitive(lambda a, b: a * b, lambda a, b: b, lambda a, b: a, name="mul"),
    "div": ad.primitive(lambda a, b: a / b, lambda a, b: 1.0 / b,
                        lambda a, b: -a / (b * b), name="div"),
    "neg": ad.primitive(lambda a: -a, lambda a: -1.0, name="neg"),
    "log": ad.primitive(math.log, lambda a: 1.0 / a, name="log"),
    "exp": ad.primitive(math.exp, math.exp, name="exp"),
    "sin": ad.primitive(math.sin, math.cos, name="sin"),
    "cos": ad.primitive(math.cos, lambda a: -math.sin(a), name="cos"),
}


def _power(p: float):
    return ad.primitive(lambda a: a**p, lambda a: p * a ** (p - 1.0), name="power")


@pytest.mark.parametrize("name", sorted(REWRITTEN) + ["power"])
def test_every_primitive_can_be_written_with_primitive(name):
    original = getattr(ad, name)
    if name == "power":
        cases = [((ad.Node(1.7),), p) for p in programs.EXPONENTS]
        pairs = [(lambda *a, p=p: original(*a, p), _power(float(p)), args) for args, p in cases]
    elif name in programs.BINARY:
        pairs = [(original, REWRITTEN[name], args)
                 for args in ((ad.Node(0.7), ad.Node(1.9)), (2.5, ad.Node(1.9)),
                              (ad.Node(0.7), -1.25))]
    else:
        pairs = [(original, REWRITTEN[name], (ad.Node(a),)) for a in (0.7, 1.9)]
    for first, second, args in pairs:
        want, got = first(*args), second(*args)
        assert (got.value, got.grad_wrt_parents, got.operator) == (
            want.value, want.grad_wrt_parents, want.operator), name
        assert [p.value for p in got.parent_nodes] == [p.value for p in want.parent_nodes]
        assert [p.operator for p in got.parent_nodes] == [p.operator for p in want.parent_nodes]
        for parent in got.parent_nodes:
            assert parent.child_nodes[-1] is got


def test_primitive_of_three_arguments_and_wrong_argument_counts():
    fma = ad.primitive(lambda a, b, c: a * b + c, lambda a, b, c: b, lambda a, b, c: a,
                       lambda a, b, c: 1.0, name="fma")
    x, z = ad.Node(2.0), ad.Node(-1.0)
    y = fma(x, 3, z)
    assert (y.value, y.grad_wrt_parents, y.operator) == (5.0, [3.0, 2.0, 1.0], "fma")
    assert y.parent_nodes[0] is x and y.parent_nodes[1].operator == "const"
    ad.backward(y)
    assert (x.adjoint, z.adjoint) == (3.0, 1.0)
    for make, args in ((REWRITTEN["add"], (x,)), (REWRITTEN["neg"], (x, z)), (fma, (x, z))):
        with pytest.raises(TypeError, match="argument"):
            make(*args)
    with pytest.raises(TypeError, match="expected a Node or a number"):
        REWRITTEN["add"](x, "2")
