"""The student's graphs wired by hand from `Node`, from a wiring the grader sent.

A *wiring* is what the grader computed: per node its value, its operator ("input", "const"
or a primitive's name), its parents' indices and its local derivatives. Nothing here knows
a derivative rule: a generated graph (the big chain, the star, the Tape's trial chain)
arrives packed (`unpack_wiring`), its numbers computed by the grader from the table.
"""

from __future__ import annotations

import binascii
import itertools
import json
import sys
import time
from typing import Any

from .answers import items, unpack_floats, unpack_ints
from .problems import ScenarioError, explain
from .state import current

Wiring = dict[str, Any]
_id, _len = id, len
# The answer for a kept graph this worker does not hold and whose wiring was not sent (the
# grader then sends the scenario again with it: most calls need none, 4 MB each).
WIRING_NEEDED = "the grader did not send this graph's wiring"


def unpack_wiring(packed: dict[str, Any]) -> Wiring:
    """A wiring sent as packed columns (adkit/grade/stand_in_data.py `pack_wiring`)."""
    names = packed["names"]
    ops = [names[k] for k in binascii.a2b_base64(packed["ops"])]
    counts = binascii.a2b_base64(packed["counts"])
    flat_parents, flat_grads = unpack_ints(packed["parents"]), unpack_floats(packed["grads"])
    parents, grads, at = [], [], 0
    for n in counts:
        parents.append(flat_parents[at:at + n])
        grads.append(flat_grads[at:at + n])
        at += n
    values = unpack_floats(packed["values"])
    if not len(values) == len(ops) == len(parents) or at != len(flat_parents):
        raise ScenarioError("the grader sent a damaged graph")
    return {"values": values, "ops": ops, "parents": parents, "grads": grads}


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


class Graph:
    """Hand-wired nodes, their wiring, and the tape that recorded them (or why it failed)."""

    def __init__(self, nodes: list[Any], wired: Wiring, tape: Any) -> None:
        self.nodes = nodes
        self.wired = wired
        self.tape = tape
        self._known: dict[int, int] | None = None

    def known(self) -> dict[int, int]:
        """id(node) -> index, for reading back what the student returns."""
        if self._known is None:
            self._known = {_id(n): i for i, n in enumerate(self.nodes)}
        return self._known


def graph(scenario: dict[str, Any], ad: Any) -> Graph:
    """The hand-wired graph for a scenario: its nodes, its wiring, and the tape that
    recorded them (or the error the student's Tape raised).

    Graphs marked "keep" are built once per worker and reused by later calls (the big
    chain and the star, built before the tasks fork). Graphs marked "record" are built
    inside `with Tape()`; when the student's Tape fails, the graph is built without it and
    the tape scenario reports the failure. "record_if_fit" records only a Tape that passes
    `tape_fit` (on the sent "trial" chain): the shared chain, whose tape the tape task then
    uses instead of building the chain a second time (0.1 s a student). A scenario that
    wants a tape and finds a kept graph without one builds its own, in its task's process.
    """
    keep = scenario.get("keep", False)
    key = json.dumps(scenario.get("generate")) if keep else ""
    kept = current().kept
    if keep:
        found = kept.get(key)
        if found is not None and (found.tape is not None or not scenario.get("record")):
            return found
    if "packed" in scenario:
        wired = unpack_wiring(scenario["packed"])
    elif "wiring" in scenario:
        wired = scenario["wiring"]
    else:
        raise ScenarioError(WIRING_NEEDED)
    record = scenario.get("record", False) or (
        scenario.get("record_if_fit", False) and "trial" in scenario
        and tape_fit(ad, unpack_wiring(scenario["trial"])))
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
    built = Graph(nodes, wired, tape)
    if keep:
        built.known()  # before the tasks fork: each would otherwise make its own
        kept[key] = built
    return built


def tape_fit(ad: Any, trial: Wiring) -> bool:
    """Whether the student's Tape may record a graph that other tasks share: on a small
    chain it records about as fast as a plain build (not 3 times slower), it stops
    recording when its block ends, and it leaves the package as it found it (the same
    functions and classes under the same names, in every module of the package and in
    `Node`).
    Either way the grades are the same: a Tape that is not fit records the chain again,
    in the tape task's own process."""
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
