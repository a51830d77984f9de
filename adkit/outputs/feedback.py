"""Each student's own files, OUT/<student>/feedback.md and results.json, made from their
stored result: per task its points, then every lost point explained; and feedback.html,
the same feedback rendered (what the report links to: a browser shows it as a page)."""

from __future__ import annotations

import html
import os
import signal
from pathlib import Path

from adkit.model.text import escape_controls
from adkit.outputs.atomic import write_atomic
from adkit.outputs.cohort import Cohort
from adkit.outputs.policy import Applied
from adkit.outputs.rendered import render
from adkit.outputs.result import StudentResult, points, results_text

# No script at all, nothing from the network: the page holds the student's own text.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'"
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em;line-height:1.4}}
h2{{border-bottom:1px solid #ccc;margin-top:1.5em}} li{{margin:.6em 0}}
.why{{margin:.2em 0 0 1em;overflow-wrap:anywhere;white-space:pre-wrap}} .same{{color:#555}}
code{{background:#f3f3f3;padding:0 .2em}}</style></head><body>
{body}
</body></html>
"""

NOT_ISOLATED = ("**Graded without a sandbox** ({name}): your code ran with the grader's "
                "rights, as trusted code. Tell the course staff if you did not expect this.")


def feedback(result: StudentResult, applied: Applied | None = None) -> str:
    """feedback.md's text. Every student-derived text in it has its controls escaped.
    `applied`: the course policy's rule for this student (adkit/outputs/policy.py)."""
    lines = [f"# Feedback for {escape_controls(result.student_id, keep_newlines=False)}", "",
             f"**Total: {result.score} / {points(result.max_total)}**", ""]
    if applied is not None:
        lines += policy_lines(applied)
    if result.isolated is False:
        lines += [NOT_ISOLATED.format(name=escape_controls(result.sandbox or "no sandbox")), ""]
    if result.notes:
        lines += [escape_controls("\n\n".join(result.notes)), ""]
    worth, tests = result.task_maxima(), result.tests_by_task()
    for task, earned in result.tasks.items():
        lines += [f"## {task}: {points(earned)} / {worth[task]}", ""]
        lost = [t for t in tests[task] if t.lost]
        if not lost:
            lines += ["All checks passed.", ""]
            continue
        for test in lost:
            lines.append(f"- **{escape_controls(test.name)}** ({points(test.score)} / "
                         f"{points(test.max_score)}):")
            for text in escape_controls(test.output or "failed").splitlines():
                lines.append(f"  {text}")
        lines.append("")
    return "\n".join(lines)


def policy_lines(applied: Applied) -> list[str]:
    """The course policy's lines for one student: the rule applied, each override with its
    reason and who made it, and the final grade."""
    lines = ["**Course policy:**", ""]
    lines += [f"- {escape_controls(line, keep_newlines=False)}" for line in applied.lines]
    if not applied.lines:
        lines.append("- No late penalty and no override.")
    return lines + ["", f"**Final grade: {points(applied.final)} / "
                        f"{points(applied.max_total)}**", ""]


def feedback_page(result: StudentResult, markdown: str | None = None) -> str:
    """feedback.html's text: feedback.md (`markdown`, if already made) rendered by the
    notebook feedback page's renderer (every text HTML-escaped; controls and bidi marks
    already written out), with no script."""
    title = f"Feedback for {escape_controls(result.student_id, keep_newlines=False)}"
    return PAGE.format(csp=PAGE_CSP, title=html.escape(title, quote=True),
                       body=render(feedback(result) if markdown is None else markdown))


def write_student(out: Path, result: StudentResult) -> None:
    """Write feedback.md, then results.json; a stop signal waits until both are written.
    results.json last: its presence and time mean "this student is done"."""
    folder = out / result.student_id
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        write_atomic(folder / "feedback.md", feedback(result))
        write_atomic(folder / "results.json", results_text(result))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def write(cohort: Cohort, out: Path) -> None:
    """The step: every student's three files from their stored result, each written only
    when its text changed. A results.json rewritten keeps the time of the one it was read
    from, since that time says when the student was graded (a rerun compares it)."""
    for result in cohort.results:
        folder = out / result.student_id
        text = feedback(result, cohort.applied.get(result.student_id))
        _write_if_changed(folder / "feedback.md", text)
        _write_if_changed(folder / "feedback.html", feedback_page(result, text))
        source = cohort.sources.get(result.student_id)
        target = folder / "results.json"
        if source == target and result.student_id in cohort.exact:
            continue  # nothing to rewrite (and no JSON to encode: that is the slow part)
        done = _mtime(source) if source else None
        if _write_if_changed(target, results_text(result)) and done:
            os.utime(target, ns=(done, done))


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, text)
    return True
