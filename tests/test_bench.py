"""The cohort benchmark's helpers build what they say (the timings themselves are not tested)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_cohort  # noqa: E402
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


def test_own_code_reports_a_failing_call_and_still_times_the_rest():
    broken = ROOT / "tests" / "cohort" / "bug_topological_order_recursive_dfs"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "own_code.py"), str(broken)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    seconds = json.loads(run.stdout.splitlines()[-1])
    assert "topological_order: RecursionError" in seconds["errors"]
    assert set(own_code.CALLS) <= set(seconds)
