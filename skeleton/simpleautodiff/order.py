# ============================================================================
# YOUR FILE. Tasks in this file: topological_order.
# Fill in each TODO; `pytest -m TASK` runs that task's public tests.
# (Instructors generate this file from the reference with `make skeleton`.)
# ============================================================================
"""Topological orders of the graph (paper, section "Topological order").

Both walks are iterative depth-first searches: a recursive one dies near Python's
recursion limit (about 1,000 levels), and graders build chains 100,000 deep.
"""

from __future__ import annotations

from .node import Node


def topological_order(root: Node) -> list[Node]:
    """Every node reachable from `root` through `child_nodes`, `root` first.

    Each node comes after all of its parents that are in the list; any such order is
    accepted. It must work on a chain 100,000 deep at Python's default recursion limit (so
    no recursion) and, in linear time, on a node with 30,000 children.
    """
    # TODO [topological_order]: implement topological_order() as its docstring says.
    raise NotImplementedError("Task topological_order: implement topological_order() in simpleautodiff/order.py")


def reverse_topological_order(output: Node) -> list[Node]:
    """Every node from which `output` is reachable through `parent_nodes`, `output` first.

    Each node comes before all of its parents: the order in which backprop visits nodes.
    Any such order is accepted; as above, on chains 100,000 deep too.
    """
    # TODO [topological_order]: implement reverse_topological_order() as its docstring says.
    raise NotImplementedError("Task topological_order: implement reverse_topological_order() in simpleautodiff/order.py")


# TODO [topological_order]: helpers and tables for task 'topological_order' went here; add any you need.
