# ============================================================================
# YOUR FILE. Tasks in this file: forward_mode.
# Fill in each TODO; `pytest -m TASK` runs that task's public tests.
# (Instructors generate this file from the reference with `make skeleton`.)
# ============================================================================
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
    # TODO [forward_mode]: implement forward() as its docstring says.
    raise NotImplementedError("Task forward_mode: implement forward() in simpleautodiff/forward_mode.py")
