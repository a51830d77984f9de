"""Stand-ins: swapped in for the student's helpers, for one scenario only.

`forward` runs with a `topological_order`, `backward` with a `reverse_topological_order`,
and `grad` with a `backward` that answer only for the graph the grader wired or built for
the scenario. None of them walks anything or knows a rule: each hands out what the grader
computed for that scenario and sent as data (the order from each start it will use, as
indices; the adjoints the output's backward sets), mapped to the student's nodes. Each
belongs to one `Scope`, revoked when the scenario ends: a stand-in kept past it raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .answers import number, unpack_ints
from .problems import ScenarioError

_id = id


class Scope:
    """The life of one scenario's stand-ins: usable while `active`, then revoked for good."""

    def __init__(self) -> None:
        self.active = True

    def check(self, what: str) -> None:
        if not self.active:
            raise ScenarioError(f"the grader's stand-in for {what} was used outside the "
                                "scenario it was given for (did your code keep it?)")


def sent_orders(sent: list[list[Any]]) -> dict[int, list[int]]:
    """The orders the grader sent, by start: [[start, order or packed order], ...]."""
    return {start: unpack_ints(order) if isinstance(order, dict) else order
            for start, order in sent}


def stand_in_order(scope: Scope, graph: Callable[[], tuple[Any, dict[int, int]]],
                   orders: dict[int, list[int]], reverse: bool,
                   caller: str) -> Callable[[Any], list[Any]]:
    """(reverse_)topological_order for this scenario: the sent order from each start
    `caller` is called on, mapped to the nodes `graph()` gives (a list, or a dict by index
    holding only the nodes built) with their id -> index."""
    what = "reverse_topological_order" if reverse else "topological_order"

    def stand_in(start: Any) -> list[Any]:
        scope.check(what)
        nodes, known = graph()
        i = known.get(_id(start))
        if i is None:
            raise ScenarioError(f"{what} was called on a node the grader did not build for "
                                "this check (the grader's stand-in knows only those)")
        order = orders.get(i)
        if order is None:
            raise ScenarioError(f"{what} was called on a node {caller} was not called "
                                f"from (the grader's stand-in answers only for the node "
                                f"{caller} was called on)")
        if isinstance(nodes, dict):
            return [nodes[k] for k in order if k in nodes]
        return [nodes[k] for k in order]  # a new list each call

    return stand_in


class Built:
    """The nodes of the latest graph the scenario built (by index in its wiring)."""

    def __init__(self) -> None:
        self.by_index: dict[int, Any] = {}
        self.known: dict[int, int] = {}

    def set(self, nodes: list[Any], positions: list[int]) -> None:
        self.by_index = dict(zip(positions, nodes))
        self.known = {_id(n): k for k, n in self.by_index.items()}


def stand_in_backward(scope: Scope, built: Built, inputs: dict[int, float], output: int,
                      adjoints: list[list[Any]]) -> Callable[[Any], None]:
    """backward(output) for the graph grad's function built: sets the adjoints the grader
    computed for that output (`adjoints`: [[index, adjoint], ...]) on the nodes built."""

    def stand_in(node: Any) -> None:
        scope.check("backward")
        start = built.known.get(_id(node))
        if start is None:
            raise ScenarioError("backward was called on a node that this check's function did "
                                "not build (the grader's stand-in knows only those)")
        if start != output:
            raise ScenarioError("backward was called on a node other than the output of the "
                                "function grad(f) was given (the grader's stand-in answers "
                                "only for that output)")
        for k, value in inputs.items():
            if k in built.by_index and number(built.by_index[k].value,
                                              "an input's value") != value:
                raise ScenarioError("backward was called on a graph whose inputs do not hold "
                                    "the values grad(f) was called with")
        for k, adjoint in adjoints:
            if k in built.by_index:
                built.by_index[k].adjoint = adjoint

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
