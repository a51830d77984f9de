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
    ### BEGIN SOLUTION topological_order
    return _reversed_postorder(root, "child_nodes")
    ### END SOLUTION


def reverse_topological_order(output: Node) -> list[Node]:
    """Every node from which `output` is reachable through `parent_nodes`, `output` first.

    Each node comes before all of its parents: the order in which backprop visits nodes.
    Any such order is accepted; as above, on chains 100,000 deep too.
    """
    ### BEGIN SOLUTION topological_order
    return _reversed_postorder(output, "parent_nodes")
    ### END SOLUTION


### BEGIN SOLUTION topological_order
def _reversed_postorder(start: Node, edges: str) -> list[Node]:
    """Depth-first post-order from `start` along the lists named `edges`, reversed."""
    seen = {start}
    postorder: list[Node] = []
    # The path being explored, and for each node on it the index of the next neighbour to
    # try. Plain ints, not iterator objects: on million-node graphs, allocating objects
    # here would set off Python's cyclic garbage collector over the whole graph.
    path = [start]
    next_index = [0]
    while path:
        neighbours = getattr(path[-1], edges)
        i = next_index[-1]
        while i < len(neighbours) and neighbours[i] in seen:
            i += 1
        if i < len(neighbours):
            next_index[-1] = i + 1
            seen.add(neighbours[i])
            path.append(neighbours[i])
            next_index.append(0)
        else:
            postorder.append(path.pop())
            next_index.pop()
    postorder.reverse()
    return postorder
### END SOLUTION
