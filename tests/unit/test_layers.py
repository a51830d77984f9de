"""The tests' own layering (tests/conftest.py): every test module lies in one layer, none
imports another, helpers hold no tests, and a unit test that starts a process fails."""

from __future__ import annotations

import ast
import multiprocessing
import os
import subprocess
import sys

import pytest

from tests.conftest import LAYERS, StartedAProcess, layer_of, no_processes
from tests.helpers import ROOT, TESTS

# Folders of data and helpers: never collected as tests.
NOT_TESTS = ("cohort", "hostile", "fixtures", "helpers")
# Calls that start a process; a unit test module names none of them (the runtime guard also
# catches a process started deep in the kit, but only where the test runs: not a skipped one).
SPAWNING_MODULES = {"subprocess", "multiprocessing", "pty", "concurrent.futures.process"}
SPAWNING_CALLS = {"fork", "forkpty", "system", "popen", "posix_spawn", "posix_spawnp",
                  "execv", "execve", "execvp", "spawnv", "ProcessPoolExecutor"}


def _test_modules() -> list:
    return sorted(p for p in TESTS.rglob("test_*.py")
                  if not set(p.relative_to(TESTS).parts[:-1]) & set(NOT_TESTS))


def _imported(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_every_test_module_lies_in_one_layer():
    outside = [str(p.relative_to(ROOT)) for p in _test_modules() if layer_of(p) is None]
    assert outside == [], f"move them into one of tests/{{{','.join(LAYERS)}}}/"
    nested = [str(p.relative_to(ROOT)) for p in _test_modules()
              if len(p.relative_to(TESTS).parts) != 2]
    assert nested == []


def test_no_test_module_imports_another():
    """Shared code goes to tests/helpers/ (or a fixture in tests/conftest.py): importing a
    test module would also collect its tests twice and tie two layers together."""
    found = {}
    for path in [*_test_modules(), *(TESTS / "helpers").glob("*.py"), TESTS / "conftest.py"]:
        bad = sorted(n for n in _imported(path) if n.startswith("test_") or (
            n.startswith("tests.") and any(p.startswith("test_") for p in n.split("."))))
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    assert found == {}


def test_helpers_hold_no_tests():
    found = [f"{p.name}: {node.name}" for p in (TESTS / "helpers").glob("*.py")
             for node in ast.parse(p.read_text(encoding="utf-8")).body
             if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    assert found == []


def test_unit_modules_name_no_way_to_start_a_process():
    found = {}
    for path in sorted((TESTS / "unit").glob("test_*.py")):
        if path.name == "test_layers.py":  # starts processes on purpose, to be refused
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n for n in _imported(path) if n in SPAWNING_MODULES}
        names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                  and node.attr in SPAWNING_CALLS}
        if names:
            found[path.name] = sorted(names)
    assert found == {}, "tests that start processes belong in tests/sandbox or tests/e2e"


@pytest.mark.parametrize("start", [
    lambda: subprocess.run(["true"], check=True),
    lambda: subprocess.Popen([sys.executable, "-c", "pass"]).wait(),
    lambda: os.system("true"),
    lambda: os.posix_spawn("/bin/true", ["true"], os.environ),
    lambda: multiprocessing.get_context("fork").Process(target=print).start(),
    lambda: multiprocessing.get_context("spawn").Process(target=print).start(),
], ids=["run", "Popen", "system", "posix_spawn", "fork", "spawn"])
def test_a_unit_test_that_starts_a_process_fails(start):
    """The guard is on here (this is a unit test): every way of starting a process is
    refused, with a message that says where the test belongs. StartedAProcess is no
    Exception, so that the kit's own `except Exception` cannot swallow it."""
    assert not issubclass(StartedAProcess, Exception)
    with pytest.raises(StartedAProcess, match="tests/unit runs in-process only.*tests/sandbox"):
        start()


def test_the_guard_puts_back_what_it_found():
    """no_processes restores the functions it replaced (here: the unit test's own guard),
    so nothing leaks into the next test; and each test file's layer is its folder."""
    assert subprocess.Popen._execute_child.__name__ == "refused"  # this test is guarded
    saved = subprocess.Popen._execute_child, os.fork
    with no_processes("a check"):
        assert subprocess.Popen._execute_child is not saved[0]
    assert (subprocess.Popen._execute_child, os.fork) == saved
    assert layer_of(TESTS / "sandbox" / "test_sandbox.py") == "sandbox"
    assert layer_of(TESTS / "e2e" / "x" / "test_y.py") == "e2e"
    assert layer_of(TESTS / "test_new.py") is None and layer_of(ROOT / "bench" / "x.py") is None
