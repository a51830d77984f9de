"""The kit's tests come in three layers, one folder each; this file says what each may do and
holds the fixtures they share (helpers that are not fixtures live in tests/helpers/).

- tests/unit/     in-process: no sandbox, no process of any kind. Enforced: a unit test (its
                  fixtures and its module's import too) that starts a process fails, naming
                  the call. `make test-fast` runs this layer (less the tests marked slow).
- tests/sandbox/  a real process per test, one student at a time: the sandbox backends, the
                  kit or a tool (pytest, graphviz, nbconvert) in a subprocess.
                  `make test-sandbox`.
- tests/e2e/      whole runs: cohorts graded by the command, make targets, the nbgrader
                  course, a real browser, Slurm, mutation. Marked slow, every one.

`make test` (what CI runs) runs all three. Fixture data lives in tests/fixtures/, and the
cohorts in tests/cohort/ and tests/hostile/ (docs/cohort.md). No test module imports
another; tests/unit/test_layers.py holds all of this.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
LAYERS = ("unit", "sandbox", "e2e")


@functools.cache
def layer_of(path: Path) -> str | None:
    """The layer a test file is in (its folder under tests/), None outside every layer."""
    try:
        parts = Path(path).resolve().relative_to(TESTS).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 and parts[0] in LAYERS else None


# --- the unit layer starts no process ----------------------------------------------------

class StartedAProcess(BaseException):
    """A unit test started a process. A BaseException, so that no `except Exception` in
    the kit turns it into an ordinary failure the test might expect."""


# Every way the standard library starts a process ends in one of these (multiprocessing's
# spawn and forkserver call _posixsubprocess.fork_exec themselves).
_SPAWNS = (("os", "fork"), ("os", "forkpty"), ("os", "posix_spawn"), ("os", "posix_spawnp"),
           ("os", "system"), ("os", "popen"), ("os", "execv"), ("os", "execve"),
           ("subprocess.Popen", "_execute_child"), ("_posixsubprocess", "fork_exec"))


def _refuse(where: str, name: str, what: str):
    def refused(*args, **kwargs):
        raise StartedAProcess(
            f"{where}.{name} called by {what}: tests/unit runs in-process only (no sandbox, "
            "no subprocess). Move the test to tests/sandbox/ or tests/e2e/ (tests/conftest.py "
            "says which).")
    return refused


@contextlib.contextmanager
def no_processes(what: str):
    """While inside, every function of _SPAWNS raises StartedAProcess, naming `what`."""
    saved = []
    for where, name in _SPAWNS:
        owner = subprocess.Popen if where == "subprocess.Popen" else importlib.import_module(where)
        if hasattr(owner, name):
            saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, _refuse(where, name, what))
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    if isinstance(collector, pytest.Module) and layer_of(collector.path) == "unit":
        with no_processes(f"importing {collector.path.name}"):
            yield
    else:
        yield


def _phase(item):
    return no_processes(item.nodeid) if layer_of(item.path) == "unit" else contextlib.nullcontext()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    with _phase(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    with _phase(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # After the session's last test, pytest tears down every session fixture, whichever layer
    # set it up (with xdist, the last test of a worker may be a unit test): not guarded.
    with _phase(item) if nextitem is not None else contextlib.nullcontext():
        yield


# --- markers: the layer, and the slow policy -------------------------------------------

def pytest_collection_modifyitems(config, items):
    """Each test gets its layer's marker (`-m unit`, `-m "not e2e"`); every end-to-end test
    is slow, so `-m "not slow"` still means the quick ones, whatever their folder."""
    for item in items:
        layer = layer_of(item.path)
        if layer is not None:
            item.add_marker(getattr(pytest.mark, layer))
        if layer == "e2e":
            item.add_marker(pytest.mark.slow)


# --- shared fixtures ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def graded_cohort(tmp_path_factory) -> Path:
    """OUT of the whole test cohort (tests/cohort), graded once per test run by the kit's
    command, even when xdist's two workers both ask."""
    from tests.helpers import COHORT
    from tests.helpers.cohorts import cohort_expectations, copy_cohort, grade, graded_once

    expected = cohort_expectations()
    if not expected:
        pytest.skip("tests/cohort/expectations.toml is not there yet")

    def make(base: Path) -> dict:
        cohort = copy_cohort(expected, COHORT, base / "submissions")
        run = grade(cohort, base / "grades", "--jobs", "2")
        return {"out": str(base / "grades"), "code": run.returncode, "stderr": run.stderr}

    result = graded_once(tmp_path_factory, "cohort", make)
    assert result["code"] == 0, result["stderr"][-3000:]
    return Path(result["out"])


@pytest.fixture(scope="session")
def browser():
    """A real headless chromium, driven by Selenium through Debian's chromium-driver; skipped,
    saying why, where chromium, chromium-driver or selenium is missing."""
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="selenium is not installed (pip install -e '.[dev]')")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("no chromium or chromedriver on PATH (Debian: apt-get install chromium "
                    "chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="adkit-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver: Selenium Manager would otherwise try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
