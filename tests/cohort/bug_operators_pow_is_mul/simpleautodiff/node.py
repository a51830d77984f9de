"""The Node class and its operators."""

from __future__ import annotations

from . import tape as _tape


class _Graph:
    """Numbers the nodes of one graph: v1, v2, ... (each graph counts on its own)."""

    def __init__(self) -> None:
        self.count = 0

    def next_name(self) -> str:
        self.count += 1
        return f"v{self.count}"


class Node:
    def __init__(self, value, parent_nodes=None, operator="input", name=""):
        self.value = float(value)
        self.parent_nodes = [] if parent_nodes is None else list(parent_nodes)
        self.child_nodes = []
        self.operator = operator
        self.grad_wrt_parents = []
        self.partial_derivative = 0.0
        self.adjoint = 0.0
        # a node joins the graph of its first parent; a node without parents starts one
        self._graph = self.parent_nodes[0]._graph if self.parent_nodes else _Graph()
        if not name and self.parent_nodes:
            name = self._graph.next_name()
        self.name = name
        _tape.record(self)

    def __repr__(self):
        return f"<{self.name or self.operator} = {self.value:g}>"

    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().sub(self, other)

    def __rsub__(self, other):
        return _ops().sub(other, self)

    def __mul__(self, other):
        return _ops().mul(self, other)

    def __rmul__(self, other):
        return _ops().mul(other, self)

    def __truediv__(self, other):
        return _ops().div(self, other)

    def __rtruediv__(self, other):
        return _ops().div(other, self)

    def __neg__(self):
        return _ops().neg(self)

    def __pow__(self, other):
        ops = _ops()
        if isinstance(other, Node):
            return ops.exp(ops.mul(other, ops.log(self)))
        return ops.mul(self, other)

    def __rpow__(self, other):
        ops = _ops()
        return ops.exp(ops.mul(self, ops.log(other)))


def _ops():
    from . import ops  # ops imports node, so look it up when an operator is used

    return ops


def constant(x) -> Node:
    if isinstance(x, Node):
        return x
    return Node(x, operator="const")
