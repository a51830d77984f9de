"""Generate the students' skeleton from the reference.

    python -m adkit.authoring.skeleton           # write skeleton/ from reference/
    python -m adkit.authoring.skeleton --check   # exit 1 if the committed skeleton is stale

Each solution region becomes a TODO naming its task; a region inside a function also
gets a `raise NotImplementedError` naming the task, so an unfinished gap fails loudly.
The public tests in reference/tests/ are copied beside the package, and README.md (set-up,
running one task's tests, what to hand in, what the hidden tests check) is generated
(adkit/authoring/student_readme.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .regions import Region, find_regions

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "reference"
SKELETON = ROOT / "skeleton"
PACKAGE = "simpleautodiff"
# Files copied as they are, besides the package: the public tests and their config.
COPIED = ("tests", "conftest.py", "pytest.ini")

# Caches that tools leave in skeleton/ (pytest, Python): neither generated nor stale.
IGNORED = ("__pycache__", ".pytest_cache", ".benchmarks", ".hypothesis", ".ruff_cache")


def _banner(tasks: list[str]) -> str:
    """One voice: the file is the student's to fill in; only instructors regenerate it."""
    return (
        "# " + "=" * 76 + "\n"
        f"# YOUR FILE. Tasks in this file: {', '.join(tasks)}.\n"
        "# Fill in each TODO; `pytest -m TASK` runs that task's public tests.\n"
        "# (Instructors generate this file from the reference with `make skeleton`.)\n"
        "# " + "=" * 76 + "\n"
    )


def _gap(region: Region, module: str) -> list[str]:
    """What a region turns into in the skeleton."""
    pad = region.indent
    if not region.in_function:
        return [f"{pad}# TODO [{region.task}]: helpers and tables for task "
                f"'{region.task}' went here; add any you need."]
    where = f"{region.function}() in {PACKAGE}/{module}"
    return [
        f"{pad}# TODO [{region.task}]: implement {region.function}() as its docstring says.",
        f'{pad}raise NotImplementedError("Task {region.task}: implement {where}")',
    ]


def skeleton_source(path: Path, source: str | None = None) -> str:
    """The skeleton's version of one reference module."""
    source = path.read_text(encoding="utf-8") if source is None else source
    regions = find_regions(path, source)
    if not regions:
        return source
    lines = source.splitlines()
    module = path.name
    out: list[str] = []
    cursor = 0
    for region in regions:
        out.extend(lines[cursor:region.begin - 1])
        out.extend(_gap(region, module))
        cursor = region.end
    out.extend(lines[cursor:])
    tasks = list(dict.fromkeys(r.task for r in regions))
    return _banner(tasks) + "\n".join(out) + "\n"


def _ignored(rel: Path) -> bool:
    return any(part in IGNORED for part in rel.parts)


def expected_files() -> dict[Path, str]:
    """Every file of skeleton/, relative to it, with the text it must hold."""
    files: dict[Path, str] = {}
    for path in sorted((REFERENCE / PACKAGE).rglob("*.py")):
        files[path.relative_to(REFERENCE)] = skeleton_source(path)
    for name in COPIED:
        source = REFERENCE / name
        paths = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in paths:
            if path.is_file() and not _ignored(path.relative_to(REFERENCE)):
                files[path.relative_to(REFERENCE)] = path.read_text(encoding="utf-8")
    from .student_readme import readme  # the rubric's points: imported only when writing

    files[Path("README.md")] = readme()
    return files


def stale_files(skeleton: Path = SKELETON) -> list[str]:
    """Paths under `skeleton` that differ from what the generator writes, or are extra."""
    expected = expected_files()
    problems = [str(rel) for rel, text in expected.items()
                if not (skeleton / rel).is_file()
                or (skeleton / rel).read_text(encoding="utf-8") != text]
    for path in sorted(skeleton.rglob("*")):
        rel = path.relative_to(skeleton)
        if path.is_file() and not _ignored(rel) and rel not in expected:
            problems.append(f"{rel} (not generated)")
    return problems


def write(skeleton: Path = SKELETON) -> list[Path]:
    """Write skeleton/ afresh; return the files written."""
    expected = expected_files()
    for path in sorted(skeleton.rglob("*"), reverse=True):
        rel = path.relative_to(skeleton)
        if path.is_file() and not _ignored(rel) and rel not in expected:
            path.unlink()
    written = []
    for rel, text in expected.items():
        target = skeleton / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--check", action="store_true",
                        help="only check that skeleton/ is up to date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        if stale:
            print("skeleton/ is stale; run `make skeleton` and commit the result:",
                  *stale, sep="\n  ", file=sys.stderr)
            return 1
        print("skeleton/ is up to date with reference/")
        return 0
    written = write()
    print(f"skeleton/: {len(written)} file(s) written" if written else "skeleton/: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
