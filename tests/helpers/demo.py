"""demo_cohort/ built from the test cohorts: `make demo` (python -m tests.helpers.demo).

Each demo student whose table in demo_cohort/expectations.toml has `copy_of =
"tests/cohort/<name>"` (or tests/hostile/...) is that submission, built by copy_cohort (a
derived one from its base and its diff). demo_cohort/ stays real folders, so that `make grade`
on a fresh clone grades it; tests/unit/test_cohort_sanity.py fails when it is stale. A student
without `copy_of` (s2409's notebooks) is kept as it is.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from adkit.grade import expectations
from tests.helpers import ROOT, cohorts

DEMO = ROOT / "demo_cohort"


def plan() -> dict[str, tuple[Path, str]]:
    """{demo student: (the cohort folder, the submission's name)} from `copy_of`."""
    found = {}
    for student, entry in expectations.load(DEMO / "expectations.toml").items():
        if "copy_of" in entry:
            source = ROOT / entry["copy_of"]
            found[student] = (source.parent, source.name)
    return found


def build(dest: Path) -> list[str]:
    """Every demo student with a `copy_of`, built under `dest/<student>`."""
    dest.mkdir(parents=True, exist_ok=True)
    for student, (folder, name) in plan().items():
        scratch = dest / f".{student}"
        cohorts.copy_cohort([name], folder, scratch)
        (scratch / name).rename(dest / student)
        scratch.rmdir()
    return sorted(plan())


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def stale(scratch: Path) -> list[str]:
    """The demo students that differ from what build() makes (built under `scratch`)."""
    return [student for student in build(scratch)
            if not (DEMO / student).is_dir()
            or _files(DEMO / student) != _files(scratch / student)]


def main() -> int:
    scratch = DEMO / ".build"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        students = build(scratch)
        for student in students:
            shutil.rmtree(DEMO / student, ignore_errors=True)
            (scratch / student).rename(DEMO / student)
    except cohorts.patches.PatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"demo_cohort/: {', '.join(students)} built from the cohorts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
