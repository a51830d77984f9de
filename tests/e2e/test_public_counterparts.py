"""No hidden requirements: every hidden test has public tests of the same kind.

The hidden tests (graders/, listed in graders/rubric.toml) differ from the public ones
(reference/tests/test_public.py, copied into the skeleton) in their data only. COUNTERPARTS
says which public tests check the same kinds of things as each hidden test; a hidden test
added without naming its public counterparts here fails this test, and so does a name
that is not a public test of the same task.
"""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adkit.model.rubric import load_rubric
from tests.helpers import COHORT, ROOT
from tests.helpers.cohorts import copy_cohort

PUBLIC = ROOT / "reference" / "tests" / "test_public.py"

PAPER_GRAPH = ["test_paper_example_values_and_local_derivatives"]
ORDERS = ["test_topological_order_of_paper_graph",
          "test_reverse_topological_order_of_paper_graph",
          "test_orders_where_paths_of_different_lengths_meet_fan_out_and_x_times_x"]
FORWARD = ["test_forward_mode_paper_tangents", "test_forward_mode_second_input_on_same_graph",
           "test_forward_mode_whatever_earlier_calls_left",
           "test_forward_mode_where_paths_of_different_lengths_meet_fan_out_and_x_times_x"]
BACKWARD = ["test_reverse_mode_paper_adjoints", "test_backward_twice_gives_the_same_numbers",
            "test_backward_whatever_earlier_calls_left",
            "test_backward_where_paths_of_different_lengths_meet_fan_out_and_x_times_x"]
TAPE = ["test_tape_records_and_differentiates_paper_example",
        "test_tape_from_inputs_made_before_it_and_reset_first",
        "test_tape_where_paths_of_different_lengths_meet_fan_out_and_x_times_x"]

COUNTERPARTS: dict[tuple[str, str], list[str]] = {
    ("graph", "test_paper_example"): PAPER_GRAPH,
    ("graph", "test_each_primitive"): ["test_every_primitive_at_one_point",
                                       "test_numbers_become_constant_nodes",
                                       "test_numbers_on_either_side_and_the_same_node_twice"],
    ("graph", "test_random_functions"): PAPER_GRAPH,
    ("graph", "test_larger_function"): PAPER_GRAPH,
    ("topological_order", "test_paper_example"): ORDERS,
    ("topological_order", "test_shared_nodes"): ORDERS,
    ("topological_order", "test_random_graphs"): ORDERS,
    ("topological_order", "test_many_children"):
        ["test_order_from_a_node_with_many_children_is_fast"],
    ("topological_order", "test_big_graphs"):
        ["test_orders_on_a_deep_chain_at_the_default_recursion_limit"],
    ("forward_mode", "test_paper_example"): FORWARD,
    ("forward_mode", "test_shared_nodes"): FORWARD,
    ("forward_mode", "test_random_graphs"): FORWARD,
    ("forward_mode", "test_big_graphs"): ["test_forward_mode_on_a_deep_chain"],
    ("reverse_mode", "test_paper_example"): BACKWARD,
    ("reverse_mode", "test_shared_nodes"): BACKWARD,
    ("reverse_mode", "test_random_graphs"): BACKWARD,
    ("reverse_mode", "test_big_graphs"): ["test_backward_on_a_deep_chain"],
    ("wrapper", "test_new_functions"): ["test_wrapper_makes_a_primitive",
                                        "test_wrapper_numbers_become_constants_and_any_arity"],
    ("wrapper", "test_numbers_become_constants"):
        ["test_wrapper_numbers_become_constants_and_any_arity"],
    ("wrapper", "test_every_primitive_rewritten"): ["test_wrapper_makes_a_primitive"],
    ("tape", "test_records_creation_order"): [*TAPE,
                                              "test_tape_stops_recording_when_the_block_ends"],
    ("tape", "test_paper_example"): TAPE,
    ("tape", "test_random_graphs"): TAPE,
    ("tape", "test_inputs_made_before_the_tape"):
        ["test_tape_from_inputs_made_before_it_and_reset_first"],
    ("tape", "test_big_graphs"): ["test_tape_on_a_deep_chain"],
    ("operators", "test_operators_build_primitives"):
        ["test_operators_with_numbers_on_either_side"],
    ("operators", "test_random_expressions"): ["test_operators_and_grad_on_paper_example",
                                               "test_operators_with_numbers_on_either_side"],
    ("operators", "test_grad"): ["test_operators_and_grad_on_paper_example",
                                 "test_operators_with_numbers_on_either_side"],
}


def public_tests() -> dict[str, set[str]]:
    """Each public test function's name -> the task markers on it."""
    out = {}
    for node in ast.parse(PUBLIC.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            out[node.name] = {d.attr for d in node.decorator_list
                              if isinstance(d, ast.Attribute)}
    return out


def missing(hidden: set[tuple[str, str]], public: dict[str, set[str]]) -> list[str]:
    """What keeps a hidden test from having public counterparts of its task."""
    problems = [f"{task}::{test} has no public counterpart in COUNTERPARTS"
                for task, test in sorted(hidden - set(COUNTERPARTS))]
    for (task, test), names in COUNTERPARTS.items():
        for name in names:
            if task not in public.get(name, set()):
                problems.append(f"{task}::{test}: {name} is not a public test marked {task}")
    return problems


def test_every_hidden_test_has_public_counterparts():
    assert missing(set(load_rubric().tests), public_tests()) == []


def test_a_hidden_test_without_a_counterpart_is_caught():
    hidden = set(load_rubric().tests) | {("tape", "test_nested_tapes")}
    assert missing(hidden, public_tests()) == [
        "tape::test_nested_tapes has no public counterpart in COUNTERPARTS"]


def test_the_sizes_students_read_are_the_graders_sizes():
    """The depth and fan-out the docstrings, notebooks and public tests state are the big
    graphs' (adkit/grade/builders.py BIG and STAR)."""
    from adkit.grade import builders

    depth, children = builders.BIG[0][1], builders.STAR[1]
    texts = {path: path.read_text(encoding="utf-8") for path in (
        ROOT / "reference" / "simpleautodiff" / "order.py",
        ROOT / "assignments" / "templates" / "2_forward_mode.py")}
    for path, text in texts.items():
        assert f"chains {depth:,} deep" in text or f"chain {depth:,} deep" in text, path
        assert f"{children:,} children" in text, path
    public = PUBLIC.read_text(encoding="utf-8")
    assert f"DEEP = {depth:_}" in public and f"range({children:_})" in public


# --- no hidden requirements, checked on bugs: every bug of the test cohort fails a public
# test of its own task (issue 21) ----------------------------------------------------------

def _task_of(bug: str) -> str:
    from adkit.model.rubric import TASKS

    return max((t for t in TASKS if bug.startswith(f"bug_{t}_")), key=len)


def _public_run(bug: str, base: Path, task: str | None = None) -> subprocess.CompletedProcess:
    """The public tests of `task` (the bug's), run on the folder as a student runs them."""
    folder = copy_cohort([bug], COHORT, base) / bug
    shutil.copytree(ROOT / "reference" / "tests", folder / "tests",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pytest.ini"):
        shutil.copy(ROOT / "reference" / name, folder / name)
    # A student's plain pytest: no third-party plugins (hypothesis's alone costs 0.7 s a run).
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "pytest", "-m", task or _task_of(bug), "-x", "-q",
                           "-p", "no:cacheprovider"], cwd=folder, capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.mark.slow
def test_every_bug_of_the_cohort_fails_a_public_test_of_its_task(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from adkit.cohort import expectations

    expected = expectations.load(COHORT / "expectations.toml")
    bugs = sorted(name for name, e in expected.items()
                  if name.startswith("bug_") and "loses" in e)
    assert len(bugs) >= 30
    with ThreadPoolExecutor(2) as pool:
        runs = dict(zip(bugs, pool.map(lambda b: _public_run(b, tmp_path), bugs), strict=True))
    passing = [bug for bug, run in runs.items() if run.returncode == 0]
    assert passing == [], "these bugs pass every public test of their task"
    odd = {bug: run.stdout[-500:] for bug, run in runs.items() if run.returncode != 1}
    assert odd == {}, "pytest did not run the public tests (exit status not 1)"


@pytest.mark.slow
def test_a_correct_solution_passes_the_public_tests_the_bugs_fail(tmp_path):
    """The check above fails only on bugs: correct_kahn passes every public test."""
    run = _public_run("correct_kahn", tmp_path, task=" or ".join(load_rubric().tasks))
    assert run.returncode == 0, run.stdout[-2000:]
