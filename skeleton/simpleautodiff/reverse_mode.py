# ============================================================================
# YOUR FILE. Tasks in this file: reverse_mode, operators.
# Fill in each TODO; `pytest -m TASK` runs that task's public tests.
# (Instructors generate this file from the reference with `make skeleton`.)
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
    first, whatever earlier calls left, so calling `backward` again (from the same node or
    another, an inner node too) gives the right numbers. Graphs may be chains 100,000 deep.
    """
    # TODO [reverse_mode]: implement backward() as its docstring says.
    raise NotImplementedError("Task reverse_mode: implement backward() in simpleautodiff/reverse_mode.py")


def grad(f: Callable[..., Node | float]) -> Callable[..., tuple[float, ...]]:
    """`grad(f)(*floats)` is the tuple of `∂f/∂x_i` at those floats, by reverse mode.

    `f` takes one Node per float and returns a Node built from them (with primitives or
    operators); the tuple holds one float per argument, in order.
    """
    # TODO [operators]: implement grad() as its docstring says.
    raise NotImplementedError("Task operators: implement grad() in simpleautodiff/reverse_mode.py")
