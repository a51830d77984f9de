"""Forward mode (paper, sections "Forward mode" and "Partial derivatives")."""

from __future__ import annotations

from .node import Node
from .order import topological_order


def forward(root: Node) -> None:
    """Set `n.partial_derivative = ∂n/∂root` on every node `n` reachable from `root`.

    Along a topological order, `v̇ = Σ (∂v/∂u) · u̇` over the parents `u` of `v`, with
    `root`'s own tangent 1. Whatever an earlier call left on the nodes does not matter
    (calls from other roots of the same graph, or any value at all): a parent that cannot be
    reached from `root` does not depend on it, so its tangent is 0. `root` may be any node,
    and graphs may be chains 100,000 deep.
    """
    ### BEGIN SOLUTION forward_mode
    order = topological_order(root)
    for node in order:
        for parent in node.parent_nodes:
            parent.partial_derivative = 0.0
    root.partial_derivative = 1.0
    for node in order[1:]:
        tangent = 0.0
        for parent, local in zip(node.parent_nodes, node.grad_wrt_parents):
            tangent += local * parent.partial_derivative
        node.partial_derivative = tangent
    ### END SOLUTION
