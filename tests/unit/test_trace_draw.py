"""The paper's tables (evaluation, tangent and adjoint traces) and the graph drawings' dot
source. (Through Graphviz itself: tests/sandbox/test_trace_graphviz.py.)"""

from __future__ import annotations

import doctest
import sys

import pytest

import simpleautodiff as ad
from adkit.model import programs
from simpleautodiff import draw
from tests.helpers import ROOT

# (label, operator, parents, value) as the paper numbers them, values to 6 decimals.
EVALUATION = [
    ("x1", "input", "", "2.000000"),
    ("x2", "input", "", "5.000000"),
    ("v1", "log", "x1", "0.693147"),
    ("v2", "mul", "x1, x2", "10.000000"),
    ("v3", "sin", "x2", "-0.958924"),
    ("v4", "add", "v1, v2", "10.693147"),
    ("v5", "sub", "v4, v3", "11.652071"),
]
TANGENTS_X1 = ["1.000000", "0.000000", "0.500000", "5.000000", "0.000000", "5.500000",
               "5.500000"]
TANGENTS_X2 = ["0.000000", "1.000000", "0.000000", "2.000000", "0.283662", "2.000000",
               "1.716338"]
ADJOINTS = ["5.500000", "1.716338", "1.000000", "1.000000", "-1.000000", "1.000000",
            "1.000000"]


def paper_graph() -> list[ad.Node]:
    return programs.build(programs.paper_example(), ad)


def rows(table: str) -> list[tuple[str, str, str, str]]:
    """The table's data rows, split into its four columns by the header's positions."""
    lines = table.splitlines()
    header, rule, data = lines[0], lines[1], lines[2:]
    starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
    assert len(starts) == 4, f"expected 4 columns under the header {header!r}"
    bounds = list(zip(starts, starts[1:] + [None]))
    return [tuple(line[a:b].strip() for a, b in bounds) for line in data]


def test_evaluation_trace_is_the_papers_table():
    nodes = paper_graph()
    table = ad.evaluation_trace(nodes[-1])
    assert table.splitlines()[0].split() == ["node", "operator", "parents", "value"]
    assert rows(table) == EVALUATION


@pytest.mark.parametrize("root, column", [(0, TANGENTS_X1), (1, TANGENTS_X2)])
def test_tangent_trace_for_each_input(root, column):
    nodes = paper_graph()
    ad.forward(nodes[1 - root])  # a stale earlier call must not show
    ad.forward(nodes[root])
    table = rows(ad.tangent_trace(nodes[-1]))
    assert [r[:3] for r in table] == [r[:3] for r in EVALUATION]
    assert [r[3] for r in table] == column


def test_adjoint_trace():
    nodes = paper_graph()
    ad.backward(nodes[-1])
    table = rows(ad.adjoint_trace(nodes[-1]))
    assert [r[:3] for r in table] == [r[:3] for r in EVALUATION]
    assert [r[3] for r in table] == ADJOINTS


def test_unnamed_nodes_get_paper_style_labels():
    x1, x2 = ad.Node(2.0), ad.Node(5.0)
    y = ad.add(ad.mul(x1, 3), x2)
    labels = [r[0] for r in rows(ad.evaluation_trace(y))]
    # Depth first (inputs and constants at 0), then a left-to-right walk from the output.
    assert labels == ["x1", "c1", "x2", "v1", "v2"]


@pytest.mark.slow  # about 6 s of CPU: the rest of the unit layer takes about 30
def test_traces_and_dot_of_a_chain_100000_deep():
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(min(before, 1000))
    try:
        nodes = programs.build(programs.chain_program(100_000), ad)
        y = nodes[-1]
        ad.forward(nodes[0])
        ad.backward(y)
        for trace in (ad.evaluation_trace, ad.tangent_trace, ad.adjoint_trace):
            table = trace(y)
            assert len(table.splitlines()) == 2 + 100_003
        source = ad.to_dot(y)
        # The ops cycle add, mul, neg, sub: three of every four take two parents.
        assert source.count(" -> ") == 100_000 + 3 * 100_000 // 4
    finally:
        sys.setrecursionlimit(before)


def test_to_dot_lists_every_node_and_edge():
    nodes = paper_graph()
    source = ad.to_dot(nodes[-1], show=("value", "partial_derivative", "adjoint"))
    assert source.startswith("digraph G {") and source.rstrip().endswith("}")
    assert source.count(" -> ") == 8
    assert "v5 (sub)" in source and "x1 (input)" in source


def test_to_dot_rejects_an_unknown_field():
    with pytest.raises(ValueError, match="cannot show"):
        ad.to_dot(paper_graph()[-1], show=("gradient",))


def test_write_svg_without_graphviz_writes_dot(tmp_path, monkeypatch):
    monkeypatch.setattr(draw.shutil, "which", lambda name: None)
    y = paper_graph()[-1]
    written = ad.write_svg(y, tmp_path / "paper.svg")
    assert written == tmp_path / "paper.dot"
    assert written.read_text(encoding="utf-8") == ad.to_dot(y)


def test_the_tables_shown_in_docs_reference_md_are_what_the_reference_prints():
    docs = ROOT / "docs" / "reference.md"
    example = docs.read_text(encoding="utf-8").split("```python\n")[1].split("```")[0]
    test = doctest.DocTestParser().get_doctest(example, {}, "docs/reference.md", str(docs), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=lambda text: pytest.fail(f"docs/reference.md is out of date:\n{text}"))
    assert runner.summarize(verbose=False).attempted >= 4
