"""Benchmark: what grading one student costs the grader's own process, and where it goes.

    python bench/grader_cost.py [SUBMISSIONS] [--students 8]

Grades the first --students students of SUBMISSIONS (default: tests/cohort) one after
another in this process, in the sandbox `python -m adkit.grade` would choose, as one grading
job does (outputs in a temporary folder). The first student pays the job's fixed cost (the
big graphs, the reference's answers on them); the figures are per student over the others:
the grader's CPU time (user+sys of this process: the sandboxed workers are not in it), the
round trips to the worker and the bytes sent, and the CPU time of the kit's busiest parts.
The machine is shared: compare two versions run in turns, a few times each, never one
figure alone.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARTS = [  # (module, attribute): timed with CPU time, nested parts counted in both
    ("adkit.sandbox.session", "Sandbox.call"),
    ("adkit.sandbox.processes", "CpuClock.__init__"),
    ("adkit.sandbox.processes", "CpuClock.seconds"),
    ("adkit.sandbox.channel", "request_line"),
    ("adkit.sandbox.channel", "decode"),
    ("adkit.grade.session", "checked"),
    ("adkit.grade.reference", "expect"),
    ("adkit.grade.verdicts", "order_verdict"),
    ("adkit.grade.verdicts", "derivative_verdict"),
    ("adkit.grade.verdicts", "compare_build"),
    ("adkit.grade.judging", "big_order_verdict"),
    ("adkit.model.programs", "random_program"),
]


def _timed(owner: Any, name: str, key: str, cpu: collections.Counter, calls: collections.Counter,
           ) -> None:
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            cpu[key] += time.process_time() - started
            calls[key] += 1

    setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, nargs="?", default=ROOT / "tests" / "cohort")
    parser.add_argument("--students", type=int, default=8)
    args = parser.parse_args()
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # as a grading job runs them

    import importlib

    from adkit import sandbox
    from adkit.grade import runner
    from adkit.intake.submissions import scan_submissions
    from adkit.model.rubric import load_rubric
    from adkit.sandbox import channel

    cpu: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    for module, attribute in PARTS:
        owner: Any = importlib.import_module(module)
        *path, name = attribute.split(".")
        for step in path:
            owner = getattr(owner, step)
        _timed(owner, name, f"{module.rsplit('.', 1)[1]}.{attribute}", cpu, calls)
    sent = collections.Counter()
    line = channel.request_line

    def counted(*a: Any, **k: Any) -> bytes:
        out = line(*a, **k)
        sent["bytes"] += len(out)
        return out

    channel.request_line = counted

    rubric, backend = load_rubric(), sandbox.choose_backend(False)
    students = scan_submissions(args.submissions)[0][:args.students]
    if len(students) < 2:
        raise SystemExit("need at least 2 students: the first pays the job's fixed cost")
    per: list[float] = []
    with tempfile.TemporaryDirectory(prefix="adkit-bench-") as out:
        for k, student in enumerate(students):
            if k == 1:
                cpu.clear(), calls.clear(), sent.clear()
            started = time.process_time()
            runner.grade_student(student, Path(out), rubric, backend)
            per.append(time.process_time() - started)
    m = len(students) - 1
    print(f"first student (the job's fixed cost with it): {per[0]:.2f} s of grader CPU")
    print(f"per student after it ({m}): {sum(per[1:]) / m:.3f} s of grader CPU "
          f"(min {min(per[1:]):.3f}), {calls['session.Sandbox.call'] / m:.0f} round trips, "
          f"{sent['bytes'] / m / 1e6:.2f} MB sent")
    for key, seconds in cpu.most_common():
        print(f"  {seconds / m * 1000:7.1f} ms {calls[key] / m:7.1f} calls  {key}")


if __name__ == "__main__":
    main()
