"""demo_cohort/ built from the test cohorts and the course: `make demo`
(python -m tests.helpers.demo).

Each demo student's table in demo_cohort/expectations.toml says what it is built from:
- `copy_of = "tests/cohort/<name>"` (or tests/hostile/...): that submission, built by
  copy_cohort (a derived one from its base and its diff);
- `filled_from = "assignments/source/autodiff"`: the course's notebooks, filled in with
  their own solutions (the solution markers and the hidden tests taken out, as a student's
  copy holds them), then `change`, a unified diff (the student's bug).
demo_cohort/ stays real folders, so that `make grade` on a fresh clone grades it;
tests/unit/test_cohort_sanity.py fails when it is stale. A student with neither is kept as
it is.
"""

from __future__ import annotations

import json
import shutil
import sys
import tomllib
from pathlib import Path

from tests.helpers import ROOT, cohorts, patches

DEMO = ROOT / "demo_cohort"


def plan() -> dict[str, dict]:
    """{demo student: its table} for the students built from something."""
    return {student: entry for student, entry in
            tomllib.loads((DEMO / "expectations.toml").read_text(encoding="utf-8")).items()
            if "copy_of" in entry or "filled_from" in entry}


def filled(notebook: str) -> str:
    """A course notebook as a student who wrote the reference's answers holds it."""
    data = json.loads(notebook)
    for cell in data["cells"]:
        if cell["cell_type"] != "code":
            continue
        kept, hidden = [], False
        for line in "".join(cell["source"]).splitlines(keepends=True):
            mark = line.strip()
            if mark.startswith("### BEGIN HIDDEN TESTS"):
                hidden = True
            elif mark.startswith("### END HIDDEN TESTS"):
                hidden = False
            elif not hidden and not mark.startswith(("### BEGIN SOLUTION", "### END SOLUTION")):
                kept.append(line)
        cell["source"] = kept
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


class DemoError(Exception):
    """demo_cohort/expectations.toml names a source that is not there."""


def _check(student: str, entry: dict) -> None:
    where = f"demo_cohort/expectations.toml, [{student}]"
    if "copy_of" in entry:
        source = ROOT / entry["copy_of"]
        if source.name not in cohorts.names(source.parent):
            raise DemoError(f"{where}: copy_of = {entry['copy_of']!r} is no submission of "
                            f"{source.parent.name} (a folder, or a table with `base`)")
        return
    if not sorted((ROOT / entry["filled_from"]).glob("*.ipynb")):
        raise DemoError(f"{where}: filled_from = {entry['filled_from']!r} holds no notebooks")
    if "change" in entry and not (ROOT / entry["change"]).is_file():
        raise DemoError(f"{where}: change = {entry['change']!r} is not a file")


def build(dest: Path) -> list[str]:
    """Every demo student built from something, under `dest/<student>`."""
    dest.mkdir(parents=True, exist_ok=True)
    for student, entry in plan().items():
        _check(student, entry)
        if "copy_of" in entry:
            source = ROOT / entry["copy_of"]
            scratch = dest / f".{student}"
            cohorts.copy_cohort([source.name], source.parent, scratch)
            (scratch / source.name).rename(dest / student)
            scratch.rmdir()
            continue
        (dest / student).mkdir()
        for notebook in sorted((ROOT / entry["filled_from"]).glob("*.ipynb")):
            (dest / student / notebook.name).write_text(
                filled(notebook.read_text(encoding="utf-8")), encoding="utf-8")
        if "change" in entry:
            patches.apply((ROOT / entry["change"]).read_bytes(), dest / student,
                          f"{student} ({entry['change']})")
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
    except (patches.PatchError, DemoError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"demo_cohort/: {', '.join(students)} built from the cohorts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
