# Generated from reference/ by `make skeleton`; do not edit (edit the reference).
# ============================================================================
# STUDENT FILE. Tasks in this file: forward_mode.
# Fill in each TODO; `pytest -m TASK` runs that task's public tests.
# ============================================================================
"""Forward mode (paper, sections "Forward mode" and "Partial derivatives")."""

from __future__ import annotations

from .node import Node
from .order import topological_order


def forward(root: Node) -> None:
    """Set `n.partial_derivative = ∂n/∂root` on every node `n` reachable from `root`.

    Along a topological order, `v̇ = Σ (∂v/∂u) · u̇` over the parents `u` of `v`, with
    `root`'s own tangent 1. Whatever an earlier call left on the nodes does not matter:
    a parent that cannot be reached from `root` does not depend on it, so its tangent is 0.
    """
    # TODO [forward_mode]: implement forward() as its docstring says.
    raise NotImplementedError("Task forward_mode: implement forward() in simpleautodiff/forward_mode.py")
