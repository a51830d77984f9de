"""Topological orders of the graph (paper, section "Topological order").

Both walks are iterative depth-first searches: a recursive one dies near Python's
recursion limit (about 1,000 levels), and graders build chains 100,000 deep.
"""

from __future__ import annotations

from .node import Node


def topological_order(root: Node) -> list[Node]:
    """Every node reachable from `root` through `child_nodes`, `root` first.

    Each node comes after all of its parents that are in the list. A node is appended
    after all of its children (post-order), and the list is then reversed.
    """
    ### BEGIN SOLUTION topological_order
    return _reversed_postorder(root, "child_nodes")
    ### END SOLUTION


def reverse_topological_order(output: Node) -> list[Node]:
    """Every node from which `output` is reachable through `parent_nodes`, `output` first.

    Each node comes before all of its parents: the order in which backprop visits nodes.
    """
    ### BEGIN SOLUTION topological_order
    return _reversed_postorder(output, "parent_nodes")
    ### END SOLUTION


### BEGIN SOLUTION topological_order
def _reversed_postorder(start: Node, edges: str) -> list[Node]:
    """Depth-first post-order from `start` along the lists named `edges`, reversed."""
    seen = {start}
    postorder: list[Node] = []
    # Each stack entry is a node and an iterator over the neighbours it has yet to visit.
    stack = [(start, iter(getattr(start, edges)))]
    while stack:
        node, neighbours = stack[-1]
        for neighbour in neighbours:
            if neighbour not in seen:
                seen.add(neighbour)
                stack.append((neighbour, iter(getattr(neighbour, edges))))
                break
        else:
            stack.pop()
            postorder.append(node)
    postorder.reverse()
    return postorder
### END SOLUTION
