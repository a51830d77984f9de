"""Reading the student's objects back as plain data, checked for type and size.

Nodes are told apart by identity (`id`), never by `==` or `hash`, which a submission may
redefine. `describe` reads given nodes and names the neighbours it does not know ("c<k>");
it never walks further: where a graph of unknown shape must be read whole (operators), the
grader asks again for the neighbours it was told about (`neighbours`), so the walk runs in
the grader's process (adkit/grade/rings.py), not here.
"""

from __future__ import annotations

import binascii
import itertools
from array import array
from typing import Any

from .problems import ScenarioError
from .state import current

# Builtins as they were before the student's code ran (it may replace them in `builtins`).
_float, _int, _type, _id, _str, _len = float, int, type, id, str, len

# Longest list accepted from the student's code (an endless generator must not hang us).
MAX_ITEMS = 2_000_000
# Most neighbours named for one answer (a function built with operators).
MAX_DESCRIBED = 20_000


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


def report(nodes: list[Any], chosen: list[int] | None, attribute: str) -> list[float | str]:
    """`attribute` of the chosen nodes (all of them when `chosen` is None), as floats; where
    it is not a number, what it is instead ("a NoneType"): the grader judges only the nodes
    a call is responsible for, so elsewhere anything may be left."""
    positions = range(len(nodes)) if chosen is None else chosen
    found: list[float | str] = []
    for i in positions:
        x = getattr(nodes[i], attribute)
        try:
            found.append(number(x, ""))
        except ScenarioError:
            found.append(f"a {_type(x).__name__[:60]}")
    return found


def _text(x: Any) -> str:
    return x if _type(x) is _str else f"<{_type(x).__name__}>"


class _Described:
    """The nodes one answer described, and the neighbours it named ("c<k>": others[k])."""

    def __init__(self, nodes: list[Any]) -> None:
        self.known = {_id(n): i for i, n in enumerate(nodes)}
        self.others: list[Any] = []
        self.other_ids: dict[int, str] = {}

    def ref(self, n: Any) -> int | str:
        if _id(n) in self.known:
            return self.known[_id(n)]
        if _id(n) not in self.other_ids:
            if len(self.others) >= MAX_DESCRIBED:
                raise ScenarioError(f"the graph of this function holds more than "
                                    f"{MAX_DESCRIBED:,} nodes (are unrelated graphs joined?)")
            self.other_ids[_id(n)] = f"c{len(self.others)}"
            self.others.append(n)
        return self.other_ids[_id(n)]

    def full(self, node: Any, name: str) -> dict[str, Any]:
        """A node's value, operator, parents, local derivatives and children."""
        parents = items(node.parent_nodes, f"parent_nodes of {name}")
        grads = items(node.grad_wrt_parents, f"grad_wrt_parents of {name}")
        return {
            "value": number(node.value, f"value of node {name.removeprefix('node ')}"),
            "operator": _text(node.operator),
            "n_parents": len(parents),
            "parents": [self.ref(p) for p in parents],
            "grads": [number(g, f"grad_wrt_parents of {name}") for g in grads],
            "children": [self.ref(c) for c in items(node.child_nodes, f"child_nodes of {name}")],
        }


def describe(nodes: list[Any], keep: bool = False) -> dict[str, Any]:
    """Values and structure of `nodes`, by index, and a short line on each neighbour not
    among them (a constant node, or a node the grader did not expect), named "c<k>".

    With `keep`, the answer holds `more`: a token the grader sends back (`neighbours`) to
    have the named neighbours described in full, ring by ring (operators may build any
    shape: the grader judges the graph by its derivatives).
    """
    seen = _Described(nodes)
    described = []
    for i, node in enumerate(nodes):
        row = seen.full(node, f"node #{i}")
        del row["n_parents"]
        described.append(row)
    extra = []
    for k, node in enumerate(seen.others):  # only those the given nodes named
        extra.append({
            "value": number(node.value, f"value of node c{k}"),
            "operator": _text(node.operator),
            "n_parents": len(items(node.parent_nodes, f"parent_nodes of c{k}")),
        })
    out: dict[str, Any] = {"nodes": described, "others": extra}
    if keep and seen.others:
        state = current()
        token = state.next_token
        state.next_token += 1
        state.open[token] = seen
        out["more"] = token
    return out


def neighbours(token: int, start: int) -> dict[str, Any]:
    """The neighbours named c<start>, c<start+1>, ... of a kept answer, described in full
    (naming their own unknown neighbours in turn): {"rows": [...], "total": named so far}.
    The answer is forgotten once a ring names no new neighbour."""
    state = current()
    seen = state.open.get(token)
    if seen is None or _type(start) is not _int or not 0 <= start <= len(seen.others):
        raise ScenarioError("the grader asked about a graph this process does not hold")
    end = len(seen.others)
    try:
        rows = [seen.full(seen.others[k], f"c{k}") for k in range(start, end)]
    except BaseException:
        del state.open[token]
        raise
    if len(seen.others) == end:
        del state.open[token]
    return {"rows": rows, "total": len(seen.others)}


def unpack_ints(packed: dict[str, str]) -> list[int]:
    data = array("i")
    data.frombytes(binascii.a2b_base64(packed["int32"]))
    return data.tolist()


def unpack_floats(packed: dict[str, str]) -> list[float]:
    data = array("d")
    data.frombytes(binascii.a2b_base64(packed["float64"]))
    return data.tolist()


def pack_order(order: list[int]) -> dict[str, str]:
    """A long order as base64 of 32-bit integers (the grader's session unpacks it)."""
    return {"int32": binascii.b2a_base64(array("i", order).tobytes(), newline=False).decode()}
