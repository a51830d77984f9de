# ============================================================================
# YOUR FILE. Tasks in this file: wrapper, graph.
# Fill in each TODO; `pytest -m TASK` runs that task's public tests.
# (Instructors generate this file from the reference with `make skeleton`.)
# ============================================================================
"""Primitives: functions that evaluate, and build the graph as they go.

Each primitive computes its value from its parents' values, creates exactly one `Node`,
records the local derivatives `∂node/∂parent` in `grad_wrt_parents` (paper, section
"Partial derivatives") and appends the new node to each parent's `child_nodes`.

This shape is graded (task `graph`): the new node's `operator` is the function's name
("add", "log", ...), its `parent_nodes` are the arguments in argument order (`sub(x, x)`
has parents [x, x]), each plain number argument becoming a new constant node
(`Node(number, operator="const")`, no parents), and `grad_wrt_parents` holds one local
derivative per parent, in the same order. No other node is created.
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
    function takes Nodes or numbers (of any count the partials give: one, two, three...)
    and builds exactly like a primitive: one new Node whose operator is `name`, parents the
    arguments in order (a number becomes a constant node, operator "const"), one local
    derivative per parent, appended to each parent's `child_nodes`. Without `name`, any
    operator name will do.
    """
    # TODO [wrapper]: implement primitive() as its docstring says.
    raise NotImplementedError("Task wrapper: implement primitive() in simpleautodiff/primitives.py")


def mul(a: Operand, b: Operand) -> Node:
    """a * b: one new node, operator "mul", parents [a, b]; ∂/∂a = b and ∂/∂b = a.

    The paper's first listing, given in full as a model for the other primitives.
    """
    a, b = as_node(a), as_node(b)
    node = Node(a.value * b.value, [a, b], "mul")
    node.grad_wrt_parents = [b.value, a.value]
    a.child_nodes.append(node)
    b.child_nodes.append(node)
    return node


# TODO [graph]: helpers and tables for task 'graph' went here; add any you need.


def add(a: Operand, b: Operand) -> Node:
    """a + b: one new node, operator "add", parents [a, b]; ∂/∂a = 1 and ∂/∂b = 1."""
    # TODO [graph]: implement add() as its docstring says.
    raise NotImplementedError("Task graph: implement add() in simpleautodiff/primitives.py")


def sub(a: Operand, b: Operand) -> Node:
    """a - b: one new node, operator "sub", parents [a, b]; ∂/∂a = 1 and ∂/∂b = -1."""
    # TODO [graph]: implement sub() as its docstring says.
    raise NotImplementedError("Task graph: implement sub() in simpleautodiff/primitives.py")


def div(a: Operand, b: Operand) -> Node:
    """a / b for b != 0: one new node, operator "div", parents [a, b];
    ∂/∂a = 1/b and ∂/∂b = -a/b²."""
    # TODO [graph]: implement div() as its docstring says.
    raise NotImplementedError("Task graph: implement div() in simpleautodiff/primitives.py")


def neg(a: Operand) -> Node:
    """-a: one new node, operator "neg", parents [a]; ∂/∂a = -1."""
    # TODO [graph]: implement neg() as its docstring says.
    raise NotImplementedError("Task graph: implement neg() in simpleautodiff/primitives.py")


def log(a: Operand) -> Node:
    """Natural logarithm of a > 0: one new node, operator "log", parents [a]; ∂/∂a = 1/a."""
    # TODO [graph]: implement log() as its docstring says.
    raise NotImplementedError("Task graph: implement log() in simpleautodiff/primitives.py")


def exp(a: Operand) -> Node:
    """e to the power a: one new node, operator "exp", parents [a]; ∂/∂a = exp(a)."""
    # TODO [graph]: implement exp() as its docstring says.
    raise NotImplementedError("Task graph: implement exp() in simpleautodiff/primitives.py")


def sin(a: Operand) -> Node:
    """Sine of a (radians): one new node, operator "sin", parents [a]; ∂/∂a = cos(a)."""
    # TODO [graph]: implement sin() as its docstring says.
    raise NotImplementedError("Task graph: implement sin() in simpleautodiff/primitives.py")


def cos(a: Operand) -> Node:
    """Cosine of a (radians): one new node, operator "cos", parents [a];
    ∂/∂a = -sin(a)."""
    # TODO [graph]: implement cos() as its docstring says.
    raise NotImplementedError("Task graph: implement cos() in simpleautodiff/primitives.py")


def power(a: Operand, p: float) -> Node:
    """a ** p for a number p (a > 0 unless p is a whole number); ∂/∂a = p * a**(p-1).

    `p` is a number, not a node: one new node, operator "power", parents [a].
    """
    if isinstance(p, Node):
        raise TypeError("power(a, p) takes a number p; for a Node exponent use exp(p * log(a))")
    # TODO [graph]: implement power() as its docstring says.
    raise NotImplementedError("Task graph: implement power() in simpleautodiff/primitives.py")
