"""The tape: Nodes record themselves on every tape that is open."""

from __future__ import annotations

_open = []


def record(node):
    for t in _open:
        t.nodes.append(node)


class Tape:
    def __init__(self):
        self.nodes = []

    def __enter__(self):
        _open.append(self)
        return self

    def __exit__(self, exc_type, exc, tb):
        _open.remove(self)

    def forward(self, root):
        on_tape = set(self.nodes)
        root.partial_derivative = 1.0
        for v in self.nodes:
            if v is root:
                continue
            total = 0.0
            for u, g in zip(v.parent_nodes, v.grad_wrt_parents):
                if u is root or u in on_tape:
                    total += g * u.partial_derivative
            v.partial_derivative = total

    def backward(self, output):
        """Pull style, back to front: each node sums over its children on the tape
        that come no later than output."""
        position = {v: i for i, v in enumerate(self.nodes)}
        last = position.get(output, -1)
        for v in self.nodes[last + 1:]:
            v.adjoint = 0.0
        output.adjoint = 1.0
        for i in range(last - 1, -1, -1):
            u = self.nodes[i]
            u.adjoint = _pulled(u, position, last)
        # parents made before the tape started, e.g. inputs created outside the block
        for v in self.nodes[: last + 1]:
            for u in v.parent_nodes:
                if u not in position:
                    u.adjoint = _pulled(u, position, last)


def _pulled(u, position, last):
    total = 0.0
    seen = set()
    for v in u.child_nodes:
        if v in seen or position.get(v, last + 1) > last:
            continue
        seen.add(v)
        for parent, g in zip(v.parent_nodes, v.grad_wrt_parents):
            if parent is u:
                total += v.adjoint * g
    return total
