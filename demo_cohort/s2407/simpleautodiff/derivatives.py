"""Both modes as memoised sums, worked out with an explicit stack (no recursion, no
topological sort): a node's value is computed once all the values it needs are known."""

from __future__ import annotations

from .core import Node
from .orders import _reach


def _memoised(start, inside, needs, combine):
    memo = {start: 1.0}
    stack = list(inside)
    while stack:
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        missing = [m for m in needs(node) if m in inside and m not in memo]
        if missing:
            stack.extend(missing)
        else:
            memo[node] = combine(node, memo)
            stack.pop()
    return memo


def _tangent(node, memo):
    return sum((g * memo.get(p, 0.0) for p, g in zip(node.parent_nodes, node.grad_wrt_parents)),
               0.0)


def forward(root):
    inside = _reach(root, "child_nodes")
    memo = _memoised(root, inside, lambda n: n.parent_nodes, _tangent)
    for node, t in memo.items():
        node.partial_derivative = t


def backward(output)
    inside = _reach(output, "parent_nodes")

    def adjoint(node, memo):
        total = 0.0
        for child in dict.fromkeys(node.child_nodes):
            if child in memo:
                for parent, g in zip(child.parent_nodes, child.grad_wrt_parents):
                    if parent is node:
                        total += memo[child] * g
        return total

    memo = _memoised(output, inside, lambda n: n.child_nodes, adjoint)
    for node, a in memo.items():
        node.adjoint = a


def grad(f):
    def gradient(*values):
        xs = [Node(v) for v in values]
        y = f(*xs)
        if not isinstance(y, Node):
            return (0.0,) * len(xs)
        backward(y)
        return tuple(x.adjoint for x in xs)

    return gradient
