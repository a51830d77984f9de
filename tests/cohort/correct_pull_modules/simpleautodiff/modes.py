"""Forward mode and pull-style reverse mode: each node gathers from its neighbours."""

from __future__ import annotations

from .graph import reverse_topological_order, topological_order
from .node import Node


def forward(root):
    order = topological_order(root)
    inside = set(order)
    root.partial_derivative = 1.0
    for v in order[1:]:
        v.partial_derivative = sum(
            (g * u.partial_derivative for u, g in zip(v.parent_nodes, v.grad_wrt_parents)
             if u in inside),
            0.0,
        )


def backward(output):
    """adjoint(u) = sum over the children v of u that output depends on of
    adjoint(v) * dv/du, children before parents."""
    order = reverse_topological_order(output)
    inside = set(order)
    output.adjoint = 1.0
    for u in order[1:]:
        total = 0.0
        seen = set()
        for v in u.child_nodes:
            if v in seen or v not in inside:
                continue
            seen.add(v)
            for parent, g in zip(v.parent_nodes, v.grad_wrt_parents):
                if parent is u:
                    total += v.adjoint * g
        u.adjoint = total


def grad(f):
    def df(*args):
        xs = [Node(a) for a in args]
        y = f(*xs)
        if not isinstance(y, Node):
            return tuple(0.0 for _ in xs)
        backward(y)
        return tuple(x.adjoint for x in xs)

    return df
