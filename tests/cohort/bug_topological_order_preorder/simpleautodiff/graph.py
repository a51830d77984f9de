"""Topological orders by an iterative depth-first search (enter/leave markers)."""

from __future__ import annotations


def _postorder(start, neighbours):
    """Depth-first post-order from start; a node is emitted when it is left."""
    done = set()
    out = []
    stack = [start]
    while stack:
        node = stack.pop()
        if node in done:
            continue
        done.add(node)
        out.append(node)  # appended before its children: pre-order
        stack.extend(reversed(neighbours(node)))
    return out


def topological_order(root):
    order = _postorder(root, lambda n: n.child_nodes)
    return order


def reverse_topological_order(output):
    order = _postorder(output, lambda n: n.parent_nodes)
    return order
