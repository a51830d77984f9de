"""Sandboxed feedback through nbgrader's own feedback exchange (`make
course-feedback-sandboxed`): notebook students read the score that counts.

nbgrader's `release_feedback` publishes `feedback/<student>/<assignment>/<notebook>.html`
under a hash of the notebook's name and the submission's secret (`submission_secret.txt`,
written by `nbgrader submit`, kept by `collect`), and `nbgrader fetch_feedback` finds it by
the same hash. So one page per submitted notebook is written there, holding the student's
sandboxed feedback.md, before nbgrader's own release runs.
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

from adkit.outputs.atomic import write_atomic
from adkit.outputs.rendered import render
from adkit.outputs.result import read_results
from adkit.platforms.crosscheck import task_of

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em;line-height:1.4}}
.score{{background:#eef;border:2px solid #449;padding:8px}}
h2{{border-bottom:1px solid #ccc;margin-top:1.5em}} li{{margin:.6em 0}}
.why{{margin:.2em 0 0 1em;overflow-wrap:anywhere}} .same{{color:#555}}
code{{background:#f3f3f3;padding:0 .2em}}</style></head><body>
<h1>{title}</h1>
<p class="score"><b>Your score: {score} / {top}.</b> This is the score that counts: your code
was graded in a sandbox, outside your notebook's kernel. Each test's points are split over
the kinds of behaviour it checks; a kind's share is earned when every case of it passes.
{tasks}</p>
{feedback}
</body></html>
"""


def task_points(data: dict) -> dict[str, tuple[float, float]]:
    """Each task's (points, maximum), from results.json (its tests are named "task: ...")."""
    tasks = data["extra_data"]["tasks"]
    top: dict[str, float] = {}
    for test in data.get("tests", []):
        task = str(test.get("name", "")).split(":")[0]
        if task in tasks:
            top[task] = top.get(task, 0.0) + float(test.get("max_score", 0))
    return {task: (points, top.get(task, 0.0)) for task, points in tasks.items()}


def notebook_tasks(course_dir: Path, assignment: str) -> dict[str, list[str]]:
    """The rubric tasks each of the course's notebooks tests (from the source notebooks)."""
    found: dict[str, list[str]] = {}
    for path in sorted((course_dir / "source" / assignment).glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "") for c in cells]
        tasks = [t for t in map(task_of, ids) if t]
        found[path.stem] = list(dict.fromkeys(tasks))
    return found


def page(student: str, notebook: str, data: dict, feedback: str, tasks: list[str]) -> str:
    """One notebook's feedback page: the sandboxed score, this notebook's tasks out of their
    maxima, and the whole feedback.md, rendered."""
    points = task_points(data)
    here = "; ".join(f"{t}: {points[t][0]:g} / {points[t][1]:g}" if t in points else f"{t}: 0"
                     for t in tasks)
    return PAGE.format(
        title=html.escape(f"Feedback for {student}: {notebook}"),
        score=html.escape(str(data["score"])),
        top=html.escape(str(data["extra_data"]["max_total"])),
        tasks=html.escape(f"This notebook's tasks: {here}." if here else ""),
        feedback=render(feedback))


def write_pages(course_dir: Path, assignment: str, sandboxed: Path,
                students: list[str]) -> tuple[list[str], list[str]]:
    """Write each student's sandboxed pages into nbgrader's feedback folder: (written, and
    the students left out, with why)."""
    tasks = notebook_tasks(course_dir, assignment)
    written, left = [], []
    for student in students:
        submitted = course_dir / "submitted" / student / assignment
        data = read_results(sandboxed / student / "results.json")
        feedback_md = sandboxed / student / "feedback.md"
        if data is None or not feedback_md.is_file():
            left.append(f"{student}: no sandboxed results (see the grading output above)")
            continue
        if not (submitted / "submission_secret.txt").is_file():
            left.append(f"{student}: the submission has no submission_secret.txt (submitted "
                        "with an old nbgrader?): give them "
                        f"{feedback_md} yourself")
            continue
        folder = course_dir / "feedback" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("timestamp.txt", "submission_secret.txt"):
            if (submitted / name).is_file():
                shutil.copyfile(submitted / name, folder / name)
        text = feedback_md.read_text(encoding="utf-8")
        for notebook in sorted(submitted.glob("*.ipynb")):
            write_atomic(folder / f"{notebook.stem}.html",
                         page(student, notebook.stem, data, text, tasks.get(notebook.stem, [])))
        written.append(student)
    return written, left
