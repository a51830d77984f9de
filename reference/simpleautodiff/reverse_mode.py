"""Reverse mode, or backprop (paper, section "Reverse mode"), and `grad`."""

from __future__ import annotations

from collections.abc import Callable

from .node import Node, as_node
from .order import reverse_topological_order


def backward(output: Node) -> None:
    """Set `n.adjoint = ∂output/∂n` on every node `n` that `output` depends on.

    Adjoints flow from `output` (adjoint 1) back to the inputs; a node that feeds several
    children collects the *sum* of their contributions `v̄ · ∂v/∂u`. Every adjoint is reset
    first, whatever earlier calls left, so calling `backward` again (from the same node or
    another, an inner node too) gives the right numbers. Graphs may be chains 100,000 deep.
    """
    ### BEGIN SOLUTION reverse_mode
    order = reverse_topological_order(output)
    for node in order:
        node.adjoint = 0.0
    output.adjoint = 1.0
    for node in order:
        adjoint = node.adjoint
        for parent, local in zip(node.parent_nodes, node.grad_wrt_parents):
            parent.adjoint += adjoint * local
    ### END SOLUTION


def grad(f: Callable[..., Node | float]) -> Callable[..., tuple[float, ...]]:
    """`grad(f)(*floats)` is the tuple of `∂f/∂x_i` at those floats, by reverse mode.

    `f` takes one Node per float and returns a Node built from them (with primitives or
    operators); the tuple holds one float per argument, in order.
    """
    ### BEGIN SOLUTION operators
    def gradient(*values: float) -> tuple[float, ...]:
        inputs = [Node(v, name=f"x{i}") for i, v in enumerate(values, start=1)]
        output = as_node(f(*inputs))  # a number, if f ignores its inputs: all derivatives 0
        backward(output)
        return tuple(x.adjoint for x in inputs)

    return gradient
    ### END SOLUTION
