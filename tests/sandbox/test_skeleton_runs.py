"""The skeleton students start from, run in a process of its own: it imports cleanly and each
gap names its task, and the public tests fail on it and pass on the reference, task by task.
(What the generator writes: tests/unit/test_skeleton.py.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from adkit.authoring.regions import TASKS
from tests.helpers import ROOT


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
