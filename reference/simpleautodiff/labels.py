"""Names for the nodes of a graph, as the paper writes them: inputs x1, x2, ...; v1, v2, ..."""

from __future__ import annotations

from .node import Node


def graph_of(output: Node) -> list[Node]:
    """Every node `output` depends on, parents first, numbered the way the paper does.

    Nodes are sorted by depth (the longest path from an input), ties broken by a
    left-to-right depth-first post-order, so `log(x1) + x1*x2 - sin(x2)` lists
    log, mul, sin, add, sub as the paper's v1 ... v5. The walk is iterative.
    """
    postorder: list[Node] = []
    seen = {output}
    stack = [(output, iter(output.parent_nodes))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.parent_nodes)))
                break
        else:
            stack.pop()
            postorder.append(node)
    depth: dict[Node, int] = {}
    for node in postorder:  # parents come before their children here
        depth[node] = 1 + max((depth[p] for p in node.parent_nodes), default=-1)
    position = {node: i for i, node in enumerate(postorder)}
    return sorted(postorder, key=lambda n: (depth[n], position[n]))


def label_nodes(nodes: list[Node]) -> dict[Node, str]:
    """A label per node: its own `name` if it has one, else x<i> for inputs, c<i> for
    constants and v<i> for the rest, numbered in the order given."""
    labels: dict[Node, str] = {}
    counts = {"x": 0, "c": 0, "v": 0}
    for node in nodes:
        if node.name:
            labels[node] = node.name
            continue
        kind = {"input": "x", "const": "c"}.get(node.operator, "v")
        counts[kind] += 1
        labels[node] = f"{kind}{counts[kind]}"
    return labels
