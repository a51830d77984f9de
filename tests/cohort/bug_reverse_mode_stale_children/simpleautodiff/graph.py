"""Topological orders by an iterative depth-first search (enter/leave markers)."""

from __future__ import annotations


def _postorder(start, neighbours):
    """Depth-first post-order from start; a node is emitted when it is left."""
    done = set()
    out = []
    stack = [(start, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            out.append(node)
            continue
        if node in done:
            continue
        done.add(node)
        stack.append((node, True))
        for nxt in reversed(neighbours(node)):
            if nxt not in done:
                stack.append((nxt, False))
    return out


def topological_order(root):
    order = _postorder(root, lambda n: n.child_nodes)
    order.reverse()
    return order


def reverse_topological_order(output):
    order = _postorder(output, lambda n: n.parent_nodes)
    order.reverse()
    return order
