"""Every bug of the test cohort is real (docs/cohort.md): its check (tests/helpers/
bug_checks.py, run in the submission's own process) fails on the bug and passes on the correct
solutions and the reference, and the correct solutions pass the public tests. (The cohort's
structure, with no process: tests/unit/test_cohort_sanity.py.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers import COHORT, ROOT, cohorts
from tests.helpers.bug_checks import BUG_CHECKS, CORRECT, run_checks

PUBLIC_TESTS = ROOT / "reference" / "tests" / "test_public.py"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return cohorts.built(tmp_path_factory, COHORT)


def test_bugs_show_on_their_checks(cohort):
    """Every bug fails its own check (the correct solutions pass all of them, below)."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        found = pool.map(lambda bug: run_checks(cohort / bug, [bug])[bug], BUG_CHECKS)
        verdicts = dict(zip(BUG_CHECKS, found))
    assert {b: v for b, v in verdicts.items() if v == "right"} == {}


def test_correct_solutions_and_reference_pass_every_check(cohort):
    for folder in [cohort / c for c in CORRECT] + [ROOT / "reference"]:
        verdicts = run_checks(folder, list(BUG_CHECKS))
        assert {k: v for k, v in verdicts.items() if v != "right"} == {}, folder.name


def test_correct_solutions_pass_the_public_tests(tmp_path, cohort):
    # Beside a copy of the public tests: reference/conftest.py would put the reference first.
    shutil.copy(PUBLIC_TESTS, tmp_path / "test_public.py")
    shutil.copy(ROOT / "reference" / "pytest.ini", tmp_path / "pytest.ini")
    (tmp_path / "conftest.py").write_text(
        "import os, pathlib, simpleautodiff\n"
        "here = pathlib.Path(simpleautodiff.__file__).resolve()\n"
        "assert pathlib.Path(os.environ['SUBMISSION']) in here.parents, here\n")
    for name in CORRECT:
        folder = cohort / name
        env = dict(os.environ, PYTHONPATH=str(folder), SUBMISSION=str(folder),
                   PYTHONDONTWRITEBYTECODE="1")
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
             "-o", "testpaths=.", "test_public.py"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and " passed" in run.stdout, f"{name}:\n{run.stdout[-3000:]}"
