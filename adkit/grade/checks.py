"""Checks used by both the graders and the kit's tests: orders of a graph, and float equality.

A graph is given as `parents[i]`, the list of node indices that node `i` uses. An order
returned by a submission is a list of node indices (-1 for a node the grader did not
create). Every check returns `None` when all is well, or one sentence saying what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

REL_TOL = 1e-7


def close(expected: float, got: object, rel: float = REL_TOL) -> bool:
    """Whether `got` equals `expected` relative to the size of the numbers (floor 1 absolute).

    nan and inf equal only themselves (same sign); anything that is not a real number is
    never close.
    """
    if type(got) is float and type(expected) is float and got == expected:
        return True  # the common case, at once (nan and inf go the long way)
    if type(got) not in (int, float) or type(expected) not in (int, float):
        return False  # bool, str, subclasses with their own __eq__, ...
    try:
        got, expected = float(got), float(expected)
    except OverflowError:  # an int of hundreds of digits is no float answer
        return False
    if math.isnan(expected) or math.isnan(got):
        return math.isnan(expected) and math.isnan(got)
    if math.isinf(expected) or math.isinf(got):
        return expected == got
    return abs(expected - got) <= rel * max(1.0, abs(expected), abs(got))


def reachable(start: int, edges: Sequence[Sequence[int]]) -> set[int]:
    """Every index reachable from `start` along `edges` (start included), iteratively."""
    seen = {start}
    stack = [start]
    while stack:
        for nxt in edges[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def children_of(parents: Sequence[Sequence[int]]) -> list[list[int]]:
    """The child lists matching `parents` (each child once per parent)."""
    children: list[list[int]] = [[] for _ in parents]
    for node, ps in enumerate(parents):
        for p in dict.fromkeys(ps):
            children[p].append(node)
    return children


def check_order(
    order: Sequence[int],
    start: int,
    parents: Sequence[Sequence[int]],
    reverse: bool = False,
    children: Sequence[Sequence[int]] | None = None,
    names: Sequence[str] | None = None,
) -> str | None:
    """Check a topological order from `start` (or a reverse one when `reverse`).

    Forward: every node reachable from `start` through children, `start` first, each node
    after all of its parents that are in the list. Reverse: every node from which `start`
    is reachable through parents, `start` first, each node before all of its parents.
    """
    if children is None:
        children = children_of(parents)

    def _name(index: int) -> str:
        return names[index] if names is not None and 0 <= index < len(names) else f"node #{index}"

    expected = reachable(start, parents if reverse else children)
    if not order:
        return "the order is empty; it must at least hold the starting node"
    if order[0] != start:
        return (f"the order starts with {_name(order[0])}, not with the node it was "
                f"called on ({_name(start)})")
    position: dict[int, int] = {}
    for i, node in enumerate(order):
        if node < 0:
            return "the order holds an object that is not a node of the graph"
        if node in position:
            return f"{_name(node)} appears twice in the order (positions {position[node]} and {i})"
        if node not in expected:
            what = "cannot reach" if reverse else "is not reachable from"
            return (f"{_name(node)} is in the order but {what} the starting node "
                    f"{_name(start)}")
        position[node] = i
    if len(position) != len(expected):
        missing = min(expected - position.keys())
        return (f"{len(expected) - len(position)} reachable node(s) are missing from the "
                f"order, for example {_name(missing)}")
    for node in order:
        for parent in parents[node]:
            if parent in position:
                before = position[parent] < position[node]
                if before == reverse:
                    where = "after" if reverse else "before"
                    return (f"{_name(node)} comes {where} its parent {_name(parent)}, so "
                            f"derivatives could not flow in this order")
    return None
