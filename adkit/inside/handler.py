"""The handler: runs the grader's named scenarios with the student's package, in the worker.

`handle({"scenarios": [...]})` runs each scenario with `simpleautodiff` (imported from the
submission) and returns `{"results": [...]}`, one plain JSON-able dict per scenario, or
`{"error": "..."}` for a scenario that failed. Nothing here judges the student or knows
the right answers: the grader computes each graph's wiring (values, parents, local
derivatives) in its own process and sends it as data, and compares what comes back with
the same scenario run here on the reference (adkit/grade/reference.py).

It holds only what touches the student's objects: building their graph from a wiring
(wired by hand from `Node` alone, as docs/contract.md's "graph wiring" row says, so a wrong
primitive costs only `graph` points) or with their functions, calling their functions
with scenario-bound stand-ins swapped in, and reading the answers back as plain data.
Nodes are told apart by identity (`id`), never by `==` or `hash`, which a submission may
redefine. This one file is copied into the worker: standard library only, and nothing
from the kit, so that no rule table or general algorithm of the grader's is importable
there.
"""

from __future__ import annotations

import binascii
import gc
import itertools
import json
import math
import os
import random
import sys
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# --- reading the student's objects back as plain data -------------------------------

# Builtins as they were before the student's code ran (it may replace them in `builtins`).
_float, _int, _type, _id, _str, _len = float, int, type, id, str, len

# Longest list accepted from the student's code (an endless generator must not hang us).
MAX_ITEMS = 2_000_000
_HERE = os.path.dirname(os.path.abspath(__file__))  # the handler's folder: the kit's frames


class ScenarioError(Exception):
    """The student's code returned something unusable, or misused a stand-in; says what."""


def number(x: Any, what: str) -> float:
    """`x` as a float, or ScenarioError naming `what`."""
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


def items(x: Any, what: str) -> list[Any]:
    """`x` as a list (at most MAX_ITEMS long), or ScenarioError naming `what`."""
    if _type(x) is list:
        return x
    try:
        out = []
        for item in x:
            out.append(item)
            if len(out) > MAX_ITEMS:
                raise ScenarioError(f"{what} never ends")
        return out
    except ScenarioError:
        raise
    except BaseException:  # noqa: B036
        raise ScenarioError(f"{what} is a {type(x).__name__}, not a list") from None


def indices(nodes: Any, known: dict[int, int], what: str) -> list[int]:
    """The index of each returned node, -1 for objects that are not nodes of the graph."""
    found = items(nodes, what)
    return list(map(known.get, map(_id, found), itertools.repeat(-1, _len(found))))


def report(nodes: list[Any], chosen: list[int] | None, attribute: str) -> list[float]:
    """`attribute` of the chosen nodes (all of them when `chosen` is None), as floats."""
    positions = range(len(nodes)) if chosen is None else chosen
    return [number(getattr(nodes[i], attribute), f"{attribute} of node #{i}") for i in positions]


def _text(x: Any) -> str:
    return x if _type(x) is _str else f"<{_type(x).__name__}>"


# Most nodes described for one function built with operators (its whole graph).
MAX_DESCRIBED = 20_000


def describe(nodes: list[Any], whole: bool = False) -> dict[str, Any]:
    """Values and structure of `nodes` and of the nodes next to them, by index.

    A neighbour that is not in `nodes` (a constant node, or a node the grader did not
    expect) is listed in `others` and referred to as "c<k>". With `whole`, every node
    connected to `nodes` is listed with its parents, local derivatives and children too
    (operators may build any shape: the grader judges the graph by its derivatives).
    """
    known = {_id(n): i for i, n in enumerate(nodes)}
    others: list[Any] = []
    other_ids: dict[int, str] = {}

    def ref(n: Any) -> int | str:
        if _id(n) in known:
            return known[_id(n)]
        if _id(n) not in other_ids:
            other_ids[_id(n)] = f"c{len(others)}"
            others.append(n)
        return other_ids[_id(n)]

    described = []
    for i, node in enumerate(nodes):
        parents = items(node.parent_nodes, f"parent_nodes of node #{i}")
        grads = items(node.grad_wrt_parents, f"grad_wrt_parents of node #{i}")
        described.append({
            "value": number(node.value, f"value of node #{i}"),
            "operator": _text(node.operator),
            "parents": [ref(p) for p in parents],
            "grads": [number(g, f"grad_wrt_parents of node #{i}") for g in grads],
            "children": [ref(c) for c in items(node.child_nodes, f"child_nodes of node #{i}")],
        })
    extra = []
    k = 0
    while k < len(others):  # with `whole`, ref() keeps adding the neighbours' neighbours
        node = others[k]
        parents = items(node.parent_nodes, f"parent_nodes of c{k}")
        seen = {
            "value": number(node.value, f"value of node c{k}"),
            "operator": _text(node.operator),
            "n_parents": len(parents),
        }
        if whole:
            if len(others) > MAX_DESCRIBED:
                raise ScenarioError(f"the graph of this function holds more than "
                                    f"{MAX_DESCRIBED:,} nodes (are unrelated graphs joined?)")
            grads = items(node.grad_wrt_parents, f"grad_wrt_parents of c{k}")
            seen["parents"] = [ref(p) for p in parents]
            seen["grads"] = [number(g, f"grad_wrt_parents of c{k}") for g in grads]
            seen["children"] = [ref(c) for c in items(node.child_nodes, f"child_nodes of c{k}")]
        extra.append(seen)
        k += 1
    return {"nodes": described, "others": extra}


def explain(error: BaseException) -> str:
    """`Type: message (in simpleautodiff/file.py, line n, in function)`."""
    try:
        text = str(error)
    except BaseException:  # noqa: B036 - a student's exception whose __str__ fails
        text = ""
    if len(text) > 300:
        text = text[:300] + "..."
    head = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return head + where(error.__traceback__)


def where(tb: Any) -> str:
    """Where in the student's code the exception was raised (last frame outside the kit)."""
    import traceback  # here, not at the top: only failures need it, and it is slow to import

    last = None
    for frame in traceback.extract_tb(tb):
        if os.path.dirname(os.path.abspath(frame.filename)) != _HERE:
            last = frame
    if last is None:
        return ""
    parts = last.filename.replace("\\", "/").split("/")
    short = "/".join(parts[-2:]) if len(parts) > 1 and parts[-2] == "simpleautodiff" \
        else parts[-1]
    cell = _cell_of(last.filename, last.lineno or 0) if short.endswith("__init__.py") else None
    if cell is not None:  # "" for a cell left out: its SyntaxError names the cell already
        return f" (in {cell}, in {last.name})" if cell else ""
    return f" (in {short}, line {last.lineno}, in {last.name})"


def _cell_of(filename: str, lineno: int) -> str | None:
    """`2_forward_mode.ipynb, cell answer_forward_mode, line 3` for a line of a package made
    from notebooks (adkit/intake/notebooks.py marks each cell `# --- NAME.ipynb, cell ID
    (origin) ---` and keeps the cell's lines after it), else None."""
    cache = _STATE.setdefault("cells", {})
    if filename not in cache:
        marks = []
        try:
            with open(filename, encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    text = line.rstrip()
                    if text.startswith("# --- ") and text.endswith(" ---") and \
                            ".ipynb, cell " in text:
                        place, _, origin = text[6:-4].partition(" (")
                        marks.append((number, place, origin))
        except (OSError, ValueError):
            pass
        cache[filename] = marks
    before = [m for m in cache[filename] if m[0] < lineno]
    if not before:
        return None
    number, place, origin = before[-1]
    if origin.startswith("left out"):  # the student's cell did not compile: stubs stand in
        return ""
    if origin.startswith("missing"):
        return f"{place} (as released: your notebook has no such cell)"
    return f"{place}, line {lineno - number}"


# --- building the student's graphs -----------------------------------------------------
# A *wiring* is what the grader computed and sent: per node its value, its operator
# ("input", "const" or a primitive's name), its parents' indices and its local
# derivatives. Nothing here knows a derivative rule; the two big generated graphs (a chain
# of add, mul, neg and sub, and a star of neg) carry theirs inline, so that 100,000 nodes
# need not travel.

Wiring = dict[str, Any]


def hand_build(wired: Wiring, ad: Any, made: list[Any] | None = None) -> list[Any]:
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


def generated_wiring(kind: str, size: int, seed: int) -> Wiring:
    """The wiring of a big generated graph, made here so that it need not be sent.

    The same numbers in the same order as the grader's `wiring(chain_program(...))` or
    `wiring(star_program(...))` (tests/test_grade_checks.py holds them equal).
    """
    rng = random.Random(seed)
    if kind == "chain":
        x3 = 1.0 + rng.uniform(-1e-5, 1e-5)
        x1, x2 = round(rng.uniform(0.5, 1.5), 6), round(rng.uniform(0.5, 1.5), 6)
        values, parents, grads, ops = [x1, x2, x3], [[], [], []], [[], [], []], ["input"] * 3
        # Constant rows are reused: nothing changes a wiring, and hand_build copies them.
        add_grads, neg_grads, sub_grads = [1.0, 1.0], [-1.0], [1.0, -1.0]
        # The chain repeats add x2, mul x3, neg, sub x2: one round of four nodes at a time
        # (node k + 3 is op k), cut to `size` at the end; 30-40% faster than node by node.
        value = x1
        for k in range(0, size, 4):
            added = value + x2
            multiplied = added * x3
            negated = -multiplied
            value = negated - x2
            values += (added, multiplied, negated, value)
            parents += ([2 + k if k else 0, 1], [3 + k, 2], [4 + k], [5 + k, 1])
            grads += (add_grads, [x3, added], neg_grads, sub_grads)
        ops += ["add", "mul", "neg", "sub"] * (size // 4 + 1)
        for row in (values, ops, parents, grads):
            del row[3 + size:]
    elif kind == "star":
        values, ops = [1.5] + [-1.5] * size, ["input"] + ["neg"] * size
        parents, grads = [[]] + [[0] for _ in range(size)], [[]] + [[-1.0] for _ in range(size)]
    else:
        raise ScenarioError(f"unknown generated graph {kind!r}")
    return {"values": values, "ops": ops, "parents": parents, "grads": grads}


# --- building with the student's functions ------------------------------------------------

def _arguments(op: dict[str, Any], nodes: list[Any]) -> list[Any]:
    return [a["const"] if isinstance(a, dict) else nodes[a] for a in op["args"]]


def with_functions(program: dict[str, Any], ad: Any) -> list[Any]:
    """Build `program` by calling the package's function for each op (`ad.log(x)`, ...)."""
    nodes = [ad.Node(float(v)) for v in program["inputs"]]
    for op in program["ops"]:
        args = _arguments(op, nodes)
        if op["op"] == "power":
            args.append(op["p"])
        nodes.append(getattr(ad, op["op"])(*args))
    return nodes


def with_operators(program: dict[str, Any], ad: Any) -> list[Any]:
    """Build `program` with Python's operators on Nodes (numbers stay plain numbers)."""
    nodes = [ad.Node(float(v)) for v in program["inputs"]]
    for op in program["ops"]:
        a, *rest = _arguments(op, nodes)
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


# What a sent rule may use: math, and two builtins.
_SCOPE: dict[str, Any] = {"__builtins__": {}, "math": math, "abs": abs, "float": float}


def float_functions(row: dict[str, Any], number: float | None = None,
                    ) -> tuple[Callable[..., float], list[Callable[..., float]]]:
    """(value, partials) as float functions, compiled from the expressions the grader sent
    for this scenario: `row` = {"params": ["a", "b"], "value": "a * b", "partials": [...],
    "number": None or "p"}; a number (power's p) is bound to `number`."""
    params = list(row["params"])
    scope = dict(_SCOPE)
    if row.get("number"):
        scope[row["number"]] = float(number)  # type: ignore[arg-type]

    def compile_(body: str) -> Callable[..., float]:
        return eval(f"lambda {', '.join(params)}: {body}", scope)  # noqa: S307 - grader's text

    return compile_(row["value"]), [compile_(d) for d in row["partials"]]


def wrapped(ad: Any, row: dict[str, Any], name: str | None,
            number: float | None = None) -> Callable[..., Any]:
    """The student's `primitive(value, *partials, name=name)` for the sent `row`."""
    value, partials = float_functions(row, number)
    if name is None:
        return ad.primitive(value, *partials)
    return ad.primitive(value, *partials, name=name)


class WrappedPrimitives:
    """The sent primitives rewritten with the student's `primitive`, as a package would
    hold them (`Node` and the function for each op)."""

    def __init__(self, ad: Any, rows: dict[str, dict[str, Any]]) -> None:
        self.Node = ad.Node
        self._ad = ad
        self._rows = rows
        for name, row in rows.items():
            if not row.get("number"):
                setattr(self, name, wrapped(ad, row, name))

    def power(self, a: Any, p: float) -> Any:
        if "power" not in self._rows:
            raise ScenarioError("the grader sent no rule for power")
        return wrapped(self._ad, self._rows["power"], "power", p)(a)


def build(program: dict[str, Any], ad: Any, via: str,
          rows: dict[str, dict[str, Any]] | None = None) -> list[Any]:
    """Every node of `program`, built with the student's functions, operators or wrapper."""
    if via == "primitives":
        return with_functions(program, ad)
    if via == "operators":
        return with_operators(program, ad)
    if via == "wrapper":
        return with_functions(program, WrappedPrimitives(ad, rows or {}))
    raise ScenarioError(f"unknown builder {via!r}")


# --- stand-ins: swapped in for the student's helpers, for one scenario only -----------
# `forward` runs with a `topological_order` that answers only for the graph the grader
# wired for the scenario (orders read off its wiring, by identity), and `grad` with a
# `backward` that sets adjoints only on the nodes the scenario built, from the local
# derivatives the grader sent. Neither walks the student's nodes or knows a rule. Each
# belongs to one `Scope`, revoked when the scenario ends: a stand-in kept past it raises.

class Scope:
    """The life of one scenario's stand-ins: usable while `active`, then revoked for good."""

    def __init__(self) -> None:
        self.active = True

    def check(self, what: str) -> None:
        if not self.active:
            raise ScenarioError(f"the grader's stand-in for {what} was used outside the "
                                "scenario it was given for (did your code keep it?)")


def reachable(parents: list[list[int]], start: int, reverse: bool) -> list[int]:
    """Indices of a wiring reachable from `start`, in creation order (reversed if `reverse`).

    Creation order is a topological order (a node's parents come before it), so this is a
    valid order, found in one pass over integers.
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


def stand_in_order(scope: Scope, nodes: list[Any], parents: list[list[int]], reverse: bool,
                   known: dict[int, int]) -> Callable[[Any], list[Any]]:
    """(reverse_)topological_order for this scenario's wired graph only."""
    what = "reverse_topological_order" if reverse else "topological_order"

    def stand_in(start: Any) -> list[Any]:
        scope.check(what)
        i = known.get(_id(start))
        if i is None:
            raise ScenarioError(f"{what} was called on a node the grader did not build for "
                                "this check (the grader's stand-in knows only those)")
        return [nodes[k] for k in reachable(parents, i, reverse)]  # a new list each call

    return stand_in


class Built:
    """The nodes of the latest graph the scenario built (by index in its wiring)."""

    def __init__(self) -> None:
        self.by_index: dict[int, Any] = {}
        self.known: dict[int, int] = {}

    def set(self, nodes: list[Any], positions: list[int]) -> None:
        self.by_index = dict(zip(positions, nodes))
        self.known = {_id(n): k for k, n in self.by_index.items()}


def stand_in_backward(scope: Scope, built: Built, wired: dict[str, Any]) -> Callable[[Any], None]:
    """backward(output) for the graph this scenario built: adjoints from the sent wiring."""
    parents, grads, values = wired["parents"], wired["grads"], wired["values"]

    def stand_in(output: Any) -> None:
        scope.check("backward")
        start = built.known.get(_id(output))
        if start is None:
            raise ScenarioError("backward was called on a node that this check's function did "
                                "not build (the grader's stand-in knows only those)")
        for k, node in built.by_index.items():
            if wired["ops"][k] == "input" and number(node.value, "an input's value") != values[k]:
                raise ScenarioError("backward was called on a graph whose inputs do not hold "
                                    "the values grad(f) was called with")
        adjoint = {start: 1.0}
        for i in range(start, -1, -1):
            a = adjoint.get(i)
            if a is not None:
                for p, g in zip(parents[i], grads[i]):
                    adjoint[p] = adjoint.get(p, 0.0) + a * g
        for k, node in built.by_index.items():
            if k in adjoint:
                node.adjoint = adjoint[k]

    return stand_in


def stand_in_reverse_order(scope: Scope, built: Built,
                           wired: dict[str, Any]) -> Callable[[Any], list[Any]]:
    """reverse_topological_order for the graph this scenario built (its constants left out)."""

    def stand_in(start: Any) -> list[Any]:
        scope.check("reverse_topological_order")
        i = built.known.get(_id(start))
        if i is None:
            raise ScenarioError("reverse_topological_order was called on a node that this "
                                "check's function did not build")
        return [built.by_index[k] for k in reachable(wired["parents"], i, True)
                if k in built.by_index]

    return stand_in


@contextmanager
def swapped(function: Any, ad: Any, replacements: dict[str, Callable[..., Any]],
            scope: Scope) -> Iterator[None]:
    """Swap the named helpers, where `function`'s module and the package use them, for the
    stand-ins; put the student's back and revoke the stand-ins when the block ends."""
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
        scope.active = False
        for space, name, old in reversed(saved):
            space[name] = old


# --- the worker's graphs and scenarios ---------------------------------------------------

# The worker's state: the student's module, and graphs kept between calls. Each task runs in
# a process forked for it (adkit/sandbox/entry.py), so what a task adds here dies with it;
# only the shared graphs (the big chain, recorded by the student's Tape when it is fit, and
# the star) are built in the worker itself, before the first task that uses them forks.
_STATE: dict[str, Any] = {}


class _Graph:
    """Hand-wired nodes, their wiring, and the tape that recorded them (or why it failed)."""

    def __init__(self, nodes: list[Any], wired: dict[str, Any], tape: Any) -> None:
        self.nodes = nodes
        self.wired = wired
        self.tape = tape
        self._known: dict[int, int] | None = None

    def known(self) -> dict[int, int]:
        """id(node) -> index, for reading back what the student returns."""
        if self._known is None:
            self._known = {_id(n): i for i, n in enumerate(self.nodes)}
        return self._known


def _graph(scenario: dict[str, Any], ad: Any) -> _Graph:
    """The hand-wired graph for a scenario: its nodes, its wiring, and the tape that
    recorded them (or the error the student's Tape raised).

    Graphs marked "keep" are built once per worker and reused by later calls (the big
    chain and the star, built before the tasks fork). Graphs marked "record" are built
    inside `with Tape()`; when the student's Tape fails, the graph is built without it and
    the tape scenario reports the failure. "record_if_fit" records only a Tape that passes
    `_tape_fit`: the shared chain, whose tape the tape task then uses instead of building
    the chain a second time (0.1 s a student). A scenario that wants a tape and finds a
    kept graph without one builds its own, in its task's process.
    """
    keep = scenario.get("keep", False)
    key = json.dumps(scenario.get("generate")) if keep else ""
    if keep:
        graph = _STATE.get("kept", {}).get(key)
        if graph is not None and (graph.tape is not None or not scenario.get("record")):
            return graph
    if "generate" in scenario:
        spec = tuple(scenario["generate"])
        generated = _STATE.setdefault("generated", {})
        if spec not in generated:
            generated[spec] = generated_wiring(*spec)
        wired = generated[spec]
    else:
        wired = scenario["wiring"]
    record = scenario.get("record", False) or (
        scenario.get("record_if_fit", False) and _tape_fit(ad))
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
                nodes = hand_build(wired, ad, outside)
            tape = recording
        except Exception as error:  # a broken Tape must not cost the other tasks
            tape = ScenarioError(explain(error))
            nodes = hand_build(wired, ad)
    else:
        nodes = hand_build(wired, ad)
    graph = _Graph(nodes, wired, tape)
    if keep:
        graph.known()  # before the tasks fork: each would otherwise make its own
        _STATE.setdefault("kept", {})[key] = graph
    return graph


_TRIAL_OPS = 2_000  # the small chain _tape_fit times


def _tape_fit(ad: Any) -> bool:
    """Whether the student's Tape may record a graph that other tasks share: on a small
    chain it records about as fast as a plain build (not 3 times slower), it stops
    recording when its block ends, and it leaves the package as it found it (the same
    functions and classes under the same names, in every module of the package and in
    `Node`).
    Either way the grades are the same: a Tape that is not fit records the chain again,
    in the tape task's own process."""
    trial = generated_wiring("chain", _TRIAL_OPS, 0)
    try:
        before = _bindings(ad)
        start = time.perf_counter()
        hand_build(trial, ad)
        plain = time.perf_counter() - start
        start = time.perf_counter()
        with ad.Tape() as tape:
            hand_build(trial, ad)
        taped = time.perf_counter() - start
        recorded = _len(items(tape.nodes, "tape.nodes"))
        ad.Node(1.0)  # made after the block: must not be recorded
        return (recorded == _len(items(tape.nodes, "tape.nodes"))
                and taped <= 3 * plain + 0.005 and _bindings(ad) == before)
    except BaseException:  # noqa: B036 - the tape task meets it again, in its own process
        return False


def _bindings(ad: Any) -> dict[tuple[str, str], int]:
    """The functions and classes each name of the package's modules and of its `Node`
    class is bound to, by identity (what a Tape might swap while it records; counters and
    other data may change freely)."""
    prefix = ad.__name__ + "."
    spaces = [(name, vars(module)) for name, module in list(sys.modules.items())
              if name == ad.__name__ or name.startswith(prefix)]
    spaces.append(("Node", dict(vars(ad.Node))))
    return {(where, key): _id(value) for where, space in spaces
            for key, value in space.items() if callable(value)}


# --- scenarios ----------------------------------------------------------------------------

def _scenario_order(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    graph = _graph(s, ad)
    function = ad.reverse_topological_order if s.get("reverse") else ad.topological_order
    return {"order": indices(function(graph.nodes[s["start"]]), graph.known(), "the order")}


def _run_isolated(s: dict[str, Any], ad: Any, call: str, helper: str, reverse: bool,
                  starts: list[int], attribute: str) -> dict[str, Any]:
    """`ad.<call>(node)` for each start, with the stand-in order for `helper` swapped in."""
    graph = _graph(s, ad)
    nodes, after = graph.nodes, []
    scope = Scope()
    stand_in = stand_in_order(scope, nodes, graph.wired["parents"], reverse, graph.known())
    function = getattr(ad, call)
    with swapped(function, ad, {helper: stand_in}, scope):
        for start in starts:
            function(nodes[start])
            after.append(report(nodes, s.get("report"), attribute))
    return {"after": after}


def _scenario_forward(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    return _run_isolated(s, ad, "forward", "topological_order", False, s["roots"],
                         "partial_derivative")


def _scenario_backward(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    return _run_isolated(s, ad, "backward", "reverse_topological_order", True, s["outputs"],
                         "adjoint")


def _scenario_tape(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    graph = _graph(dict(s, record=True), ad)
    nodes, tape = graph.nodes, graph.tape
    if isinstance(tape, ScenarioError):
        raise tape
    out: dict[str, Any] = {"after": []}
    if not s.get("keep"):
        ad.Node(1.0)  # made after the `with` block: must not be on the tape
    if s.get("recorded", True):
        out["recorded"] = indices(tape.nodes, graph.known(), "tape.nodes")
    for call, index in s["calls"]:
        if call == "forward":
            tape.forward(nodes[index])
            out["after"].append(report(nodes, s.get("report"), "partial_derivative"))
        else:
            tape.backward(nodes[index])
            out["after"].append(report(nodes, s.get("report"), "adjoint"))
    return out


def _scenario_build(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    via = s.get("via", "primitives")
    return describe(build(s["program"], ad, via, s.get("rows")), whole=via == "operators")


def _scenario_wrapper(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    function = wrapped(ad, s["row"], s.get("name"))
    inputs = [ad.Node(float(a)) for a in s["args"] if not isinstance(a, dict)]
    it = iter(inputs)
    args = [a["const"] if isinstance(a, dict) else next(it) for a in s["args"]]
    return describe([*inputs, function(*args)])


def _scenario_grad(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    """grad(f) where f builds the program; backward is the stand-in fed by the sent wiring."""
    program, via, wired = s["program"], s.get("via", "operators"), s["wiring"]
    built = Built()

    def f(*xs: Any) -> Any:
        shaped = dict(program, inputs=[0.0] * len(xs))
        nodes = build(shaped, _Inputs(ad, list(xs)), via)
        built.set(nodes, s["positions"])
        return nodes[-1]

    scope = Scope()
    replacements = {"backward": stand_in_backward(scope, built, wired),
                    "reverse_topological_order": stand_in_reverse_order(
                        scope, built, wired)}
    with swapped(ad.grad, ad, replacements, scope):
        result = ad.grad(f)(*[float(v) for v in program["inputs"]])
    values = items(result, "what grad(f)(...) returned")
    return {"grad": [number(v, f"derivative #{i + 1} from grad") for i, v in enumerate(values)]}


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
                         + where(sys.exc_info()[2])}
    except BaseException as error:  # noqa: B036 - sys.exit in student code is its failure
        return {"error": explain(error)}


def _student() -> Any:
    if "ad" not in _STATE:
        try:
            import simpleautodiff
        except BaseException as error:  # noqa: B036
            _STATE["import_error"] = explain(error)
            _STATE["ad"] = None
        else:
            _STATE["ad"] = simpleautodiff
    return _STATE["ad"]


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """The worker's entry point: {"scenarios": [...]} -> {"results": [...]}."""
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
    """A long order travels as base64 of 32-bit integers (the grader's session unpacks it).

    As JSON, the 100,000 indices of a big graph's order cost more to send and read than
    the student's walk took.
    """
    order = result.get("order")
    if _type(order) is list and _len(order) >= _PACK_FROM:
        packed = binascii.b2a_base64(array("i", order).tobytes(), newline=False)
        result["order"] = {"int32": packed.decode()}
    return result
