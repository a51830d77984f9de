"""Benchmark: what a padded answer costs the grader, beside an honest student.

    python bench/bench_answers.py [--kit PATH] [--repeat 1]

Grades, with `python -m adkit.cohort --jobs 1` under the best sandbox, a warm-up student,
then the correct tests/cohort/correct_kahn, and tests/hostile/hostile_answer_padded (the
same code, whose grad(f) answers carry 65 MB of valid JSON padding). Prints each one's grading
seconds (results.json), the most bytes the grader read of one reply (when the kit records
it) and the peak memory of the grading run's processes (ru_maxrss of the children).

`--kit` grades with another checkout of the kit (an export of an older commit, say), with
the same two students, to compare before and after on one machine in one run. Figures move
with the machine's load: compare runs made side by side, never a run with a constant.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Graded in this order, one at a time: the first pays the job's one-off costs (the
# reference's answers on the big graphs), so it is a warm-up, not a figure.
STUDENTS = {"a_warmup": ROOT / "tests" / "cohort" / "correct_kahn",
            "honest": ROOT / "tests" / "cohort" / "correct_kahn",
            "padded": ROOT / "tests" / "hostile" / "hostile_answer_padded"}


def grade(kit: Path, work: Path) -> dict[str, dict]:
    """Grade the students with `kit`'s grader: per student, seconds, bytes read, score."""
    cohort = work / "submissions"
    for name, folder in STUDENTS.items():
        shutil.copytree(folder, cohort / name)
    package = cohort / "padded" / "simpleautodiff"  # its correct code and forge, as the
    shutil.copy(STUDENTS["honest"] / "simpleautodiff.py", package / "_correct.py")  # tests do
    shutil.copy(ROOT / "tests" / "fixtures" / "hostile_answer_forge.py", package / "_forge.py")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run = subprocess.run([sys.executable, "-m", "adkit.cohort", str(cohort), "--out",
                          str(work / "out"), "--jobs", "1"], cwd=kit, capture_output=True,
                         text=True, timeout=1800)
    if run.returncode != 0:
        sys.exit(f"grading failed ({run.returncode}):\n{run.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    found = {}
    for name in STUDENTS:
        data = json.loads((work / "out" / name / "results.json").read_text(encoding="utf-8"))
        extra = data["extra_data"]
        found[name] = {"seconds": extra["seconds"], "score": data["score"],
                       "reply_bytes_most": extra.get("reply_bytes_most"),
                       "grader_error": extra.get("grader_error")}
    found["peak_kib"] = {"ru_maxrss": max(peak, before)}
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", type=Path, default=ROOT, help="the kit to grade with")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="adkit-bench-answers-") as scratch:
        found = grade(args.kit.resolve(), Path(scratch))
    print(f"kit: {args.kit}")
    for name in list(STUDENTS)[1:]:
        row = found[name]
        read = row["reply_bytes_most"]
        print(f"  {name:<7} {row['seconds']:7.2f} s  score {row['score']:g}  most read of one "
              f"reply: {'not recorded' if read is None else f'{read:,} bytes'}"
              f"{'  GRADER ERROR' if row['grader_error'] else ''}")
    print(f"  peak memory of a grading process: {found['peak_kib']['ru_maxrss'] / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
