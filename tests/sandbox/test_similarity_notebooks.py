"""Notebook students in the similarity check (adkit/similarity): their notebooks are read in a
child process of the intake, and only their answer cells count. (The rest in-process:
tests/unit/test_similarity.py; make similarity: tests/e2e/test_similarity_make.py.)"""

from __future__ import annotations

import json
import shutil

from adkit.similarity.pairs import all_pairs, fingerprints
from adkit.similarity.students import read_cohort, skeleton_sources
from tests.helpers import ROOT

NOTEBOOKS = ROOT / "assignments" / "source" / "autodiff"


def test_notebooks_count_only_their_answer_cells(tmp_path):
    cohort = tmp_path / "cohort"
    folder = cohort / "nb_student"
    folder.mkdir(parents=True)
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
            if grade_id.startswith("given_"):
                cell["source"] = "EDITED_GIVEN_CELL = 1\n"
        (folder / path.name).write_text(json.dumps(nb), encoding="utf-8")
    shutil.copytree(ROOT / "reference" / "simpleautodiff", cohort / "ref" / "simpleautodiff")
    students, left = read_cohort(cohort, tmp_path / "scratch")
    assert left == []
    by_id = {s.student_id: s for s in students}
    text = by_id["nb_student"].text
    assert "EDITED_GIVEN_CELL" not in text and "class Node" not in text
    assert "1_graph.ipynb, cell" in text and "def topological_order" in text
    pair = all_pairs(fingerprints(students, skeleton_sources()))[0]
    assert pair.score > 0.8, pair  # the reference's solutions, in notebooks or in files
