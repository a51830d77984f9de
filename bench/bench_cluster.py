"""Benchmark: one cohort graded on one machine, then in 3 shards through a real Slurm.

    sudo .venv/bin/python bench/bench_cluster.py --students 200    # root: it starts Slurm

The cohort is bench_cohort.py's (copies of the test cohort's solutions, round-robin, each
under its own id). Both runs use the same user (nobody), the same private copy of the kit
and the same secret file, on this machine's cores: the one-machine run with --jobs CORES,
the Slurm run with --shards 3 --cpus 1 (the one-node Slurm of tests/helpers/slurm_harness.py).
It prints both wall times, the overhead a shard adds (a shard with nothing left to grade:
Python, kit, manifest, digests, sandbox check), the merge's time, Slurm's pace of starting
array tasks, and checks that both OUT folders hold the same outputs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench_cohort import COHORT, make_cohort  # noqa: E402

from tests.helpers.cluster_compare import differences  # noqa: E402
from tests.helpers.slurm_harness import USER, Slurm, python_for, why_not  # noqa: E402


def _site(base: Path, students: int) -> Path:
    kit = base / "kit"
    for name in ("adkit", "graders", "reference"):
        shutil.copytree(ROOT / name, kit / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    make_cohort(base / "cohort", students, COHORT)
    (base / "secret").write_text("bench secret\n")
    subprocess.run(["chown", "-R", f"{USER}:", str(base)], check=True)
    for private in (kit / "graders", kit / "reference"):
        private.chmod(0o700)
    (base / "secret").chmod(0o600)
    return kit


def _as_user(command: list[str], cwd: Path, secret: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(["runuser", "-u", USER, "--", "env",
                           f"ADKIT_COURSE_SECRET_FILE={secret}", *command], cwd=cwd,
                          capture_output=True, text=True, timeout=7200)
    return time.perf_counter() - started, done.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--shards", type=int, default=3)
    args = parser.parse_args(argv)
    if why_not():
        print(f"skipped: {why_not()}")
        return 0
    cores = os.cpu_count() or 1
    base = Path(tempfile.mkdtemp(prefix="adkit-bench-cluster-"))
    os.chmod(base, 0o755)
    slurm = Slurm(cpus=cores)
    try:
        kit = _site(base, args.students)
        python = python_for(USER, base)
        secret, cohort = base / "secret", base / "cohort"
        local, _ = _as_user([python, "-m", "adkit.cohort", str(cohort), "--out",
                             str(base / "local"), "--jobs", str(cores)], kit, secret)
        print(f"one machine, --jobs {cores}: {args.students} students in {local:.1f} s "
              f"({local / args.students:.2f} s per student)")
        slurm.start()
        started = time.perf_counter()
        out = base / "sharded"
        done = slurm.run([python, "-m", "adkit.cluster", "slurm", str(cohort), "--out",
                          str(out), "--shards", str(args.shards), "--cpus", "1",
                          "--secret-file", str(secret)], user=USER, cwd=kit)
        ids = re.search(r"shards = job (\d+) .* merge = job (\d+)", done.stdout)
        if not ids:
            print(done.stdout, done.stderr)
            return 1
        slurm.wait(ids[1], ids[2], timeout=7200)
        sharded = time.perf_counter() - started
        print(f"Slurm, {args.shards} shards of 1 core: {sharded:.1f} s from submitting to "
              "the merge's end")
        manifest = out / ".cluster" / "manifest.json"
        idle, _ = _as_user([python, "-m", "adkit.cluster", "shard", "--manifest",
                            str(manifest), "--index", "0", "--jobs", "1"], kit, secret)
        print(f"overhead of a shard (one with nothing left to grade): {idle:.1f} s")
        merge, _ = _as_user([python, "-m", "adkit.cluster", "merge", "--manifest",
                             str(manifest)], kit, secret)
        print(f"merge of {args.students} students: {merge:.1f} s")
        starts = [line[1:24] for line in (slurm.root / "slurmctld.log").read_text()
                  .splitlines() if "sched: Allocate" in line]
        print(f"Slurm allocations logged: {len(starts)} ({starts[0]} .. {starts[-1]})")
        problems = differences(base / "local", out)
        print("outputs: the same as one machine's" if not problems else
              f"outputs DIFFER: {problems[:5]}")
        return 1 if problems else 0
    finally:
        slurm.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
