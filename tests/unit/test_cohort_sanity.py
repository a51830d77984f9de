"""Fast checks of the test cohort that need no graders (docs/cohort.md).

- tests/cohort/, tests/hostile/ and demo_cohort/ each match their expectations.toml, whose
  entries are well formed (the format tests/e2e/test_grade_cohort.py relies on);
- every bug folder is named `bug_<task>_<what>`, loses points in its own task, and differs
  from the correct solution it was copied from in one file; every task has 3 bugs or more;
- the correct solutions pass the public tests;
- every bug is real: a small check (BUG_CHECKS below) fails on the bug and passes on the correct
  solution it came from, on the other correct solutions and on the reference.

The checks run in a subprocess per submission (tests/helpers/bug_checks.py), so that each
imports as `simpleautodiff`: those tests are in tests/sandbox/test_cohort_checks.py. The
hostile submissions are never run: they loop, fork and exhaust memory, and only the sandbox
may run them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.helpers import COHORT, HOSTILE, ROOT
from tests.helpers.bug_checks import BUG_CHECKS, CORRECT

DEMO = ROOT / "demo_cohort"
KEYS = {"why", "full", "zero", "loses", "feedback_contains", "forbid_in_outputs",
        "forbid_paths", "max_output_bytes", "max_reply_bytes", "forbid_controls", "graded_only"}
KIT_OWN = {"reference", "skeleton"}  # taken by the harness from reference/ and skeleton/


# --- expectations files -------------------------------------------------------------------

def _tasks() -> tuple[str, ...]:
    from adkit.authoring.regions import TASKS

    return TASKS


def _load(folder: Path) -> dict:
    return tomllib.loads((folder / "expectations.toml").read_text(encoding="utf-8"))


def _folders(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()
            if p.is_dir() and not p.name.startswith((".", "_"))}


def _bug_task(name: str) -> str | None:
    """The rubric task of `bug_<task>_<what>` (task names hold underscores: longest match)."""
    matches = [t for t in _tasks() if name.startswith(f"bug_{t}_")]
    return max(matches, key=len) if matches else None


def _entry_problems(name: str, entry: dict) -> list[str]:
    tasks = set(_tasks())
    found = [f"{name}: unknown key {k!r}" for k in entry if k not in KEYS]
    if not isinstance(entry.get("why"), str) or not entry["why"].strip():
        found.append(f"{name}: needs a `why` sentence")
    if not {"full", "zero", "loses", "graded_only"} & set(entry):
        found.append(f"{name}: needs one of full, zero, loses, graded_only")
    if "full" in entry and (entry["full"] != "all" or {"zero", "loses"} & set(entry)):
        found.append(f"{name}: full must be \"all\" and alone")
    zero = entry.get("zero")
    if zero is not None and zero != "all" and not (
            isinstance(zero, list) and zero and set(zero) <= tasks):
        found.append(f"{name}: zero must be \"all\" or a list of tasks, got {zero!r}")
    loses = entry.get("loses")
    if loses is not None and not (isinstance(loses, list) and loses and set(loses) <= tasks):
        found.append(f"{name}: loses must be a non-empty list of tasks, got {loses!r}")
    for key in ("feedback_contains", "forbid_in_outputs", "forbid_paths"):
        value = entry.get(key, [])
        if not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
            found.append(f"{name}: {key} must be a list of non-empty strings")
    return found


def test_cohort_folders_match_expectations():
    assert _folders(COHORT) == set(_load(COHORT)) - KIT_OWN
    assert KIT_OWN <= set(_load(COHORT))


def test_hostile_folders_match_expectations():
    assert _folders(HOSTILE) == set(_load(HOSTILE))


def test_demo_expectations_name_existing_students():
    # Other demo students (a notebook submission) may come without one.
    assert set(_load(DEMO)) <= _folders(DEMO)
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in _folders(DEMO) if name in _load(DEMO))


def test_every_entry_is_well_formed():
    problems = []
    for folder in (COHORT, HOSTILE, DEMO):
        for name, entry in _load(folder).items():
            problems += _entry_problems(f"{folder.name}/{name}", entry)
    assert problems == []


def test_each_bug_loses_in_its_own_task_and_every_task_has_three():
    expected = _load(COHORT)
    bugs = [name for name in expected if name.startswith("bug_")]
    assert [b for b in bugs if _bug_task(b) not in expected[b].get("loses", [])] == []
    per_task = {t: sum(1 for b in bugs if _bug_task(b) == t) for t in _tasks()}
    assert min(per_task.values()) >= 3, per_task
    others = set(expected) - set(bugs) - KIT_OWN
    assert others == set(CORRECT) and all(expected[c].get("full") == "all" for c in CORRECT)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_each_bug_is_one_file_away_from_its_correct_solution():
    assert set(BUG_CHECKS) == {n for n in _folders(COHORT) if n.startswith("bug_")}
    problems = []
    for bug, (base, _) in BUG_CHECKS.items():
        mine, theirs = _files(COHORT / bug), _files(COHORT / base)
        changed = [f for f in mine if f in theirs and mine[f] != theirs[f]]
        if mine.keys() != theirs.keys() or len(changed) != 1:
            problems.append(f"{bug}: files {sorted(mine.keys() ^ theirs.keys())} added or "
                            f"removed, {changed} changed (one bug: one file changed)")
    assert problems == []


# demo student -> the test-cohort folder it is a copy of, and how many files differ
DEMO_SOURCES = {
    "s2401": (COHORT / "correct_pull_modules", 0),
    "s2402": (COHORT / "correct_tape_first", 0),
    "s2403": (COHORT / "bug_forward_mode_keeps_state", 0),
    "s2404": (COHORT / "bug_topological_order_recursive_dfs", 0),
    "s2405": (COHORT / "bug_tape_keeps_recording", 0),
    "s2406": (COHORT / "bug_reverse_mode_no_reset", 0),
    "s2407": (COHORT / "correct_tape_first", 1),  # a colon removed
    "s2408": (HOSTILE / "hostile_backward_infinite_loop", 0),
}


def test_demo_students_are_copies_of_the_cohort():
    """So that a fix to a cohort submission is not forgotten in its demo copy."""
    problems = []
    for student, (source, differing) in DEMO_SOURCES.items():
        mine, theirs = _files(DEMO / student), _files(source)
        changed = [f for f in mine if f in theirs and mine[f] != theirs[f]]
        if mine.keys() != theirs.keys() or len(changed) != differing:
            problems.append(f"{student}: differs from {source.name} in "
                            f"{sorted(mine.keys() ^ theirs.keys()) + changed}")
    assert problems == []


# --- running the submissions (a subprocess each) -----------------------------------------
