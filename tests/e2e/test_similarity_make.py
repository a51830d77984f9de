"""`make similarity` on the demo cohort writes sorted pairs and the report's section.
(In-process: tests/unit/test_similarity.py.)"""

from __future__ import annotations

import csv
import subprocess

from tests.helpers import ROOT


def test_make_similarity_on_the_demo_cohort(tmp_path):
    """The Makefile target, its THRESHOLD, and a cohort with a notebook student."""
    out = tmp_path / "out"
    run = subprocess.run(["make", "--no-print-directory", "similarity",
                          f"SUBMISSIONS={ROOT / 'demo_cohort'}", f"OUT={out}", "THRESHOLD=97"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = list(csv.DictReader((out / "similarity.csv").open(encoding="utf-8")))
    assert len(rows) == 36 and "s2409" in {r["student_a"] for r in rows} | \
        {r["student_b"] for r in rows}  # 9 students, the notebook one included
    assert all((float(r["score"]) >= 97) == (r["above_threshold"] == "1") for r in rows)
    assert "at 97% or more" in (out / "similarity.html").read_text(encoding="utf-8")
