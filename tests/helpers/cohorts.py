"""Grading a copy of a cohort with the kit's command, once per test run."""

import fcntl
import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from adkit.cohort import expectations
from tests.helpers import COHORT, ROOT


def source_of(name: str, folder: Path) -> Path:
    """Where a named submission lives ("reference" and "skeleton" are the kit's own)."""
    if name in ("reference", "skeleton"):
        return ROOT / name
    return folder / name


def copy_cohort(names, folder: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copytree(source_of(name, folder), dest / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return dest


def graded_once(tmp_path_factory, name: str, make) -> dict:
    """Run `make(folder) -> dict` once per test run, even when both xdist workers ask.

    (xdist_group does not keep a group on one worker with this pytest; a lock in the
    folder the workers share does.) The dict is saved as JSON for the other worker.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / f"shared-{name}"
    folder.mkdir(exist_ok=True)
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / "result.json"
        if not done.exists():
            done.write_text(json.dumps(make(folder)))
        return json.loads(done.read_text())


def grade(submissions: Path, out: Path, *extra: str, timeout: float = 900):
    """`python -m adkit.cohort SUBMISSIONS --out OUT EXTRA...` from the checkout."""
    return subprocess.run(
        [sys.executable, "-m", "adkit.cohort", str(submissions), "--out", str(out), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@functools.cache
def cohort_expectations() -> dict:
    """tests/cohort/expectations.toml: the grade each submission must get ({} if absent)."""
    toml = COHORT / "expectations.toml"
    return expectations.load(toml) if toml.exists() else {}
