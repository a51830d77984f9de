"""The students' skeleton: generated from the reference, importable, and failing task by task."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from adkit.authoring import regions, skeleton
from adkit.authoring.regions import TASKS, RegionError, find_regions

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_TESTS = ROOT / "reference" / "tests" / "test_public.py"


def copy_tree(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".benchmarks"))
    return target


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # A student's plain pytest: no third-party plugins (hypothesis's alone costs 0.7 s a run).
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return env


def run_public_tests(folder: Path, task: str, report: Path) -> dict[str, bool]:
    """`pytest -m task` inside `folder`; {test name: passed} from its JUnit report."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", task, "-q", "-p", "no:cacheprovider",
         f"--junitxml={report}"],
        cwd=folder, env=clean_env(), capture_output=True, text=True, timeout=300)
    assert report.is_file(), f"pytest wrote no report in {folder}:\n{result.stdout}{result.stderr}"
    outcome = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        failed = any(child.tag in ("failure", "error") for child in case)
        skipped = any(child.tag == "skipped" for child in case)
        outcome[case.get("name")] = not failed and not skipped
    return outcome


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

def test_skeleton_imports_cleanly_and_gaps_name_their_task(tmp_path):
    folder = copy_tree(ROOT / "skeleton", tmp_path)
    script = (
        "import simpleautodiff as ad\n"
        "print(ad.__file__)\n"
        "try:\n"
        "    ad.forward(ad.Node(1.0))\n"
        "except NotImplementedError as e:\n"
        "    print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=folder, env=clean_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    file_line, message = result.stdout.splitlines()[:2]
    assert Path(file_line).resolve().is_relative_to(folder.resolve())
    assert "Task forward_mode" in message


# --- (d) every task's public tests fail on the skeleton and pass on the reference -----------

@pytest.mark.parametrize("task", TASKS)
def test_public_tests_fail_on_skeleton_and_pass_on_reference(task, tmp_path):
    skeleton_copy = copy_tree(ROOT / "skeleton", tmp_path / "s")
    reference_copy = copy_tree(ROOT / "reference", tmp_path / "r")
    on_skeleton = run_public_tests(skeleton_copy, task, tmp_path / "skeleton.xml")
    on_reference = run_public_tests(reference_copy, task, tmp_path / "reference.xml")
    assert on_reference, f"no public test is marked {task}"
    assert all(on_reference.values()), f"{task}: reference fails {on_reference}"
    assert set(on_skeleton) == set(on_reference)
    passing = [name for name, ok in on_skeleton.items() if ok]
    assert not passing, f"{task}: these public tests pass on the empty skeleton: {passing}"


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
    from adkit.grade.rubric import load_rubric

    rubric = load_rubric()
    assert set(KINDS) == set(rubric.tests), "a hidden test has no line in student_readme.KINDS"
    text = (ROOT / "skeleton" / "README.md").read_text(encoding="utf-8")
    for (task, test), rule in rubric.tests.items():
        assert f"| {test.removeprefix('test_')} | {rule.points:g} | {KINDS[task, test]} |" \
            in text, (task, test)
    assert "pytest -m graph" in text and "paths of different lengths that meet" in text
