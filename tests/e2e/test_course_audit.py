"""`make similarity` runs no student code (issue 22): submissions whose code would leave a
mark the moment anything imports or runs it, as a module, a package or a notebook cell,
are compared and leave none. (The course targets: tests/e2e/test_course_e2e.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from adkit.similarity.__main__ import main
from tests.helpers import ROOT


def _marking(mark: Path, who: str) -> str:
    return (f"import pathlib\npathlib.Path({str(mark / who)!r}).write_text('ran')\n"
            "import os\nos.system('touch ' + " + repr(str(mark / (who + '.sh'))) + ")\n")


def test_similarity_runs_no_student_code(tmp_path):
    mark = tmp_path / "marks"
    mark.mkdir()
    cohort = tmp_path / "cohort"
    (cohort / "module").mkdir(parents=True)
    (cohort / "module" / "simpleautodiff.py").write_text(_marking(mark, "module") + "x = 1\n")
    package = cohort / "package" / "simpleautodiff"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(_marking(mark, "package"))
    (package.parent / "conftest.py").write_text(_marking(mark, "conftest"))
    notebooks = cohort / "notebook"
    shutil.copytree(ROOT / "demo_cohort" / "s2409", notebooks)
    first = notebooks / "1_graph.ipynb"
    nb = json.loads(first.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = _marking(mark, "notebook") + "".join(cell["source"])
    first.write_text(json.dumps(nb), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    assert main([str(cohort), "--out", str(out), "--threshold", "60"]) == 0
    assert (out / "similarity.csv").is_file()
    assert sorted(p.name for p in mark.iterdir()) == []
