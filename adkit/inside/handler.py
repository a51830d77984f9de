"""The grader's hands inside the sandbox: runs named scenarios with the student's package.

`handle({"scenarios": [...]})` runs each scenario with `simpleautodiff` (imported from the
submission) and returns `{"results": [...]}`, one plain JSON-able dict per scenario, or
`{"error": "..."}` for a scenario that failed. Nothing here judges the student: the grader
compares what comes back with the reference's answers in its own process, where the same
scenarios run against the reference (`run(scenario, reference_module)`).

Graphs for every task but `graph`, `wrapper` and `operators` are wired by hand here, from
`Node` alone, as CONTRACT.md's "graph wiring" row says: a wrong primitive then costs only
`graph` points. Nodes are told apart by identity (`id`), never by `==` or `hash`, which a
submission may redefine. This file is copied into the sandbox: standard library and
`programs` only.
"""

from __future__ import annotations

import binascii
import gc
import itertools
import json
import math
import os
import sys
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

if __package__:
    from adkit.model import programs
else:  # copied into the sandbox beside programs.py
    import programs

# Builtins as they were before the student's code ran (it may replace them in `builtins`).
_float, _int, _type, _id, _str, _len = float, int, type, id, str, len

# Longest list accepted from the student's code (an endless generator must not hang us).
_MAX_ITEMS = 2_000_000
# Graphs kept between calls (big ones are built once per worker), and the student module.
_STATE: dict[str, Any] = {}


class ScenarioError(Exception):
    """The student's code returned something unusable; the message says what."""


# --- float rules: value and local derivatives of every primitive, for wiring by hand ------

def _rule(name: str, args: list[float], p: float | None) -> list[float]:
    a = args[0]
    if name == "add":
        return [1.0, 1.0]
    if name == "sub":
        return [1.0, -1.0]
    if name == "mul":
        return [args[1], a]
    if name == "div":
        return [1.0 / args[1], -a / (args[1] * args[1])]
    if name == "neg":
        return [-1.0]
    if name == "log":
        return [1.0 / a]
    if name == "exp":
        return [math.exp(a)]
    if name == "sin":
        return [math.cos(a)]
    if name == "cos":
        return [-math.sin(a)]
    if name == "power":
        return [p * a ** (p - 1.0)]
    raise ScenarioError(f"unknown operation {name!r}")


def wiring(program: dict[str, Any]) -> dict[str, Any]:
    """The hand-wired graph of `program`: one entry per node, constants as nodes of their own.

    Node order is creation order (inputs, then each op's constants, then the op), so it is
    a topological order. `index[i]` is the wired index of program node `i`.
    """
    values: list[float] = [float(v) for v in program["inputs"]]
    ops: list[str] = ["input"] * len(values)
    parents: list[list[int]] = [[] for _ in values]
    grads: list[list[float]] = [[] for _ in values]
    index = list(range(len(values)))
    for op in program["ops"]:
        ids: list[int] = []
        for a in op["args"]:
            if isinstance(a, dict):
                values.append(float(a["const"]))
                ops.append("const")
                parents.append([])
                grads.append([])
                ids.append(len(values) - 1)
            else:
                ids.append(index[a])
        arg_values = [values[i] for i in ids]
        p = op.get("p")
        values.append(programs._apply(op["op"], arg_values, p))
        ops.append(op["op"])
        parents.append(ids)
        grads.append(_rule(op["op"], arg_values, p))
        index.append(len(values) - 1)
    return {"values": values, "ops": ops, "parents": parents, "grads": grads,
            "index": index, "output": index[-1]}


def generate(spec: dict[str, Any]) -> dict[str, Any]:
    """The program a scenario names: given in full, or generated (big graphs)."""
    if "program" in spec:
        return spec["program"]
    kind, size, seed = spec["generate"]
    import random

    if kind == "chain":
        return programs.chain_program(size, random.Random(seed))
    if kind == "star":
        return programs.star_program(size)
    raise ScenarioError(f"unknown generated graph {kind!r}")


def generated_wiring(kind: str, size: int, seed: int) -> dict[str, Any]:
    """`wiring(generate(...))` for a big generated graph, without the program in between.

    The same numbers in the same order as `wiring(programs.chain_program(...))` or
    `wiring(programs.star_program(...))` (tests/test_grade_checks.py holds them equal), about
    5x faster (0.07 s against 0.38 s for 100,000 ops), and the grader need not send a
    program of that size: the worker builds these graphs for every student.
    """
    import random

    rng = random.Random(seed)
    if kind == "chain":
        x3 = 1.0 + rng.uniform(-1e-5, 1e-5)
        x1, x2 = round(rng.uniform(0.5, 1.5), 6), round(rng.uniform(0.5, 1.5), 6)
        values, parents, grads, ops = [x1, x2, x3], [[], [], []], [[], [], []], ["input"] * 3
        # Constant rows are shared: nothing changes a wiring, and _hand_build copies them.
        add_grads, neg_grads, sub_grads = [1.0, 1.0], [-1.0], [1.0, -1.0]
        value = x1
        for k in range(size):
            prev = 0 if k == 0 else 2 + k
            step = k % 4
            if step == 0:
                value, op, ps, gs = value + x2, "add", [prev, 1], add_grads
            elif step == 1:
                value, op, ps, gs = value * x3, "mul", [prev, 2], [x3, value]
            elif step == 2:
                value, op, ps, gs = -value, "neg", [prev], neg_grads
            else:
                value, op, ps, gs = value - x2, "sub", [prev, 1], sub_grads
            values.append(value)
            ops.append(op)
            parents.append(ps)
            grads.append(gs)
    elif kind == "star":
        values, ops = [1.5] + [-1.5] * size, ["input"] + ["neg"] * size
        parents, grads = [[]] + [[0] for _ in range(size)], [[]] + [[-1.0] for _ in range(size)]
    else:
        raise ScenarioError(f"unknown generated graph {kind!r}")
    index = list(range(len(values)))
    return {"values": values, "ops": ops, "parents": parents, "grads": grads,
            "index": index, "output": len(values) - 1}


def _hand_build(wired: dict[str, Any], ad: Any, made: list[Any] | None = None) -> list[Any]:
    """Create the wired graph's nodes with the student's `Node`, wiring each by hand.

    `made` holds the first nodes when they were created already (inputs made before a tape).
    """
    node_class = ad.Node
    nodes: list[Any] = list(made or ())
    rows = zip(wired["values"], wired["ops"], wired["parents"], wired["grads"])
    for value, op, ps, gs in itertools.islice(rows, len(nodes), None):
        if op == "input":
            node = node_class(value)
        elif op == "const":
            node = node_class(value, [], "const")
        elif len(ps) == 2:  # the common cases spelled out: this runs 100,000 times a graph
            a, b = nodes[ps[0]], nodes[ps[1]]
            node = node_class(value, [a, b], op)
            node.grad_wrt_parents = list(gs)
            a.child_nodes.append(node)
            b.child_nodes.append(node)  # twice into a's list when a is b (x * x)
        else:
            parent_nodes = [nodes[i] for i in ps]
            node = node_class(value, parent_nodes, op)
            node.grad_wrt_parents = list(gs)
            for parent in parent_nodes:
                parent.child_nodes.append(node)
        nodes.append(node)
    return nodes


# --- the worker's own walks, swapped in so one task's bug does not fail another ----------

def _walk(start: Any, edges: str) -> list[Any]:
    """Reversed depth-first post-order from `start` along `edges`, by identity, iteratively."""
    seen = {id(start)}
    postorder: list[Any] = []
    path = [start]
    next_index = [0]
    while path:
        neighbours = getattr(path[-1], edges)
        i = next_index[-1]
        while i < len(neighbours) and id(neighbours[i]) in seen:
            i += 1
        if i < len(neighbours):
            next_index[-1] = i + 1
            seen.add(id(neighbours[i]))
            path.append(neighbours[i])
            next_index.append(0)
        else:
            postorder.append(path.pop())
            next_index.pop()
    postorder.reverse()
    return postorder


def _reachable(parents: list[list[int]], start: int, reverse: bool) -> list[int]:
    """Indices reachable from `start` in a wiring, in creation order (reversed if `reverse`).

    Creation order is a topological order (a node's parents come before it), so this is a
    valid order, found in one pass over integers: several times faster than a walk over the
    student's node objects, which matters on the 100,000-node graphs.
    """
    mark = bytearray(len(parents))
    mark[start] = 1
    if reverse:
        out = []
        for i in range(start, -1, -1):
            if mark[i]:
                out.append(i)
                for p in parents[i]:
                    mark[p] = 1
        return out
    for i in range(start + 1, len(parents)):
        for p in parents[i]:
            if mark[p]:
                mark[i] = 1
                break
    return [i for i in range(start, len(parents)) if mark[i]]


class _Graph:
    """Hand-wired nodes, their wiring, and the tape that recorded them (or why it failed)."""

    def __init__(self, nodes: list[Any], wired: dict[str, Any], tape: Any) -> None:
        self.nodes = nodes
        self.wired = wired
        self.tape = tape
        self._known: dict[int, int] | None = None
        self._orders: dict[tuple[int, bool], list[Any]] = {}

    def known(self) -> dict[int, int]:
        """id(node) -> index, for reading back what the student returns."""
        if self._known is None:
            self._known = {_id(n): i for i, n in enumerate(self.nodes)}
        return self._known

    def own_order(self, reverse: bool) -> Callable[[Any], list[Any]]:
        """The worker's (reverse_)topological_order, swapped in for the student's."""
        edges = "parent_nodes" if reverse else "child_nodes"

        def order(start: Any) -> list[Any]:
            i = self.known().get(_id(start))
            if i is None:  # not a node of this graph: walk what is there
                return _walk(start, edges)
            if (i, reverse) not in self._orders:
                self._orders[(i, reverse)] = [
                    self.nodes[k] for k in _reachable(self.wired["parents"], i, reverse)]
            return list(self._orders[(i, reverse)])  # a copy: the caller may change it

        return order


def _own_reverse_topological_order(output: Any) -> list[Any]:
    return _walk(output, "parent_nodes")


def _own_backward(output: Any) -> None:
    order = _walk(output, "parent_nodes")
    for node in order:
        node.adjoint = 0.0
    output.adjoint = 1.0
    for node in order:
        for parent, local in zip(node.parent_nodes, node.grad_wrt_parents):
            parent.adjoint += node.adjoint * local


@contextmanager
def _isolated(
    function: Any, ad: Any, replacements: dict[str, Callable[..., Any]]
) -> Iterator[None]:
    """Swap the named helpers, where `function`'s module and the package use them, for ours."""
    spaces = [getattr(function, "__globals__", None), getattr(ad, "__dict__", None)]
    saved: list[tuple[dict[str, Any], str, Any]] = []
    for k, space in enumerate(spaces):
        if not isinstance(space, dict) or any(space is other for other in spaces[:k]):
            continue
        for name, replacement in replacements.items():
            if name in space:
                saved.append((space, name, space[name]))
                space[name] = replacement
    try:
        yield
    finally:
        for space, name, old in reversed(saved):
            space[name] = old


# --- reading the student's objects as plain data ------------------------------------------

def _num(x: Any, what: str) -> float:
    if _type(x) is _float:
        return x
    if _type(x) is _int:
        return _float(x)
    try:
        value = _float(x)
    except BaseException:  # noqa: B036 - any failure of a student's __float__ is theirs
        raise ScenarioError(f"{what} is a {_type(x).__name__}, not a number") from None
    if _type(value) is not _float:
        raise ScenarioError(f"{what} is a {_type(x).__name__}, not a number")
    return value


def _items(x: Any, what: str) -> list[Any]:
    if _type(x) is list:
        return x
    try:
        out = []
        for item in x:
            out.append(item)
            if len(out) > _MAX_ITEMS:
                raise ScenarioError(f"{what} never ends")
        return out
    except ScenarioError:
        raise
    except BaseException:  # noqa: B036
        raise ScenarioError(f"{what} is a {type(x).__name__}, not a list") from None


def _indices(nodes: Any, known: dict[int, int], what: str) -> list[int]:
    """The index of each returned node, -1 for objects that are not nodes of the graph."""
    return [known.get(_id(n), -1) for n in _items(nodes, what)]


def _report(nodes: list[Any], report: list[int] | None, attribute: str) -> list[float]:
    chosen = range(len(nodes)) if report is None else report
    return [_num(getattr(nodes[i], attribute), f"{attribute} of node #{i}") for i in chosen]


def _text(x: Any) -> str:
    return x if _type(x) is _str else f"<{_type(x).__name__}>"


def describe(nodes: list[Any]) -> dict[str, Any]:
    """Values and structure of `nodes` and of the nodes next to them, by index.

    A neighbour that is not in `nodes` (a constant node, or a node the grader did not
    expect) is listed in `others` and referred to as "c<k>".
    """
    known = {id(n): i for i, n in enumerate(nodes)}
    others: list[Any] = []
    other_ids: dict[int, str] = {}

    def ref(n: Any) -> int | str:
        if id(n) in known:
            return known[id(n)]
        if id(n) not in other_ids:
            other_ids[id(n)] = f"c{len(others)}"
            others.append(n)
        return other_ids[id(n)]

    described = []
    for i, node in enumerate(nodes):
        parents = _items(node.parent_nodes, f"parent_nodes of node #{i}")
        grads = _items(node.grad_wrt_parents, f"grad_wrt_parents of node #{i}")
        described.append({
            "value": _num(node.value, f"value of node #{i}"),
            "operator": _text(node.operator),
            "parents": [ref(p) for p in parents],
            "grads": [_num(g, f"grad_wrt_parents of node #{i}") for g in grads],
            "children": [ref(c) for c in _items(node.child_nodes, f"child_nodes of node #{i}")],
        })
    extra = []
    for k, node in enumerate(others):
        extra.append({
            "value": _num(node.value, f"value of constant c{k}"),
            "operator": _text(node.operator),
            "n_parents": len(_items(node.parent_nodes, f"parent_nodes of c{k}")),
        })
    return {"nodes": described, "others": extra}


# --- building with the student's functions ------------------------------------------------

def _build_with_operators(program: dict[str, Any], ad: Any) -> list[Any]:
    """Build `program` with Python's operators on Nodes (numbers stay plain numbers)."""
    nodes = [ad.Node(float(v)) for v in program["inputs"]]
    for op in program["ops"]:
        a, *rest = [x["const"] if isinstance(x, dict) else nodes[x] for x in op["args"]]
        name = op["op"]
        if name == "add":
            node = a + rest[0]
        elif name == "sub":
            node = a - rest[0]
        elif name == "mul":
            node = a * rest[0]
        elif name == "div":
            node = a / rest[0]
        elif name == "neg":
            node = -a
        elif name == "power":
            node = a ** op["p"]
        elif name == "rpow":  # number ** node
            node = op["base"] ** a
        else:
            node = getattr(ad, name)(a)
        nodes.append(node)
    return nodes


# Float functions the wrapper task turns into primitives: value, then one partial per argument.
WRAPPED: dict[str, tuple[Callable[..., float], tuple[Callable[..., float], ...]]] = {
    "square": (lambda a: a * a, (lambda a: 2.0 * a,)),
    "hypot": (lambda a, b: math.sqrt(a * a + b * b),
              (lambda a, b: a / math.sqrt(a * a + b * b),
               lambda a, b: b / math.sqrt(a * a + b * b))),
    "muladd": (lambda a, b, c: a * b + c,
               (lambda a, b, c: b, lambda a, b, c: a, lambda a, b, c: 1.0)),
    "add": (lambda a, b: a + b, (lambda a, b: 1.0, lambda a, b: 1.0)),
    "sub": (lambda a, b: a - b, (lambda a, b: 1.0, lambda a, b: -1.0)),
    "mul": (lambda a, b: a * b, (lambda a, b: b, lambda a, b: a)),
    "div": (lambda a, b: a / b, (lambda a, b: 1.0 / b, lambda a, b: -a / (b * b))),
    "neg": (lambda a: -a, (lambda a: -1.0,)),
    "log": (math.log, (lambda a: 1.0 / a,)),
    "exp": (math.exp, (math.exp,)),
    "sin": (math.sin, (math.cos,)),
    "cos": (math.cos, (lambda a: -math.sin(a),)),
}


def _wrapped(ad: Any, function: str, name: str | None) -> Callable[..., Any]:
    value, partials = WRAPPED[function]
    if name is None:
        return ad.primitive(value, *partials)
    return ad.primitive(value, *partials, name=name)


class _WrappedPrimitives:
    """The contract's primitives rewritten with the student's `primitive`."""

    def __init__(self, ad: Any) -> None:
        self.Node = ad.Node
        self._ad = ad
        for name in programs.PRIMITIVES:
            if name != "power":
                setattr(self, name, _wrapped(ad, name, name))

    def power(self, a: Any, p: float) -> Any:
        p = float(p)
        return self._ad.primitive(lambda x: x**p, lambda x: p * x ** (p - 1.0), name="power")(a)


def _build(program: dict[str, Any], ad: Any, via: str) -> list[Any]:
    if via == "primitives":
        return programs.build(program, ad)
    if via == "operators":
        return _build_with_operators(program, ad)
    if via == "wrapper":
        return programs.build(program, _WrappedPrimitives(ad))
    raise ScenarioError(f"unknown builder {via!r}")


# --- scenarios ----------------------------------------------------------------------------

def _graph(scenario: dict[str, Any], ad: Any) -> _Graph:
    """The hand-wired graph for a scenario: its nodes, its wiring, and the tape that
    recorded them (or the error the student's Tape raised).

    Graphs marked "keep" are built once per worker and reused by later calls (big graphs).
    Graphs marked "record" are built inside `with Tape()`; when the student's Tape fails,
    the graph is built without it and the tape scenario reports the failure.
    """
    keep = scenario.get("keep", False)
    record = scenario.get("record", False)
    if keep:
        key = json.dumps([scenario.get("generate") or scenario["program"], record],
                         sort_keys=True)
        if key in _STATE.get("kept", {}):
            return _STATE["kept"][key]
    if "generate" in scenario:
        wired = generated_wiring(*scenario["generate"])
    else:
        wired = wiring(scenario["program"])
    tape: Any = None
    if record:
        # "inputs_outside": the inputs exist before the tape starts, as in
        # `x = Node(2.0); with Tape() as tape: y = f(x)`; they are not on the tape.
        outside = []
        if scenario.get("inputs_outside"):
            outside = [ad.Node(v) for v, op in zip(wired["values"], wired["ops"])
                       if op == "input"]
        try:
            with ad.Tape() as recording:
                nodes = _hand_build(wired, ad, outside)
            tape = recording
        except Exception as error:  # a broken Tape must not cost the other tasks
            tape = ScenarioError(_explain(error))
            nodes = _hand_build(wired, ad)
    else:
        nodes = _hand_build(wired, ad)
    graph = _Graph(nodes, wired, tape)
    if keep:
        _STATE.setdefault("kept", {})[key] = graph
    return graph


def _scenario_order(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    graph = _graph(s, ad)
    function = ad.reverse_topological_order if s.get("reverse") else ad.topological_order
    return {"order": _indices(function(graph.nodes[s["start"]]), graph.known(), "the order")}


def _scenario_forward(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    graph = _graph(s, ad)
    nodes, after = graph.nodes, []
    with _isolated(ad.forward, ad, {"topological_order": graph.own_order(reverse=False)}):
        for root in s["roots"]:
            ad.forward(nodes[root])
            after.append(_report(nodes, s.get("report"), "partial_derivative"))
    return {"after": after}


def _scenario_backward(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    graph = _graph(s, ad)
    nodes, after = graph.nodes, []
    with _isolated(ad.backward, ad,
                   {"reverse_topological_order": graph.own_order(reverse=True)}):
        for output in s["outputs"]:
            ad.backward(nodes[output])
            after.append(_report(nodes, s.get("report"), "adjoint"))
    return {"after": after}


def _scenario_tape(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    graph = _graph(dict(s, record=True), ad)
    nodes, tape = graph.nodes, graph.tape
    if isinstance(tape, ScenarioError):
        raise tape
    out: dict[str, Any] = {"after": []}
    if not s.get("keep"):
        ad.Node(1.0)  # made after the `with` block: must not be on the tape
    if s.get("recorded", True):
        out["recorded"] = _indices(tape.nodes, graph.known(), "tape.nodes")
    for call, index in s["calls"]:
        if call == "forward":
            tape.forward(nodes[index])
            out["after"].append(_report(nodes, s.get("report"), "partial_derivative"))
        else:
            tape.backward(nodes[index])
            out["after"].append(_report(nodes, s.get("report"), "adjoint"))
    return out


def _scenario_build(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    return describe(_build(s["program"], ad, s.get("via", "primitives")))


def _scenario_wrapper(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    function = _wrapped(ad, s["function"], s.get("name"))
    inputs = [ad.Node(float(a)) for a in s["args"] if not isinstance(a, dict)]
    it = iter(inputs)
    args = [a["const"] if isinstance(a, dict) else next(it) for a in s["args"]]
    return describe([*inputs, function(*args)])


def _scenario_grad(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    program, via = s["program"], s.get("via", "operators")

    def f(*xs: Any) -> Any:
        shaped = dict(program, inputs=[0.0] * len(xs))
        nodes = _build_inputs(shaped, ad, via, list(xs))
        return nodes[-1]

    with _isolated(ad.grad, ad, {"backward": _own_backward,
                                 "reverse_topological_order": _own_reverse_topological_order}):
        result = ad.grad(f)(*[float(v) for v in program["inputs"]])
    values = _items(result, "what grad(f)(...) returned")
    return {"grad": [_num(v, f"derivative #{i + 1} from grad") for i, v in enumerate(values)]}


def _build_inputs(program: dict[str, Any], ad: Any, via: str, inputs: list[Any]) -> list[Any]:
    """Like `_build`, but on input nodes that `grad` created."""
    shim = _Inputs(ad, inputs)
    nodes = _build(program, shim, via)
    return nodes


class _Inputs:
    """A view of the package whose `Node(...)` hands out the given input nodes first."""

    def __init__(self, ad: Any, inputs: list[Any]) -> None:
        self._ad = ad
        self._pending = list(reversed(inputs))

    def Node(self, value: float, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        if self._pending and not args and not kwargs:
            return self._pending.pop()
        return self._ad.Node(value, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ad, name)


SCENARIOS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    "build": _scenario_build,
    "order": _scenario_order,
    "forward": _scenario_forward,
    "backward": _scenario_backward,
    "tape": _scenario_tape,
    "wrapper": _scenario_wrapper,
    "grad": _scenario_grad,
}


def run(scenario: dict[str, Any], ad: Any) -> dict[str, Any]:
    """One scenario with the package `ad`: its result, or {"error": sentence}."""
    try:
        return SCENARIOS[scenario["kind"]](scenario, ad)
    except ScenarioError as error:
        return {"error": str(error)}
    except RecursionError:
        return {"error": "RecursionError: maximum recursion depth exceeded (a recursive walk "
                         "cannot handle deep graphs; use an explicit stack)"
                         + _where(sys.exc_info()[2])}
    except BaseException as error:  # noqa: B036 - sys.exit in student code is its failure
        return {"error": _explain(error)}


def _explain(error: BaseException) -> str:
    try:
        text = str(error)
    except BaseException:  # noqa: B036 - a student's exception whose __str__ fails
        text = ""
    if len(text) > 300:
        text = text[:300] + "..."
    head = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return head + _where(error.__traceback__)


def _where(tb: Any) -> str:
    """Where in the student's code the exception was raised (last frame outside the kit)."""
    import traceback  # here, not at the top: only failures need it, and it is slow to import

    here = {os.path.abspath(__file__), os.path.abspath(programs.__file__)}
    last = None
    for frame in traceback.extract_tb(tb):
        if os.path.abspath(frame.filename) not in here:
            last = frame
    if last is None:
        return ""
    parts = last.filename.replace("\\", "/").split("/")
    short = "/".join(parts[-2:]) if len(parts) > 1 and parts[-2] == "simpleautodiff" \
        else parts[-1]
    return f" (in {short}, line {last.lineno}, in {last.name})"


def _student() -> Any:
    if "ad" not in _STATE:
        try:
            import simpleautodiff
        except BaseException as error:  # noqa: B036
            _STATE["import_error"] = _explain(error)
            _STATE["ad"] = None
        else:
            _STATE["ad"] = simpleautodiff
    return _STATE["ad"]


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """The sandbox entry point: {"scenarios": [...]} -> {"results": [...]}."""
    # Big graphs are millions of objects: the cyclic collector would walk them again and
    # again for nothing (the process is short-lived and memory-limited).
    gc.disable()
    ad = _student()
    if ad is None:
        return {"import_error": _STATE["import_error"]}
    if request.get("ping"):
        return {"ok": True}
    return {"results": [_packed(run(s, ad)) for s in request["scenarios"]]}


_PACK_FROM = 1_000  # orders at least this long travel packed


def _packed(result: dict[str, Any]) -> dict[str, Any]:
    """A long order travels as base64 of 32-bit integers (unpack_order reads it back).

    As JSON, the 100,000 indices of a big graph's order cost more to send and read than
    the student's walk took.
    """
    order = result.get("order")
    if _type(order) is list and _len(order) >= _PACK_FROM:
        packed = binascii.b2a_base64(array("i", order).tobytes(), newline=False)
        result["order"] = {"int32": packed.decode()}
    return result


def unpack_order(packed: Any) -> list[int] | None:
    """The order `_packed` sent, or None when what arrived is not one."""
    try:
        data = binascii.a2b_base64(packed["int32"], strict_mode=True)
        if len(data) % 4:
            return None
        order = array("i")
        order.frombytes(data)
        return order.tolist()
    except (TypeError, KeyError, ValueError, binascii.Error):
        return None
