"""Nodes and tapes. A tape is the list of nodes in creation order, which is already a
topological order, so reading it needs no search of the graph."""

from __future__ import annotations

_RECORDING: list[Tape] = []


class Node:
    def __init__(self, value, parent_nodes=None, operator="input", name=""):
        self.value = float(value)
        self.parent_nodes = list(parent_nodes or ())
        self.child_nodes = []
        self.operator = operator
        self.grad_wrt_parents = []
        self.partial_derivative = 0.0
        self.adjoint = 0.0
        self.name = name
        for tape in _RECORDING:
            tape.nodes.append(self)

    def __repr__(self):
        return f"Node(value={self.value!r}, operator={self.operator!r})"


class Tape:
    def __init__(self):
        self.nodes = []

    def __enter__(self):
        _RECORDING.append(self)
        return self

    def __exit__(self, *exc):
        # the innermost open tape is this one unless tapes were closed out of order
        for i in range(len(_RECORDING) - 1, -1, -1):
            if _RECORDING[i] is self:
                del _RECORDING[i]
                break

    def forward(self, root):
        tangents = {root: 1.0}
        for node in self.nodes:
            if node is not root:
                tangents[node] = _sum_over_parents(node, tangents)
        for node, t in tangents.items():
            node.partial_derivative = t

    def backward(self, output):
        adjoints = {output: 1.0}
        index = len(self.nodes) - 1
        while index >= 0 and self.nodes[index] is not output:
            self.nodes[index].adjoint = 0.0
            index -= 1
        for node in self.nodes[index::-1] if index >= 0 else ():
            share = adjoints.setdefault(node, 0.0)
            for parent, g in zip(node.parent_nodes, node.grad_wrt_parents):
                adjoints[parent] = adjoints.get(parent, 0.0) + share * g
        for node in self.nodes[: index + 1]:
            node.adjoint = adjoints.get(node, 0.0)
        for node, a in adjoints.items():  # parents created before the tape opened
            node.adjoint = a


def _sum_over_parents(node, tangents):
    total = 0.0
    for parent, g in zip(node.parent_nodes, node.grad_wrt_parents):
        total += g * tangents.get(parent, 0.0)
    return total
