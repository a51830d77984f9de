"""A cohort's submissions built into a folder, and graded with the kit's command once per
test run.

A cohort (tests/cohort, tests/hostile) holds whole submission folders and derived ones: a
derived submission is a table with `base = "correct_kahn"` (a whole folder of tests/cohort) or
`base = "reference"` (the reference's package) in the cohort's expectations.toml, and its
change, the unified diff `<cohort>/diffs/<name>.diff` (docs/cohort.md). `copy_cohort` is the
one place that builds them; every test and benchmark that needs a cohort's folders calls it.

    python -m tests.helpers.cohorts build tests/cohort OUT [NAME...]   # the folders, to look at
    python -m tests.helpers.cohorts diff tests/cohort NAME EDITED      # write NAME's diff
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from adkit.cohort import expectations
from tests.helpers import COHORT, ROOT, patches
from tests.helpers.project import BUILT

DIFFS = "diffs"  # <cohort>/diffs/<name>.diff: the change a derived submission makes to its base
SKIP = shutil.ignore_patterns(*BUILT)


def source_of(name: str, folder: Path) -> Path:
    """Where a whole submission lives ("reference" and "skeleton" are the kit's own)."""
    if name in ("reference", "skeleton"):
        return ROOT / name
    return folder / name


def _table(folder: Path) -> dict:
    toml = folder / "expectations.toml"
    return expectations.load(toml) if toml.exists() else {}


def bases(folder: Path) -> dict[str, str]:
    """{derived submission: its base} of the cohort in `folder`."""
    return {name: entry["base"] for name, entry in _table(folder).items() if "base" in entry}


def names(folder: Path) -> list[str]:
    """Every submission of the cohort in `folder`: its whole folders, then its derived ones."""
    whole = sorted(p.name for p in folder.iterdir()
                   if p.is_dir() and p.name != DIFFS and not p.name.startswith((".", "_")))
    return whole + sorted(bases(folder))


def diff_path(folder: Path, name: str) -> Path:
    return folder / DIFFS / f"{name}.diff"


def copy_base(base: str, target: Path) -> None:
    """The base a diff applies to, copied to `target`: a whole folder of tests/cohort, or
    "reference" (its package only, as a student hands it in)."""
    if base == "reference":
        shutil.copytree(ROOT / "reference" / "simpleautodiff", target / "simpleautodiff",
                        ignore=SKIP)
    elif (COHORT / base).is_dir() and base not in bases(COHORT):
        shutil.copytree(COHORT / base, target, ignore=SKIP)
    else:
        raise patches.PatchError(f"base {base!r} is neither \"reference\" nor a whole "
                                 f"folder of tests/cohort (a derived submission is no base)")


def copy_cohort(names: Iterable[str], folder: Path, dest: Path) -> Path:
    """The named submissions of the cohort in `folder`, each as `dest/<name>`: a whole folder
    copied, a derived one built from its base and its diff (strictly: a diff that no longer
    applies is a PatchError that names the submission, the file and the hunk)."""
    derived = bases(folder)
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name not in derived:
            shutil.copytree(source_of(name, folder), dest / name, ignore=SKIP)
            continue
        diff = diff_path(folder, name)
        label = f"{name} ({diff.relative_to(ROOT) if diff.is_relative_to(ROOT) else diff})"
        if not diff.is_file():
            raise patches.PatchError(f"{label}: no such diff; a submission with a `base` in "
                                     f"{folder / 'expectations.toml'} needs one")
        try:
            copy_base(derived[name], dest / name)
            patches.apply(diff.read_bytes(), dest / name, label)
        except Exception:
            shutil.rmtree(dest / name, ignore_errors=True)
            raise
    return dest


def built(tmp_path_factory, folder: Path = COHORT) -> Path:
    """Every submission of the cohort in `folder`, built once per test run (and worker)."""
    dest = tmp_path_factory.getbasetemp() / f"built-{folder.name}"
    if not dest.exists():
        partial = dest.with_name(dest.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        copy_cohort(names(folder), folder, partial)
        partial.rename(dest)
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


def write_diff(folder: Path, name: str, edited: Path) -> Path:
    """Write the diff of the derived submission `name` from the folder `edited` (its base with
    the change made), and check that it builds `edited` again. Returns the diff's path."""
    base = bases(folder).get(name)
    if base is None:
        raise SystemExit(f"{name} has no `base = ...` in {folder / 'expectations.toml'}: add "
                         f"its table first (docs/cohort.md)")
    scratch = edited.parent / f".{edited.name}.base"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        copy_base(base, scratch)
        diff = patches.write(scratch, edited)
        if not diff:
            raise SystemExit(f"{edited} is the same as its base {base}: make the change first")
        patches.apply(diff, scratch, name)
        assert patches.write(scratch, edited) == b"", "the diff does not rebuild the edit"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    path = diff_path(folder, name)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(diff)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="build a cohort's submissions, or write "
                                                 "one derived submission's diff")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build submissions into OUT/<name>")
    build.add_argument("cohort", type=Path, help="tests/cohort or tests/hostile")
    build.add_argument("out", type=Path)
    build.add_argument("names", nargs="*", help="default: every submission")
    diff = commands.add_parser("diff", help="write COHORT/diffs/NAME.diff from EDITED")
    diff.add_argument("cohort", type=Path)
    diff.add_argument("name")
    diff.add_argument("edited", type=Path, help="the base with the change made")
    args = parser.parse_args(argv)
    cohort = args.cohort.resolve()
    try:
        if args.command == "build":
            chosen = args.names or names(cohort)
            unknown = sorted(set(chosen) - set(names(cohort)))
            if unknown:
                parser.error(f"not submissions of {args.cohort}: {', '.join(unknown)}")
            taken = [n for n in chosen if (args.out / n).exists()]
            if taken:
                parser.error(f"already in {args.out}: {', '.join(taken)} (remove them first)")
            copy_cohort(chosen, cohort, args.out)
            print(f"built {len(chosen)} submission(s) into {args.out}")
        else:
            if not args.edited.is_dir():
                parser.error(f"{args.edited} is not a folder")
            print(f"wrote {write_diff(cohort, args.name, args.edited.resolve())}")
    except patches.PatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
