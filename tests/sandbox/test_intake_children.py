"""Hostile notebooks are read in a child process of their own (adkit/intake/notebooks.py,
extract_in_child): a slow or greedy one costs only its student, the reference's notebooks
extract, notes from the notebooks reach the feedback; and a folder named like an output does
not stop a (trusted) run. (The intake in-process: tests/unit/test_intake.py.)"""

from __future__ import annotations

import time

import pytest

from adkit.cohort import runner
from adkit.intake import notebooks
from adkit.intake.notebooks import SubmissionError, extract_in_child
from adkit.intake.submissions import Submission
from adkit.model.rubric import load_rubric
from tests.helpers import course_notebooks
from tests.helpers.fake_backend import FakeBackend


def test_a_folder_named_like_an_output_does_not_stop_the_run(tmp_path):
    from adkit.cohort import __main__ as cli

    submissions = tmp_path / "submissions"
    (submissions / "gradebook.csv").mkdir(parents=True)
    (submissions / "s1").mkdir()
    out = tmp_path / "grades"
    cli.main([str(submissions), "--out", str(out), "--jobs", "1", "--trusted"])
    assert (out / "gradebook.csv").is_file()
    assert "gradebook.csv" in (out / "report.html").read_text()
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["s1"]


def test_a_slow_notebook_costs_its_student_only(tmp_path, monkeypatch):
    def slow(*_: object) -> str:
        while True:
            pass

    monkeypatch.setattr(notebooks, "package_source", slow)  # inherited by the forked child
    began = time.monotonic()
    with pytest.raises(SubmissionError, match="took longer than 1 s"):
        extract_in_child(course_notebooks.notebooks(), tmp_path / "pkg", seconds=1)
    assert time.monotonic() - began < 5


def test_a_notebook_that_eats_memory_costs_its_student_only(tmp_path, monkeypatch):
    def greedy(*_: object) -> str:
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024**2))

    monkeypatch.setattr(notebooks, "package_source", greedy)
    with pytest.raises(SubmissionError, match="too much memory"):
        extract_in_child(course_notebooks.notebooks(), tmp_path / "pkg", seconds=20)


def test_the_child_extracts_the_reference_notebooks(tmp_path):
    dest = extract_in_child(course_notebooks.notebooks(), tmp_path / "pkg")
    assert "def backward" in (dest / "simpleautodiff" / "__init__.py").read_text()


def test_notes_from_the_notebooks_reach_the_feedback(tmp_path):
    student = tmp_path / "s1"
    student.mkdir()
    for path in course_notebooks.notebooks()[:2]:
        (student / path.name).write_bytes(path.read_bytes())
    (student / "broken.ipynb").write_text("{not json")
    backend = FakeBackend()
    runner.grade(Submission("s1", student), tmp_path / "grades", load_rubric(), backend)
    assert backend.seen["files"] == ["simpleautodiff", "simpleautodiff/__init__.py"]
    feedback = (tmp_path / "grades" / "s1" / "feedback.md").read_text()
    assert "**From your notebooks:**" in feedback
    assert "broken.ipynb could not be read as a notebook" in feedback
    assert 'no cell 10 under "The tape" (an answer cell); it counts as released' in feedback
    assert str(tmp_path) not in feedback
