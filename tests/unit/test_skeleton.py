"""The students' skeleton, generated from the reference, in-process. Importing and running it:
tests/sandbox/test_skeleton_runs.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from adkit.authoring import regions, skeleton
from adkit.authoring.regions import TASKS, RegionError, find_regions
from tests.helpers import ROOT

PUBLIC_TESTS = ROOT / "reference" / "tests" / "test_public.py"


# --- (a), (b) staleness ---------------------------------------------------------------

def test_committed_skeleton_is_what_the_generator_writes():
    stale = skeleton.stale_files()
    assert stale == [], f"skeleton/ is stale, run `make skeleton`: {stale}"


def test_generated_skeleton_is_complete(tmp_path):
    written = skeleton.write(tmp_path)
    assert {p.relative_to(tmp_path) for p in written} == set(skeleton.expected_files())
    assert skeleton.stale_files(tmp_path) == []


def test_hand_edited_missing_and_extra_files_are_detected(tmp_path):
    skeleton.write(tmp_path)
    forward = tmp_path / "simpleautodiff" / "forward_mode.py"
    forward.write_text(forward.read_text(encoding="utf-8") + "# my answer\n", encoding="utf-8")
    (tmp_path / "simpleautodiff" / "extra.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "pytest.ini").unlink()
    stale = skeleton.stale_files(tmp_path)
    assert str(Path("simpleautodiff", "forward_mode.py")) in stale
    assert f"{Path('simpleautodiff', 'extra.py')} (not generated)" in stale
    assert "pytest.ini" in stale
    assert len(stale) == 3
    skeleton.write(tmp_path)  # writing again repairs all three
    assert skeleton.stale_files(tmp_path) == []


def test_skeleton_holds_no_solution():
    for rel, text in skeleton.expected_files().items():
        if rel.suffix == ".py" and rel.parts[0] == "simpleautodiff":
            assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, rel


# --- (c) importable ---------------------------------------------------------------------


# --- (d) every task's public tests fail on the skeleton and pass on the reference -----------


# --- (e) every task has tests and regions -------------------------------------------------

def public_test_tasks() -> dict[str, list[str]]:
    """{task: names of public tests marked with it}, read from the test module's source."""
    found: dict[str, list[str]] = {}
    for node in ast.parse(PUBLIC_TESTS.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Attribute)
                        and isinstance(decorator.value, ast.Attribute)
                        and decorator.value.attr == "mark"):
                    found.setdefault(decorator.attr, []).append(node.name)
    return found


def test_every_task_has_public_tests_and_solution_regions():
    tests = public_test_tasks()
    missing_tests = [t for t in TASKS if not tests.get(t)]
    assert not missing_tests, f"tasks without a public test: {missing_tests}"
    unknown = set(tests) - set(TASKS)
    assert not unknown, f"public tests marked with tasks that are not rubric tasks: {unknown}"
    found = regions.package_regions(ROOT / "reference" / "simpleautodiff")
    tasks = {r.task for rs in found.values() for r in rs}
    assert tasks == set(TASKS), f"tasks without a solution region: {set(TASKS) - tasks}"


# --- (f) malformed regions -------------------------------------------------------------

@pytest.mark.parametrize("name, source, line, words", [
    ("nested", "def f():\n    ### BEGIN SOLUTION graph\n    x = 1\n"
     "    ### BEGIN SOLUTION graph\n    ### END SOLUTION\n", 4, "inside the region"),
    ("unclosed", "def f():\n    ### BEGIN SOLUTION tape\n    return 1\n", 2, "never closed"),
    ("unknown", "def f():\n    ### BEGIN SOLUTION gradients\n    return 1\n"
     "    ### END SOLUTION\n", 2, "gradients"),
    ("untagged", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", 2,
     "rubric task"),
    ("stray end", "def f():\n    return 1\n    ### END SOLUTION\n", 3, "without a BEGIN"),
])
def test_malformed_regions_are_named_by_file_and_line(tmp_path, name, source, line, words):
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(RegionError) as error:
        find_regions(path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert words in message, message


def test_well_formed_regions_are_found_with_their_function(tmp_path):
    path = tmp_path / "module.py"
    path.write_text("def f():\n    ### BEGIN SOLUTION graph\n    return 1\n    ### END SOLUTION\n"
                    "### BEGIN SOLUTION tape\nX = 1\n### END SOLUTION\n", encoding="utf-8")
    found = find_regions(path)
    assert [(r.task, r.begin, r.end, r.function) for r in found] == [
        ("graph", 2, 4, "f"), ("tape", 5, 7, None)]


def test_the_readme_says_what_every_hidden_test_checks():
    """skeleton/README.md (generated) names every hidden test of the rubric with its points
    and kinds of behaviour, and how to run one task's tests."""
    from adkit.authoring.student_readme import KINDS
    from adkit.model.rubric import load_rubric

    rubric = load_rubric()
    assert set(KINDS) == set(rubric.tests), "a hidden test has no line in student_readme.KINDS"
    text = (ROOT / "skeleton" / "README.md").read_text(encoding="utf-8")
    for (task, test), rule in rubric.tests.items():
        assert f"| {test.removeprefix('test_')} | {rule.points:g} | {KINDS[task, test]} |" \
            in text, (task, test)
    assert "pytest -m graph" in text and "paths of different lengths that meet" in text
