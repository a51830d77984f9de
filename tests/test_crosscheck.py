"""The crosscheck's verdicts (adkit/platforms/crosscheck.py): a monkeypatcher is SUSPECT,
honest bugs (all-or-nothing cells against partial credit, checks only the sandbox makes)
are not; suspects sort first. The whole course runs in tests/test_course_e2e.py."""

from __future__ import annotations

import json

from adkit.grade.plugin import Outcome
from adkit.grade.rubric import load_rubric
from adkit.outputs import files as outputs
from adkit.platforms.course_feedback import page
from adkit.platforms.crosscheck import compare, task_of

RUBRIC = load_rubric()
CELLS = {"graph": (8, 12), "topological_order": (6, 9), "forward_mode": (6, 9),
         "reverse_mode": (6, 9), "wrapper": (4, 6), "tape": (6, 9), "operators": (4, 6)}


def _kernel(failed: set[str] = frozenset()) -> dict[str, tuple[float, float]]:
    """nbgrader's cells, all passed except those in `failed`."""
    cells = {}
    for task, (paper, hidden) in CELLS.items():
        for kind, points in (("paper", paper), ("random", hidden)):
            cell = f"test_{task}_{kind}"
            cells[cell] = (0.0 if cell in failed else float(points), float(points))
    return cells


def _sandbox(fractions: dict[tuple[str, str], float] | None = None) -> list[dict]:
    outcomes = {k: Outcome((fractions or {}).get(k, 1.0), "x") for k in RUBRIC.tests}
    return outputs.results("s", RUBRIC, outcomes, {"seconds": 0.0})["tests"]


def test_cells_map_to_tasks():
    assert task_of("test_forward_mode_paper") == "forward_mode"
    assert task_of("test_topological_order_random") == "topological_order"
    assert task_of("answer_graph") is None


def test_a_monkeypatcher_is_suspect():
    # visible forward cell passed in the kernel (builtins.all patched), hidden one failed;
    # in the sandbox `forward` does nothing
    cheat = compare("s_cheat", _kernel({"test_forward_mode_random"}),
                    _sandbox({("forward_mode", n): 0.0 for t, n in RUBRIC.tests
                              if t == "forward_mode"}))
    assert cheat.verdict == "SUSPECT"
    assert "test_forward_mode_paper passed in the kernel" in cheat.reasons[0]


def test_honest_bugs_are_not_suspect():
    # fails only the sandbox's big graphs: higher in the kernel, honestly
    deep = compare("s_deep", _kernel(), _sandbox({("topological_order", "test_big_graphs"): 0}))
    assert deep.verdict == "honest difference" and deep.kernel == 100 and deep.sandboxed == 97
    # partial credit in the sandbox where the kernel's cell gives nothing
    partial = compare("s_bug", _kernel({"test_forward_mode_paper", "test_forward_mode_random"}),
                      _sandbox({("forward_mode", "test_random_graphs"): 0.4,
                                ("forward_mode", "test_paper_example"): 0.0}))
    assert partial.verdict == "honest difference" and partial.kernel < partial.sandboxed
    assert compare("s_ref", _kernel(), _sandbox()).verdict == "agree"
    assert compare("s_dead", None, _sandbox()).verdict == "not graded by nbgrader"


def test_suspects_sort_first():
    rows = [compare("a_honest", _kernel(), _sandbox({("tape", "test_big_graphs"): 0})),
            compare("b_ok", _kernel(), _sandbox()),
            compare("c_cheat", _kernel(), _sandbox({("graph", n): 0.0 for t, n in RUBRIC.tests
                                                    if t == "graph"}))]
    assert [c.student_id for c in sorted(rows, key=lambda c: c.rank)] == \
        ["c_cheat", "a_honest", "b_ok"]


def test_the_sandboxed_feedback_page_is_escaped():
    data = json.loads(json.dumps(outputs.results("s<1>", RUBRIC, {}, {"seconds": 0.0})))
    text = page("s<1>", "2_forward_mode", data, "# Feedback <script>x</script>",
                ["topological_order", "forward_mode"])
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "Your score: 0 / 100" in text and "forward_mode: 0" in text
