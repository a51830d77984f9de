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
    ### BEGIN SOLUTION wrapper
    operator = name or getattr(function, "__name__", "primitive")
    arity = len(partials)

    def apply(*arguments: Operand) -> Node:
        # The two- and one-argument cases, spelled out, build almost every node; without
        # the general case's temporary lists, building a big graph takes ~10% less time.
        # A call with the wrong number of arguments takes the general path, where
        # `function(*values)` raises Python's own TypeError.
        if arity == 2 == len(arguments):
            a, b = arguments
            if not isinstance(a, Node):
                a = as_node(a)
            if not isinstance(b, Node):
                b = as_node(b)
            x, y = a.value, b.value
            node = Node(function(x, y), (a, b), operator)
            node.grad_wrt_parents = [partials[0](x, y), partials[1](x, y)]
            a.child_nodes.append(node)
            b.child_nodes.append(node)
            return node
        if arity == 1 == len(arguments):
            (a,) = arguments
            if not isinstance(a, Node):
                a = as_node(a)
            x = a.value
            node = Node(function(x), (a,), operator)
            node.grad_wrt_parents = [partials[0](x)]
            a.child_nodes.append(node)
            return node
        parents = [a if isinstance(a, Node) else as_node(a) for a in arguments]
        values = [p.value for p in parents]
        node = Node(function(*values), parents, operator)
        node.grad_wrt_parents = [d(*values) for d in partials]
        for parent in parents:
            parent.child_nodes.append(node)
        return node

    apply.__name__ = operator
    apply.__qualname__ = operator
    return apply
    ### END SOLUTION


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


### BEGIN SOLUTION graph
# The reference defines its primitives with its own wrapper: one row per primitive, its
# value and then one partial derivative per argument (autograd's table of rules).
_add = primitive(lambda a, b: a + b, lambda a, b: 1.0, lambda a, b: 1.0, name="add")
_sub = primitive(lambda a, b: a - b, lambda a, b: 1.0, lambda a, b: -1.0, name="sub")
_div = primitive(lambda a, b: a / b, lambda a, b: 1.0 / b, lambda a, b: -a / (b * b), name="div")
_neg = primitive(lambda a: -a, lambda a: -1.0, name="neg")
_log = primitive(math.log, lambda a: 1.0 / a, name="log")
_exp = primitive(math.exp, math.exp, name="exp")
_sin = primitive(math.sin, math.cos, name="sin")
_cos = primitive(math.cos, lambda a: -math.sin(a), name="cos")
### END SOLUTION


def add(a: Operand, b: Operand) -> Node:
    """a + b: one new node, operator "add", parents [a, b]; ∂/∂a = 1 and ∂/∂b = 1."""
    ### BEGIN SOLUTION graph
    return _add(a, b)
    ### END SOLUTION


def sub(a: Operand, b: Operand) -> Node:
    """a - b: one new node, operator "sub", parents [a, b]; ∂/∂a = 1 and ∂/∂b = -1."""
    ### BEGIN SOLUTION graph
    return _sub(a, b)
    ### END SOLUTION


def div(a: Operand, b: Operand) -> Node:
    """a / b for b != 0: one new node, operator "div", parents [a, b];
    ∂/∂a = 1/b and ∂/∂b = -a/b²."""
    ### BEGIN SOLUTION graph
    return _div(a, b)
    ### END SOLUTION


def neg(a: Operand) -> Node:
    """-a: one new node, operator "neg", parents [a]; ∂/∂a = -1."""
    ### BEGIN SOLUTION graph
    return _neg(a)
    ### END SOLUTION


def log(a: Operand) -> Node:
    """Natural logarithm of a > 0: one new node, operator "log", parents [a]; ∂/∂a = 1/a."""
    ### BEGIN SOLUTION graph
    return _log(a)
    ### END SOLUTION


def exp(a: Operand) -> Node:
    """e to the power a: one new node, operator "exp", parents [a]; ∂/∂a = exp(a)."""
    ### BEGIN SOLUTION graph
    return _exp(a)
    ### END SOLUTION


def sin(a: Operand) -> Node:
    """Sine of a (radians): one new node, operator "sin", parents [a]; ∂/∂a = cos(a)."""
    ### BEGIN SOLUTION graph
    return _sin(a)
    ### END SOLUTION


def cos(a: Operand) -> Node:
    """Cosine of a (radians): one new node, operator "cos", parents [a];
    ∂/∂a = -sin(a)."""
    ### BEGIN SOLUTION graph
    return _cos(a)
    ### END SOLUTION


def power(a: Operand, p: float) -> Node:
    """a ** p for a number p (a > 0 unless p is a whole number); ∂/∂a = p * a**(p-1).

    `p` is a number, not a node: one new node, operator "power", parents [a].
    """
    if isinstance(p, Node):
        raise TypeError("power(a, p) takes a number p; for a Node exponent use exp(p * log(a))")
    ### BEGIN SOLUTION graph
    p = float(p)
    return primitive(lambda x: x**p, lambda x: p * x ** (p - 1.0), name="power")(a)
    ### END SOLUTION
