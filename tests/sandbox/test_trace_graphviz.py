"""Drawings through Graphviz's `dot`, run in a process of its own: to_dot's source is valid
Graphviz and write_svg writes SVG. (Traces and dot source: tests/unit/test_trace_draw.py.)"""

from __future__ import annotations

import shutil
import subprocess

import pytest

import simpleautodiff as ad
from adkit.model import programs


def paper_graph() -> list[ad.Node]:
    return programs.build(programs.paper_example(), ad)


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz `dot` is not installed (apt-get install graphviz)")
def test_to_dot_is_valid_graphviz():
    source = ad.to_dot(paper_graph()[-1], show=("value", "adjoint"))
    result = subprocess.run([shutil.which("dot"), "-Tsvg"], input=source, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz `dot` is not installed (apt-get install graphviz)")
def test_write_svg_writes_svg(tmp_path):
    written = ad.write_svg(paper_graph()[-1], tmp_path / "paper.svg")
    assert written == tmp_path / "paper.svg"
    assert "<svg" in written.read_text(encoding="utf-8")
