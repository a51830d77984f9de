"""Topological orders by Kahn's algorithm run from the far end, breadth first.

For topological_order(root) the sinks of the reachable part are peeled off first (a node
goes once all its children inside are gone), and the list is reversed at the end."""

from __future__ import annotations

from collections import deque


def _reach(start, edges):
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in getattr(queue.popleft(), edges):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _from_far_end(start, forward_edges, backward_edges):
    inside = _reach(start, forward_edges)
    remaining = {n: sum(1 for m in getattr(n, forward_edges) if m in inside) for n in inside}
    queue = deque(n for n, k in remaining.items() if k == 0)
    peeled = []
    while queue:
        node = queue.popleft()
        peeled.append(node)
        if node is start:
            continue
        for prev in getattr(node, backward_edges):
            if prev in inside:
                remaining[prev] -= 1
                if remaining[prev] == 0:
                    queue.append(prev)
    peeled.reverse()
    return peeled


def topological_order(root):
    return _from_far_end(root, "child_nodes", "parent_nodes")


def reverse_topological_order(output):
    return _from_far_end(output, "parent_nodes", "child_nodes")
