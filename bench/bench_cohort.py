"""Benchmark: grading a synthetic cohort with `python -m adkit.cohort` against `nbgrader autograde`.

    make bench                       # after bench_reference.py
    python bench/bench_cohort.py --students 200 --notebook-students 20

The cohort is --students submissions, copies of the test cohort's correct and buggy
solutions (tests/cohort) taken round-robin, each under its own student id (so each gets its
own randomized functions), graded with `python -m adkit.cohort --jobs 2`; every hidden test
must have run for every student. In the same run, the nbgrader course is released with the
kit's own course tooling (`make course-generate course-release`) into a temporary course
folder, --notebook-students submissions are filled with the reference's code, and
`nbgrader autograde` grades them (serially: nbgrader has no parallel mode). When that is
fewer than --students, nbgrader's time is scaled linearly, and the output says so.
It also prints the floor under those figures: the cohort's own code on the big graphs, timed
alone (bench/own_code.py), which any grader running these hidden tests has to run, and the
peak memory of the grader's processes and of one sandboxed worker (bench/memory.py), in the
run's first and second half (they must not grow with the number of students graded).
Targets (issue 13), each printed beside its ratio: grading <= 1.25x the floor, >= 10x
nbgrader's throughput; --jobs defaults to the number of cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memory import Sampler, mib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT))  # the test cohort is built by tests/helpers/cohorts.py
from tests.helpers.cohorts import copy_cohort, names  # noqa: E402

COHORT = ROOT / "tests" / "cohort"
REFERENCE = ROOT / "reference"
ASSIGNMENT = "autodiff"


def cohort_sources(cohort: Path, scratch: Path) -> list[Path]:
    """The student folders of the cohort that hold a package (or notebooks).

    The test cohort's submissions are built under `scratch` first (its bugs are diffs of its
    correct solutions: tests/helpers/cohorts.py). `--cohort reference` uses the reference
    alone: every student a correct solution written in the skeleton's design, the best case
    for a course.
    """
    if cohort == REFERENCE:
        return [REFERENCE]
    built = copy_cohort(names(cohort), cohort, scratch / "sources")
    found = []
    for folder in sorted(p for p in built.iterdir() if p.is_dir()):
        if (folder / "simpleautodiff").is_dir() or (folder / "simpleautodiff.py").is_file() \
                or any(folder.glob("*.ipynb")):
            found.append(folder)
    if not found:
        raise SystemExit(f"no student folders in {cohort}: the benchmark copies them")
    return found


def make_cohort(target: Path, students: int, cohort: Path) -> list[str]:
    """`students` folders under `target`, copies of the cohort's solutions round-robin."""
    ids = []
    with tempfile.TemporaryDirectory(prefix="adkit-bench-sources-") as scratch:
        sources = cohort_sources(cohort, Path(scratch))
        for i in range(students):
            source = sources[i % len(sources)]
            student = f"s{i + 1:04d}_{source.name}"
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            if source == REFERENCE:  # the package only, not the reference's own tests
                shutil.copytree(source / "simpleautodiff",
                                target / student / "simpleautodiff", ignore=ignore)
            else:
                shutil.copytree(source, target / student, ignore=ignore)
            ids.append(student)
    return ids


def grade_cohort(work: Path, students: int, jobs: int, cohort: Path) -> dict[str, float]:
    submissions, out = work / "submissions", work / "grades"
    ids = make_cohort(submissions, students, cohort)
    start = time.perf_counter()
    with open(work / "grade.log", "w+") as log:
        run = subprocess.Popen([sys.executable, "-m", "adkit.cohort", str(submissions), "--out",
                                str(out), "--jobs", str(jobs), "--force"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=log)
        sampler = Sampler(run.pid)
        sampler.start()
        returncode = run.wait()
        seconds = time.perf_counter() - start
        sampler.stop()
        log.seek(0)
        if returncode not in (0, 1):
            raise SystemExit(f"adkit.cohort failed ({returncode}):\n{log.read()[-3000:]}")
    tests = not_run = 0
    for student in ids:
        data = json.loads((out / student / "results.json").read_text(encoding="utf-8"))
        for test in data["tests"]:
            tests += 1
            # A student whose code broke scores 0 in what broke, yet the test ran.
            if test["output"].startswith("grader error") or "did not run" in test["output"]:
                not_run += 1
    (grader_1, worker_1), (grader_2, worker_2) = sampler.halves()
    return {"seconds": seconds, "students": students, "tests": tests, "not_run": not_run,
            "kinds": len({i.split("_", 1)[1] for i in ids}), "grader_peak": sampler.grader_peak,
            "worker_peak": sampler.worker_peak, "grader_halves": (grader_1, grader_2),
            "worker_halves": (worker_1, worker_2)}


def own_code_floor(students: int, jobs: int, cohort: Path) -> dict[str, float]:
    """The cohort's own code on the big graphs (bench/own_code.py), summed over the cohort.

    Each kind of submission is timed once, in a plain child process, and counted as many
    times as the round-robin cohort holds it. Divided by the cores, it is a lower bound on
    the time any grader running these tests needs.
    """
    total, counted = 0.0, 0
    with tempfile.TemporaryDirectory(prefix="adkit-bench-sources-") as scratch:
        sources = cohort_sources(cohort, Path(scratch))
        for i, source in enumerate(sources):
            copies = len(range(i, students, len(sources)))
            if copies == 0:
                continue
            run = subprocess.run([sys.executable, str(ROOT / "bench" / "own_code.py"),
                                  str(source)], capture_output=True, text=True, timeout=300)
            if run.returncode != 0:
                raise SystemExit(f"bench/own_code.py failed on {source.name}:\n"
                                 f"{run.stderr[-2000:]}")
            seconds = json.loads(run.stdout.splitlines()[-1])
            total += copies * sum(v for v in seconds.values() if isinstance(v, float))
            counted += copies
    return {"seconds": total, "students": counted, "floor": total / min(jobs, os.cpu_count() or 1)}


# --- nbgrader ----------------------------------------------------------------------------

def _course_env(home: Path) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "ADKIT_"))}
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1",
               PATH=os.pathsep.join([venv_bin, env.get("PATH", "")]),
               JUPYTER_PATH=str(Path(sys.executable).parent.parent / "share" / "jupyter"))
    return env


def _check(run: subprocess.CompletedProcess, what: str) -> None:
    if run.returncode != 0:
        raise SystemExit(f"{what} failed ({run.returncode}):\n{run.stdout[-2000:]}\n"
                         f"{run.stderr[-2000:]}")


def _answers(notebook: Path) -> dict[str, str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
            for c in cells if c["metadata"].get("nbgrader", {}).get("solution")}


def nbgrader_autograde(work: Path, students: int) -> dict[str, float]:
    """Release the course, fill `students` submissions with the reference, time autograde."""
    course, home = work / "course", work / "home"
    home.mkdir(parents=True)
    env = _course_env(home)
    make = ["make", "-s", "-C", str(ROOT), "-o", ".venv/.course-ready", f"PY={sys.executable}",
            f"COURSE_DIR={course}", f"EXCHANGE={work / 'exchange'}",
            f"REPORTS={work / 'reports'}", f"COURSE_DB=sqlite:///{work / 'gradebook.db'}"]
    _check(subprocess.run(make + ["course-generate", "course-release"], cwd=ROOT, env=env,
                          capture_output=True, text=True), "make course-release")
    released = course / "release" / ASSIGNMENT
    answers: dict[str, str] = {}
    for notebook in sorted((course / "source" / ASSIGNMENT).glob("*.ipynb")):
        answers.update(_answers(notebook))
    for i in range(students):
        folder = course / "submitted" / f"nb{i + 1:04d}" / ASSIGNMENT
        shutil.copytree(released, folder)
        for notebook in sorted(folder.glob("*.ipynb")):
            nb = json.loads(notebook.read_text(encoding="utf-8"))
            for cell in nb["cells"]:
                grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
                if grade_id in answers:
                    cell["source"] = answers[grade_id]
            notebook.write_text(json.dumps(nb), encoding="utf-8")
        (folder / "timestamp.txt").write_text("2026-11-26 12:00:00.000000 UTC\n")
    notebooks = len(list(released.glob("*.ipynb")))
    env.update(ADKIT_EXCHANGE=str(work / "exchange"),
               ADKIT_COURSE_DB=f"sqlite:///{work / 'gradebook.db'}")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"],
                         cwd=course, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    _check(run, "nbgrader autograde")
    graded = len(list((course / "autograded").glob(f"*/{ASSIGNMENT}")))
    if graded != students:
        raise SystemExit(f"nbgrader autograded {graded} of {students} submissions:\n"
                         f"{run.stderr[-2000:]}")
    return {"seconds": seconds, "students": students, "notebooks": notebooks * students}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200, help="size of the cohort")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="adkit.cohort --jobs (default: the number of cores)")
    parser.add_argument("--notebook-students", type=int, default=20,
                        help="submissions nbgrader grades (its time is scaled to --students)")
    parser.add_argument("--cohort", choices=("test", "reference"), default="test",
                        help="copy the test cohort's solutions (default), or the reference "
                             "alone (every student correct, in the skeleton's design)")
    args = parser.parse_args(argv)
    cohort = COHORT if args.cohort == "test" else REFERENCE
    if min(args.students, args.jobs, args.notebook_students) < 1:
        parser.error("--students, --jobs and --notebook-students must be at least 1")
    with tempfile.TemporaryDirectory(prefix="adkit-bench-cohort-") as work:
        kit = grade_cohort(Path(work) / "kit", args.students, args.jobs, cohort)
        kit["jobs"] = args.jobs
        nb = nbgrader_autograde(Path(work) / "nbgrader", args.notebook_students)
    own = own_code_floor(args.students, args.jobs, cohort)
    kit_each = kit["seconds"] / kit["students"]
    nb_each = nb["seconds"] / nb["students"]
    scaled = nb_each * args.students
    origin = "tests/cohort" if cohort == COHORT else "reference/"
    print(f"synthetic cohort: {kit['students']} submissions ({kit['kinds']} distinct "
          f"solution(s) from {origin}, round-robin), {args.jobs} jobs on "
          f"{os.cpu_count()} cores")
    print(f"  adkit.cohort:      {kit['seconds']:7.1f} s   {kit_each:6.3f} s per submission   "
          f"{kit['tests']} hidden tests run, {kit['not_run']} not run")
    note = "" if nb["students"] == args.students else (
        f" (measured on {nb['students']} submissions, {nb['notebooks']} notebooks; "
        f"{args.students} scaled linearly: {scaled:.0f} s)")
    print(f"  nbgrader autograde: {nb['seconds']:6.1f} s   {nb_each:6.3f} s per submission   "
          f"{nb['seconds'] / nb['notebooks']:.2f} s per notebook, serial{note}")
    ratio = nb_each / kit_each
    overhead = kit["seconds"] / own["floor"]
    print(f"whole cohort: {kit['seconds']:.1f} s"
          + ("" if kit["not_run"] == 0 else "  WARNING: some hidden tests did not run"))
    print(f"floor: the submissions' own code on the big graphs alone takes {own['seconds']:.1f} s "
          f"of CPU (bench/own_code.py), so no grader running these tests on {args.jobs} "
          f"cores can take less than {own['floor']:.1f} s; adkit.cohort's time over that: "
          f"{kit['seconds'] - own['floor']:.1f} s")
    for line in target_lines(ratio, overhead, kit):
        print(line)
    return 0


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def target_lines(throughput: float, overhead: float, kit: dict) -> list[str]:
    """Each measured ratio beside its target (issue 13), and the peak memory figures."""
    (g1, g2), (w1, w2) = kit["grader_halves"], kit["worker_halves"]
    return [
        f"grading / own-code floor:        {overhead:5.2f}x  (target <= 1.25x: "
        f"{_met(overhead <= 1.25)})",
        f"throughput adkit / nbgrader:     {throughput:5.1f}x  (target >= 10x: "
        f"{_met(throughput >= 10)})",
        f"peak memory, one sandboxed worker (largest hidden graph): {mib(kit['worker_peak'])} "
        f"(first half of the run {mib(w1)}, second half {mib(w2)})",
        f"peak memory, the grader's processes (--jobs {kit.get('jobs', '?')}): "
        f"{mib(kit['grader_peak'])} (first half {mib(g1)}, second half {mib(g2)})",
    ]


if __name__ == "__main__":
    sys.exit(main())
