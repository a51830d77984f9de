"""The crosscheck's verdicts (adkit/platforms/crosscheck.py): a monkeypatcher is SUSPECT,
honest bugs (all-or-nothing cells against partial credit, checks only the sandbox makes)
are not; suspects sort first. The whole course runs in tests/e2e/test_course_e2e.py."""

from __future__ import annotations

import json

from adkit.cohort.scoring import score
from adkit.grade.plugin import Outcome
from adkit.model.rubric import load_rubric
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
    return score("s", RUBRIC, outcomes).to_json()["tests"]


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
    data = json.loads(json.dumps(score("s<1>", RUBRIC, {}).to_json()))
    text = page("s<1>", "2_forward_mode", data, "# Feedback <script>x</script>",
                ["topological_order", "forward_mode"])
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "Your score: 0 / 100" in text and "forward_mode: 0" in text


def test_a_tampered_submission_is_suspect_and_sorts_first():
    from adkit.platforms.crosscheck import forged

    cheat = compare("s_cheat", _kernel({"test_forward_mode_random"}),
                    _sandbox({("forward_mode", n): 0.0 for t, n in RUBRIC.tests
                              if t == "forward_mode"}))
    changed = compare("s_victim", _kernel(), _sandbox(), ["its submitted files changed"])
    assert changed.verdict == "SUSPECT" and changed.reasons == ["its submitted files changed"]
    assert sorted([cheat, changed], key=lambda c: c.rank)[0] is changed
    cells = _kernel()
    assert forged(cells, {c: top for c, (_, top) in cells.items()}) == []
    cells.update(test_graph_paper=(999.0, 8.0), test_tape_paper=(-1.0, 6.0),
                 test_wrapper_paper=(float("nan"), 4.0), test_extra=(1.0, 1.0))
    expected = {c: top for c, (_, top) in _kernel().items()}
    expected["test_operators_paper"] = 5.0
    why = " | ".join(forged(cells, expected))
    for part in ("test_graph_paper holds 999 of 8", "test_tape_paper holds -1 of 6",
                 "test_wrapper_paper holds nan", "test_extra is not a test cell",
                 "test_operators_paper is worth 5, not 4"):
        assert part in why, why


def test_a_sealed_submission_that_changes_is_found(tmp_path):
    from adkit.platforms import seal

    course = tmp_path / "course"
    for student in ("alice", "bob"):
        folder = course / "submitted" / student / "autodiff"
        folder.mkdir(parents=True)
        (folder / "1_graph.ipynb").write_text(f"{student}'s notebook")
        (folder / "timestamp.txt").write_text("2026-12-07 10:00:00")
    book = seal.seal(course, "autodiff", ["alice", "bob"])
    assert seal.changes(course, "autodiff", "alice", book) == []
    assert (seal.sealed_copy(course, "autodiff", "bob") / "1_graph.ipynb").read_text() == \
        "bob's notebook"
    (course / "submitted" / "alice" / "autodiff" / "1_graph.ipynb").write_text("rewritten")
    (course / "submitted" / "alice" / "autodiff" / "extra.py").write_text("new")
    (seal.sealed_copy(course, "autodiff", "bob") / "1_graph.ipynb").chmod(0o600)
    (seal.sealed_copy(course, "autodiff", "bob") / "1_graph.ipynb").write_text("forged")
    book = seal.recorded(course, "autodiff")
    assert seal.changes(course, "autodiff", "alice", book) == [
        "its submitted files changed after collection: 1_graph.ipynb, extra.py"]
    assert seal.changes(course, "autodiff", "bob", book) == [
        "its sealed copy does not match the digests taken at collection: 1_graph.ipynb"]
