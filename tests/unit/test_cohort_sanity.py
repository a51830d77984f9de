"""Fast checks of the test cohort that need no graders (docs/cohort.md).

- tests/cohort/, tests/hostile/ and demo_cohort/ each match their expectations.toml, whose
  entries are well formed (the format tests/e2e/test_grade_cohort.py relies on);
- every derived submission (`base = ...`) builds: its diff applies strictly to its base and
  changes it; no whole folder is left that could be a diff of a base;
- every bug is named `bug_<task>_<what>`, loses points in its own task, and differs from the
  correct solution it was derived from in one file; every task has 3 bugs or more;
- demo_cohort/ is what `make demo` builds from the cohorts (not stale).

That the bugs are real (their checks fail on them and pass on the correct solutions) needs a
process per submission: tests/sandbox/test_cohort_checks.py. The hostile submissions are
never run: they loop, fork and exhaust memory, and only the sandbox may run them.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

import pytest

from tests.helpers import COHORT, HOSTILE, ROOT, cohorts, demo
from tests.helpers.bug_checks import BUG_CHECKS, CORRECT

DEMO = ROOT / "demo_cohort"
KEYS = {"why", "base", "full", "zero", "loses", "feedback_contains", "forbid_in_outputs",
        "forbid_paths", "max_output_bytes", "max_reply_bytes", "forbid_controls", "graded_only",
        "copy_of", "filled_from", "change"}
KIT_OWN = {"reference", "skeleton"}  # taken by the harness from reference/ and skeleton/
# A whole folder that keeps this share of a base's lines is a copy of it: it must be a diff.
COPY_SHARE = 0.6


# --- expectations files -------------------------------------------------------------------

def _tasks() -> tuple[str, ...]:
    from adkit.authoring.regions import TASKS

    return TASKS


def _load(folder: Path) -> dict:
    return tomllib.loads((folder / "expectations.toml").read_text(encoding="utf-8"))


def _folders(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()
            if p.is_dir() and p.name != cohorts.DIFFS and not p.name.startswith((".", "_"))}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """Both cohorts built once: {cohort folder name: the built folder}."""
    return {f.name: cohorts.built(tmp_path_factory, f) for f in (COHORT, HOSTILE)}


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


@pytest.mark.parametrize("folder", [COHORT, HOSTILE], ids=["cohort", "hostile"])
def test_folders_and_diffs_match_expectations(folder):
    """A table with `base` has a diff and no folder; every other table has a folder."""
    tables = _load(folder)
    derived = {name for name, entry in tables.items() if "base" in entry}
    assert _folders(folder) == set(tables) - derived - KIT_OWN
    diffs = {p.name for p in (folder / cohorts.DIFFS).iterdir()}
    assert diffs == {f"{name}.diff" for name in derived}, "a diff without a table, or back"
    assert all(isinstance(tables[n]["base"], str) for n in derived)


def test_kit_own_entries_are_there():
    assert KIT_OWN <= set(_load(COHORT))


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


def test_every_derived_submission_builds_and_differs_from_its_base(built, tmp_path):
    """Each diff applies strictly to its base (copy_cohort raised otherwise) and changes it."""
    same = []
    for folder in (COHORT, HOSTILE):
        for name, base in cohorts.bases(folder).items():
            cohorts.copy_base(base, tmp_path / folder.name / name)
            if _files(built[folder.name] / name) == _files(tmp_path / folder.name / name):
                same.append(f"{folder.name}/{name}")
    assert same == [], "these diffs change nothing"
    assert set(cohorts.names(COHORT)) == set(_load(COHORT)) - KIT_OWN


def _kept(base: dict[str, bytes], other: dict[str, bytes]) -> float:
    """The share of `base`'s lines that `other` keeps, file by file."""
    total = kept = 0
    for name, data in base.items():
        lines = data.splitlines()
        total += len(lines)
        if name in other:
            matcher = difflib.SequenceMatcher(None, lines, other[name].splitlines(),
                                              autojunk=False)
            kept += sum(block.size for block in matcher.get_matching_blocks())
    return kept / max(total, 1)


def test_no_whole_folder_could_be_a_diff():
    """A whole folder that is mostly a copy of a base would silently miss what the base gains
    (a new primitive): it must be a base plus its diff. The correct bases are whole."""
    bases = {name: _files(COHORT / name) for name in _folders(COHORT)}
    bases["reference"] = _files(ROOT / "reference" / "simpleautodiff")
    bases["reference"] = {f"simpleautodiff/{k}": v for k, v in bases["reference"].items()}
    copies = []
    for folder in (COHORT, HOSTILE):
        for name in _folders(folder):
            mine = _files(folder / name)
            copies += [f"{folder.name}/{name} keeps {_kept(files, mine):.0%} of {base}"
                       for base, files in bases.items()
                       if (folder, name) != (COHORT, base) and _kept(files, mine) >= COPY_SHARE]
    assert copies == [], "write these as a base and a diff (docs/cohort.md)"


def test_each_bug_is_one_file_away_from_its_correct_solution(built):
    derived = cohorts.bases(COHORT)
    assert set(BUG_CHECKS) == {n for n in derived if n.startswith("bug_")}
    problems = [f"{bug}: BUG_CHECKS says {base}, expectations.toml {derived[bug]}"
                for bug, (base, _) in BUG_CHECKS.items() if derived[bug] != base]
    for bug, (base, _) in BUG_CHECKS.items():
        mine, theirs = _files(built["cohort"] / bug), _files(COHORT / base)
        changed = [f for f in mine if f in theirs and mine[f] != theirs[f]]
        if mine.keys() != theirs.keys() or len(changed) != 1:
            problems.append(f"{bug}: files {sorted(mine.keys() ^ theirs.keys())} added or "
                            f"removed, {changed} changed (one bug: one file changed)")
    assert problems == []


def test_demo_cohort_is_not_stale(tmp_path):
    """demo_cohort/ is what `make demo` builds from the cohorts it names (`copy_of`)."""
    stale = demo.stale(tmp_path)
    assert stale == [], f"demo_cohort/ is stale: run `make demo` ({stale})"
