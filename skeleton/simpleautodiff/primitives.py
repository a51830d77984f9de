# Generated from reference/ by `make skeleton`; do not edit (edit the reference).
# ============================================================================
# STUDENT FILE. Tasks in this file: wrapper, graph.
# Fill in each TODO; `pytest -m TASK` runs that task's public tests.
# ============================================================================
"""Primitives: functions that evaluate, and build the graph as they go.

Each primitive computes its value from its parents' values, creates exactly one `Node`,
records the local derivatives `∂node/∂parent` in `grad_wrt_parents` (paper, section
"Partial derivatives") and appends the new node to each parent's `child_nodes`.
A plain number argument becomes a constant node.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .node import Node, Operand, as_node


def primitive(
    function: Callable[..., float],
    *partials: Callable[..., float],
    name: str | None = None,
) -> Callable[..., Node]:
    """Turn a function of floats and its partial derivatives into a primitive.

    `function(*values)` gives the new node's value and `partials[i](*values)` gives
    `∂function/∂argument_i`, both evaluated at the arguments' values. The returned
    function takes Nodes or numbers and returns the new Node, named `name` as its operator.
    """
    # TODO [wrapper]: implement primitive() as its docstring says.
    raise NotImplementedError("Task wrapper: implement primitive() in simpleautodiff/primitives.py")


def mul(a: Operand, b: Operand) -> Node:
    """a * b; ∂/∂a = b and ∂/∂b = a. The paper's first listing, given in full as a model."""
    a, b = as_node(a), as_node(b)
    node = Node(a.value * b.value, [a, b], "mul")
    node.grad_wrt_parents = [b.value, a.value]
    a.child_nodes.append(node)
    b.child_nodes.append(node)
    return node


# TODO [graph]: helpers and tables for task 'graph' went here; add any you need.


def add(a: Operand, b: Operand) -> Node:
    """a + b; ∂/∂a = 1 and ∂/∂b = 1."""
    # TODO [graph]: implement add() as its docstring says.
    raise NotImplementedError("Task graph: implement add() in simpleautodiff/primitives.py")


def sub(a: Operand, b: Operand) -> Node:
    """a - b; ∂/∂a = 1 and ∂/∂b = -1."""
    # TODO [graph]: implement sub() as its docstring says.
    raise NotImplementedError("Task graph: implement sub() in simpleautodiff/primitives.py")


def div(a: Operand, b: Operand) -> Node:
    """a / b for b != 0; ∂/∂a = 1/b and ∂/∂b = -a/b²."""
    # TODO [graph]: implement div() as its docstring says.
    raise NotImplementedError("Task graph: implement div() in simpleautodiff/primitives.py")


def neg(a: Operand) -> Node:
    """-a; ∂/∂a = -1."""
    # TODO [graph]: implement neg() as its docstring says.
    raise NotImplementedError("Task graph: implement neg() in simpleautodiff/primitives.py")


def log(a: Operand) -> Node:
    """Natural logarithm of a > 0; ∂/∂a = 1/a."""
    # TODO [graph]: implement log() as its docstring says.
    raise NotImplementedError("Task graph: implement log() in simpleautodiff/primitives.py")


def exp(a: Operand) -> Node:
    """e to the power a; ∂/∂a = exp(a)."""
    # TODO [graph]: implement exp() as its docstring says.
    raise NotImplementedError("Task graph: implement exp() in simpleautodiff/primitives.py")


def sin(a: Operand) -> Node:
    """Sine of a (radians); ∂/∂a = cos(a)."""
    # TODO [graph]: implement sin() as its docstring says.
    raise NotImplementedError("Task graph: implement sin() in simpleautodiff/primitives.py")


def cos(a: Operand) -> Node:
    """Cosine of a (radians); ∂/∂a = -sin(a)."""
    # TODO [graph]: implement cos() as its docstring says.
    raise NotImplementedError("Task graph: implement cos() in simpleautodiff/primitives.py")


def power(a: Operand, p: float) -> Node:
    """a ** p for a number p (a > 0 unless p is a whole number); ∂/∂a = p * a**(p-1).

    `p` is a number, not a node: the new node has one parent, `a`.
    """
    if isinstance(p, Node):
        raise TypeError("power(a, p) takes a number p; for a Node exponent use exp(p * log(a))")
    # TODO [graph]: implement power() as its docstring says.
    raise NotImplementedError("Task graph: implement power() in simpleautodiff/primitives.py")
