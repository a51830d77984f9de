# Generated from reference/ by `make skeleton`; do not edit (edit the reference).
# ============================================================================
# STUDENT FILE. Tasks in this file: reverse_mode, operators.
# Fill in each TODO; `pytest -m TASK` runs that task's public tests.
# ============================================================================
"""Reverse mode, or backprop (paper, section "Reverse mode"), and `grad`."""

from __future__ import annotations

from collections.abc import Callable

from .node import Node, as_node
from .order import reverse_topological_order


def backward(output: Node) -> None:
    """Set `n.adjoint = ∂output/∂n` on every node `n` that `output` depends on.

    Adjoints flow from `output` (adjoint 1) back to the inputs; a node that feeds several
    children collects the *sum* of their contributions `v̄ · ∂v/∂u`. Every adjoint is reset
    first, so calling `backward` again gives the same numbers.
    """
    # TODO [reverse_mode]: implement backward() as its docstring says.
    raise NotImplementedError("Task reverse_mode: implement backward() in simpleautodiff/reverse_mode.py")


def grad(f: Callable[..., Node | float]) -> Callable[..., tuple[float, ...]]:
    """`grad(f)(*floats)` is the tuple of `∂f/∂x_i` at those floats, by reverse mode."""
    # TODO [operators]: implement grad() as its docstring says.
    raise NotImplementedError("Task operators: implement grad() in simpleautodiff/reverse_mode.py")
