"""Graphs built with the student's own functions: their primitives, their operators on
Nodes, or their `primitive` wrapper around rules the grader sent for one scenario."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .problems import ScenarioError


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


class Inputs:
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
