"""The hidden graders exercise every line and branch of the reference's solution regions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from adkit.authoring.regions import package_regions
from adkit.proofs.coverage_check import REFERENCE, regions_coverage
from tests.helpers import ROOT


@pytest.mark.slow
def test_graders_cover_every_line_and_branch_of_the_solution_regions():
    run = subprocess.run([sys.executable, "-m", "adkit.proofs.coverage_check", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(run.stdout)
    assert data["score"] == data["max_score"], "the reference must earn full marks"
    expected = sum(len(r) for r in package_regions(REFERENCE).values())
    assert len(data["regions"]) == expected
    unexercised = [f"{r['file']}:{r['begin']}-{r['end']} ({r['task']}): lines "
                   f"{r['missing_lines']}, branches {r['missing_branches']}"
                   for r in data["regions"] if r["missing_lines"] or r["missing_branches"]]
    assert not unexercised, "no grader exercises:\n" + "\n".join(unexercised)
    totals = data["totals"]
    assert totals["lines"] > 100 and totals["branches"] > 30
    assert totals["line_percent"] == totals["branch_percent"] == 100.0


def test_only_lines_inside_regions_count(tmp_path):
    package = tmp_path / "simpleautodiff"
    shutil.copytree(REFERENCE, package, ignore=shutil.ignore_patterns("__pycache__"))
    regions = package_regions(package)[package / "forward_mode.py"]
    (region,) = regions
    inside, outside = region.begin + 2, region.begin - 3  # a statement, and the docstring
    files = {str(package / "forward_mode.py"): {
        "executed_lines": [outside, region.begin + 1],
        "missing_lines": [inside, outside + 1],
        "executed_branches": [[region.begin + 3, region.begin + 4]],
        "missing_branches": [[region.begin + 3, region.end + 5], [outside, outside + 1]],
    }}
    rows = regions_coverage(package, files)
    (row,) = [r for r in rows if r.file == "forward_mode.py"]
    assert (row.lines, row.missing_lines) == (2, [inside])
    assert (row.branches, row.missing_branches) == (2, [[region.begin + 3, region.end + 5]])
    # A module coverage never saw has every statement of its regions missing.
    (order,) = [r for r in rows if r.file == "order.py" and r.lines > 5]
    assert order.missing_lines and len(order.missing_lines) == order.lines
