"""The paper's tables for any graph: evaluation trace, tangent trace, adjoint trace.

Each function returns the table as text, so a student can print it beside the paper:

    >>> print(evaluation_trace(y))      # each node, its operator, its parents, its value
    >>> forward(x1); print(tangent_trace(y))
    >>> backward(y); print(adjoint_trace(y))
"""

from __future__ import annotations

from .labels import graph_of, label_nodes
from .node import Node


def evaluation_trace(output: Node) -> str:
    """Each node `output` depends on: its label, operator, parents and value."""
    return _table(output, "value", lambda n: n.value)


def tangent_trace(output: Node) -> str:
    """Each node's `partial_derivative` (v̇), as left by the last `forward(root)`."""
    return _table(output, "tangent v̇", lambda n: n.partial_derivative)


def adjoint_trace(output: Node) -> str:
    """Each node's `adjoint` (v̄), as left by the last `backward(output)`."""
    return _table(output, "adjoint v̄", lambda n: n.adjoint)


def _table(output: Node, heading: str, column) -> str:
    nodes = graph_of(output)
    labels = label_nodes(nodes)
    rows = [("node", "operator", "parents", heading)]
    for node in nodes:
        parents = ", ".join(labels[p] for p in node.parent_nodes)
        rows.append((labels[node], node.operator, parents, f"{column(node):.6f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
