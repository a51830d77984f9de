"""`python -m adkit.similarity SUBMISSIONS --out OUT [--threshold PERCENT]`

Compares every pair of students in SUBMISSIONS (read like `make grade` reads them) and
writes OUT/similarity.csv and OUT/similarity.html; when OUT/report.html exists, the outputs
are made again from the stored results (adkit.outputs.steps), the new pairs included.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from adkit.intake.archives import is_archive
from adkit.outputs import atomic as outputs
from adkit.outputs.console import line
from adkit.outputs.steps import publish
from adkit.similarity.pages import is_above, similarity_csv, similarity_html
from adkit.similarity.pairs import all_pairs, fingerprints
from adkit.similarity.students import SKELETON, read_students, scan, skeleton_sources

EXIT_USAGE = 2
DEFAULT_THRESHOLD = 60.0


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m adkit.similarity",
        description="Compare every pair of students in SUBMISSIONS (winnowing, like MOSS).")
    parser.add_argument("submissions", type=Path,
                        help="folder of student folders or archives, or the cohort's archive")
    parser.add_argument("--out", type=Path, default=Path("grades"),
                        help="where similarity.csv and similarity.html go")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help="show pairs scoring this percent or more (default %(default)g)")
    parser.add_argument("--skeleton", type=Path, default=SKELETON,
                        help="the given code to discount (default: the kit's skeleton)")
    return parser.parse_args(argv)


def _fail(message: str) -> int:
    print(f"adkit.similarity: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _problem(args: argparse.Namespace) -> str | None:
    source, out = args.submissions, args.out
    if not source.exists():
        return f"submissions {source} does not exist"
    if source.is_file() and not is_archive(source.name):
        return f"{source} is a file but not a zip or tar archive"
    if source.is_dir() and out.resolve().is_relative_to(source.resolve()):
        return f"--out {out} is inside the submissions folder {source}; choose another"
    if not 0 <= args.threshold <= 100:
        return "--threshold is a percent, from 0 to 100"
    if not args.skeleton.is_dir():
        return f"the skeleton {args.skeleton} is not a folder"
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    problem = _problem(args)
    if problem:
        return _fail(problem)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="adkit-similarity-") as scratch:
        everyone, skipped = scan(args.submissions, Path(scratch))
        students, left = read_students(everyone, skipped, Path(scratch))
    for name, why in left:
        print(f"not compared {line(repr(name))}: {line(why, 2000)}", file=sys.stderr)
    if len(students) < 2:
        return _fail(f"{len(students)} student(s) with code in {args.submissions}: nothing to "
                     "compare")
    prints = fingerprints(students, skeleton_sources(args.skeleton))
    pairs = all_pairs(prints)
    out = args.out
    outputs.write_atomic(out / "similarity.csv", similarity_csv(pairs, args.threshold))
    outputs.write_atomic(out / "similarity.html", similarity_html(
        pairs, {s.student_id: s for s in students}, prints, args.threshold, left))
    if (out / "report.html").is_file():  # graded already: the report gets the new pairs
        publish([out], out, [s.student_id for s in everyone], skip=("console",),
                skipped=[(s.name, s.reason) for s in skipped if not s.plain_file],
                others=[(s.name, s.reason) for s in skipped if s.plain_file])
    above = sum(1 for p in pairs if is_above(p, args.threshold))
    print(f"compared {len(students)} students ({len(pairs)} pairs) in "
          f"{time.perf_counter() - started:.1f} s: {above} pair(s) at {args.threshold:g}% or "
          f"more", file=sys.stderr)
    for p in pairs[:min(above, 10)]:
        print(f"  {line(p.a)} and {line(p.b)}: {100 * p.score:.1f}%", file=sys.stderr)
    print(f"results: {out / 'similarity.csv'}, {out / 'similarity.html'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
