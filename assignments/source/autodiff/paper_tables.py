"""The paper's tables and drawings for any graph of Nodes (given code, no task in it).

Generated from reference/simpleautodiff/labels.py, trace.py, draw.py by `make course-generate`; do not edit.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


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


_SHOWN = {
    "value": lambda n: f"{n.value:.4g}",
    "partial_derivative": lambda n: f"v̇={n.partial_derivative:.4g}",
    "adjoint": lambda n: f"v̄={n.adjoint:.4g}",
}


def to_dot(output: Node, show: tuple[str, ...] = ("value",)) -> str:
    """DOT source for the graph `output` depends on, edges parent -> child.

    `show` picks what each node displays besides its label and operator: any of
    "value", "partial_derivative", "adjoint".
    """
    unknown = [s for s in show if s not in _SHOWN]
    if unknown:
        raise ValueError(f"cannot show {unknown}; choose from {sorted(_SHOWN)}")
    nodes = graph_of(output)
    labels = label_nodes(nodes)
    ids = {node: f"n{i}" for i, node in enumerate(nodes)}
    lines = ["digraph G {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for node in nodes:
        text = [f"{labels[node]} ({node.operator})"] + [_SHOWN[s](node) for s in show]
        shape = ", shape=ellipse" if node.operator in ("input", "const") else ""
        label = "\\n".join(text)  # DOT's own line break inside a label
        lines.append(f'  {ids[node]} [label="{label}"{shape}];')
    for node in nodes:
        for parent in node.parent_nodes:
            lines.append(f"  {ids[parent]} -> {ids[node]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_svg(output: Node, path: str | Path, show: tuple[str, ...] = ("value",)) -> Path:
    """Write the drawing as SVG with Graphviz's `dot`; without it, write the DOT source.

    Returns the path written (ending in .svg, or .dot when Graphviz is not installed).
    """
    path = Path(path)
    source = to_dot(output, show)
    dot = shutil.which("dot")
    if dot is None:
        path = path.with_suffix(".dot")
        path.write_text(source, encoding="utf-8")
        return path
    svg = subprocess.run([dot, "-Tsvg"], input=source, capture_output=True, text=True, check=True)
    path.write_text(svg.stdout, encoding="utf-8")
    return path


def show_graph(output, show=("value",)):
    """Draw the graph in the notebook: SVG when Graphviz is installed, else the DOT text."""
    source = to_dot(output, show)
    dot = shutil.which("dot")
    if dot is not None:
        svg = subprocess.run([dot, "-Tsvg"], input=source, capture_output=True, text=True)
        if svg.returncode == 0:
            from IPython.display import SVG, display

            display(SVG(svg.stdout))
            return
    print("(Graphviz is not installed here: the graph as DOT source)")
    print(source)
