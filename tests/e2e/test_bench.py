"""The cohort benchmark's helpers build what they say (the timings themselves are not tested)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import bench_cohort  # noqa: E402
import memory  # noqa: E402
import own_code  # noqa: E402


@pytest.mark.parametrize("cohort", [bench_cohort.COHORT, bench_cohort.REFERENCE])
def test_make_cohort_copies_gradable_submissions(tmp_path, cohort):
    from adkit.intake.staging import stage
    from adkit.intake.submissions import find_submissions

    ids = bench_cohort.make_cohort(tmp_path, 3, cohort)
    assert len(set(ids)) == 3
    found = {s.student_id: s for s in find_submissions(tmp_path)}
    assert sorted(found) == sorted(ids)
    (tmp_path / "staged").mkdir()
    for student in ids:
        stage(found[student].folder, tmp_path / "staged" / student)
        folder, notebooks, problem = found[student].code(tmp_path / "staged" / student)
        assert problem is None and (folder is not None or notebooks)
        assert not (tmp_path / student / "tests").exists(), "only the package is copied"


def test_own_code_times_every_call_of_a_correct_solution():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "own_code.py"),
                          str(ROOT / "reference")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    seconds = json.loads(run.stdout.splitlines()[-1])
    assert set(seconds) == set(own_code.CALLS), "a correct solution fails no call"
    assert all(isinstance(v, float) and v > 0 for v in seconds.values())


def test_own_code_reports_a_failing_call_and_still_times_the_rest(tmp_path):
    from tests.helpers import COHORT
    from tests.helpers.cohorts import copy_cohort

    bug = "bug_topological_order_recursive_dfs"
    broken = copy_cohort([bug], COHORT, tmp_path) / bug
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "own_code.py"), str(broken)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    seconds = json.loads(run.stdout.splitlines()[-1])
    assert "topological_order: RecursionError" in seconds["errors"]
    assert set(own_code.CALLS) <= set(seconds)


def test_memory_sampler_tells_workers_from_the_grader(tmp_path):
    """A process running a sandbox's entry.py (and what it forks) is a worker; the rest of
    the tree is the grader."""
    entry = tmp_path / "entry.py"
    entry.write_text("import os, time\nif os.fork() == 0:\n    time.sleep(30)\ntime.sleep(30)\n")
    worker = subprocess.Popen([sys.executable, str(entry)])
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        sampler = memory.Sampler(os.getpid())
        for _ in range(100):  # until the worker has forked its child
            grader, workers = memory.split(os.getpid(), memory.children_map())
            if workers and len(workers[0]) == 2:
                break
            time.sleep(0.05)
        assert [sorted(tree)[0] for tree in workers] == [worker.pid]
        assert len(workers[0]) == 2, "the worker's forked child belongs to it"
        assert os.getpid() in grader and helper.pid in grader and worker.pid not in grader
        used, largest = sampler.sample()
        assert used >= memory.memory_of(os.getpid()) > 0 and largest > 0
        assert sampler.grader_peak == used and sampler.worker_peak == largest
        (g1, w1), (g2, w2) = sampler.halves()
        assert (g1, w1) == (g2, w2) == (used, largest)
    finally:
        for process in (worker, helper):
            process.kill()
            process.wait()
        for pid in [p for tree in workers for p in tree if p != worker.pid]:
            try:
                os.kill(pid, 9)
            except OSError:
                pass


def test_target_lines_put_each_ratio_beside_its_target():
    kit = {"grader_halves": (100 << 20, 110 << 20), "worker_halves": (80 << 20, 81 << 20),
           "grader_peak": 110 << 20, "worker_peak": 81 << 20, "jobs": 2}
    lines = bench_cohort.target_lines(12.0, 1.4, kit)
    assert "1.40x  (target <= 1.25x: NOT met)" in lines[0]
    assert "12.0x  (target >= 10x: met)" in lines[1]
    assert "81 MiB" in lines[2] and "110 MiB" in lines[3] and "--jobs 2" in lines[3]
