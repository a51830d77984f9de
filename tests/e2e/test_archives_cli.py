"""A cohort handed in as one archive, graded by the kit's command: every refused member is
named in the outputs, the honest students are graded, and a second run regrades nothing.
(The archives themselves: tests/unit/test_archives.py.)"""

from __future__ import annotations

import json
import zipfile

from tests.helpers.archive_builders import hostile_zip


def test_cli_grades_a_cohort_archive_and_explains_refusals(tmp_path, capsys):
    from adkit.cohort import __main__ as cli

    members = {"doejane_1002_77_hw.zip": hostile_zip(),
               "roeric_1003_78_simpleautodiff.py": b"def broken(:\n",
               "../evil.py": b"x"}
    cohort = tmp_path / "cohort.zip"
    with zipfile.ZipFile(cohort, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    out = tmp_path / "grades"
    code = cli.main([str(cohort), "--out", str(out), "--jobs", "2"])
    stderr = capsys.readouterr().err
    assert code == 0, stderr
    assert "../evil.py" in stderr and "`..`" in stderr  # the cohort's own refusal
    report = (out / "report.html").read_text()
    assert "evil.py" in report and "roeric_1003" in report
    assert json.loads((out / "roeric_1003" / "results.json").read_text())["score"] == 0
    assert json.loads((out / "doejane_1002" / "results.json").read_text())["score"] == 100
    feedback = (out / "doejane_1002" / "feedback.md").read_text()
    for name in ("outside.py", "absolute.py", "windows.py", "again.zip", "zeros.ipynb",
                 "stolen.py"):
        assert name in feedback, name
    assert "files left out" in report and "could not be graded" in report
    # the same archive again: nothing changed, nothing is regraded
    assert cli.main([str(cohort), "--out", str(out), "--jobs", "2"]) == 0
    assert "2 student(s) already graded and unchanged" in capsys.readouterr().err
