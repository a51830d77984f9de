"""The computational graph's node (paper, section "The computational graph").

A `Node` only records what it is given. Whoever builds the graph (a primitive, or a
grader building a graph by hand) sets `grad_wrt_parents` and appends the new node to each
parent's `child_nodes`.
"""

from __future__ import annotations

from typing import Union

from .tape import _recording

Operand = Union["Node", float, int]


class Node:
    """One variable of the function: an input, a constant or an intermediate value."""

    __slots__ = (
        "value",
        "parent_nodes",
        "child_nodes",
        "operator",
        "grad_wrt_parents",
        "partial_derivative",
        "adjoint",
        "name",
    )

    def __init__(
        self,
        value: float,
        parent_nodes: list[Node] | None = None,
        operator: str = "input",
        name: str = "",
    ) -> None:
        self.value = float(value)
        # A fresh list per node: a shared default list would join unrelated graphs.
        self.parent_nodes: list[Node] = list(parent_nodes) if parent_nodes else []
        self.child_nodes: list[Node] = []
        self.operator = operator
        self.grad_wrt_parents: list[float] = []
        self.partial_derivative = 0.0
        self.adjoint = 0.0
        self.name = name
        if _recording:  # inside `with Tape():` (checked inline: this runs for every node)
            for tape in _recording:
                tape.nodes.append(self)

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"Node({self.value!r}, operator={self.operator!r}{label})"

    # Operators (task `operators`): `x * y + 2` computes what `add(mul(x, y), 2)` computes.
    # Each accepts a number on either side and builds its result with the primitives, in
    # any shape you like (`-x` as neg(x) or mul(-1, x), `x - y` as sub(x, y) or x + (-y),
    # `2 + x` as add(2, x) or add(x, 2)): they are graded by meaning, not shape. Every node
    # of the result must have the right value and local derivatives (grad_wrt_parents, one
    # per parent), be in its parents' child_nodes, and give the right derivatives by forward
    # mode (from each input, along child_nodes) and by reverse mode (along parent_nodes).
    def __add__(self, other: Operand) -> Node:
        """self + other (other a Node or a number)."""
        ### BEGIN SOLUTION operators
        return primitives.add(self, other)
        ### END SOLUTION

    def __radd__(self, other: Operand) -> Node:
        """other + self, for a number `other` on the left."""
        ### BEGIN SOLUTION operators
        return primitives.add(other, self)
        ### END SOLUTION

    def __sub__(self, other: Operand) -> Node:
        """self - other (other a Node or a number)."""
        ### BEGIN SOLUTION operators
        return primitives.sub(self, other)
        ### END SOLUTION

    def __rsub__(self, other: Operand) -> Node:
        """other - self, for a number `other` on the left."""
        ### BEGIN SOLUTION operators
        return primitives.sub(other, self)
        ### END SOLUTION

    def __mul__(self, other: Operand) -> Node:
        """self * other (other a Node or a number)."""
        ### BEGIN SOLUTION operators
        return primitives.mul(self, other)
        ### END SOLUTION

    def __rmul__(self, other: Operand) -> Node:
        """other * self, for a number `other` on the left."""
        ### BEGIN SOLUTION operators
        return primitives.mul(other, self)
        ### END SOLUTION

    def __truediv__(self, other: Operand) -> Node:
        """self / other (other a Node or a nonzero number)."""
        ### BEGIN SOLUTION operators
        return primitives.div(self, other)
        ### END SOLUTION

    def __rtruediv__(self, other: Operand) -> Node:
        """other / self, for a number `other` on the left."""
        ### BEGIN SOLUTION operators
        return primitives.div(other, self)
        ### END SOLUTION

    def __neg__(self) -> Node:
        """-self."""
        ### BEGIN SOLUTION operators
        return primitives.neg(self)
        ### END SOLUTION

    def __pow__(self, exponent: float) -> Node:
        """`node ** p` for a number p (for a Node exponent, write exp(p * log(node)))."""
        ### BEGIN SOLUTION operators
        return primitives.power(self, exponent)
        ### END SOLUTION

    def __rpow__(self, base: float) -> Node:
        """`base ** node` for a number `base > 0`, as exp(node * log(base))."""
        ### BEGIN SOLUTION operators
        return primitives.exp(primitives.mul(self, primitives.log(base)))
        ### END SOLUTION


def as_node(x: Operand) -> Node:
    """Return `x` if it is a Node, else a constant node holding the number `x`."""
    if isinstance(x, Node):
        return x
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"expected a Node or a number, got {type(x).__name__}: {x!r}")
    return Node(x, operator="const")


# At the bottom: `primitives` needs `Node`, and the operators above look it up at call time.
from . import primitives  # noqa: E402
