"""Drawing a graph like the paper's figures: Graphviz DOT source, and SVG where `dot` exists."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .labels import graph_of, label_nodes
from .node import Node

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
