"""OUT/report.html: per-task pass rates, the score distribution (inline SVG), the students."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from adkit.authoring.regions import TASKS


def histogram_svg(scores: list[float], maximum: float, bins: int = 10) -> str:
    """A bar chart of `scores` in `bins` equal ranges of [0, maximum], drawn by hand."""
    width, height, pad = 520, 220, 30
    counts = [0] * bins
    for s in scores:
        k = min(bins - 1, int(bins * s / maximum)) if maximum > 0 else 0
        counts[max(k, 0)] += 1
    top = max(counts) or 1
    bar = (width - 2 * pad) / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" '
             f'role="img" aria-label="score distribution">',
             f'<line x1="{pad}" y1="{height}" x2="{width - pad}" y2="{height}" stroke="#333"/>']
    for k, count in enumerate(counts):
        h = (height - pad) * count / top
        x = pad + k * bar
        low, high = maximum * k / bins, maximum * (k + 1) / bins
        parts.append(f'<rect x="{x + 2:.1f}" y="{height - h:.1f}" width="{bar - 4:.1f}" '
                     f'height="{h:.1f}" fill="#4a7bb7"><title>{low:g}-{high:g}: {count} '
                     f'student(s)</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - h - 4:.1f}" '
                         f'text-anchor="middle" font-size="12">{count}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height + 16}" text-anchor="middle" '
                     f'font-size="11">{low:g}</text>')
    parts.append(f'<text x="{width / 2}" y="{height + 34}" text-anchor="middle" '
                 f'font-size="12">total points (out of {maximum:g})</text></svg>')
    return "\n".join(parts)


def _banner(results: list[dict[str, Any]]) -> str:
    """A warning when any student was graded without an isolating sandbox."""
    plain = sorted({str(r["extra_data"].get("sandbox", "?")) for r in results
                    if r["extra_data"].get("isolated") is False})
    if not plain:
        return ""
    count = sum(1 for r in results if r["extra_data"].get("isolated") is False)
    return (f'<p style="background:#fdd;border:2px solid #c00;padding:8px"><b>{count} '
            f"student(s) were graded WITHOUT an isolating sandbox</b> "
            f"({html.escape(', '.join(plain))}, --trusted): their code ran with the "
            "grader's rights. Regrade on a machine where the sandbox runs.</p>")


def _skipped(skipped: Sequence[tuple[str, str]]) -> str:
    """The folders of SUBMISSIONS that were not graded, and why."""
    if not skipped:
        return ""
    items = "".join(f"<li><code>{html.escape(name)}</code>: {html.escape(reason)}</li>"
                    for name, reason in skipped)
    return f"<h2>Folders not graded ({len(skipped)})</h2>\n<ul>{items}</ul>\n"


def report_html(results: list[dict[str, Any]],
                skipped: Sequence[tuple[str, str]] = ()) -> str:
    """The cohort summary a teaching assistant looks at first.

    `skipped`: (folder name, why) for each folder of SUBMISSIONS that was not graded.
    """
    maximum = max((r["extra_data"]["max_total"] for r in results), default=100)
    scores = [float(r["score"]) for r in results]
    rows = []
    for task in TASKS:
        full = sum(1 for r in results
                   if all(t["score"] >= t["max_score"] for t in r["tests"] if task in t["tags"]))
        mean = sum(float(r["extra_data"]["tasks"][task]) for r in results) / max(len(results), 1)
        rows.append(f"<tr><td>{task}</td><td>{full}/{len(results)} "
                    f"({100 * full / max(len(results), 1):.0f}%)</td><td>{mean:.1f}</td></tr>")
    students = []
    for r in sorted(results, key=lambda r: r["extra_data"]["student_id"]):
        extra = r["extra_data"]
        cells = "".join(f"<td>{extra['tasks'][t]}</td>" for t in TASKS)
        flag = " (grader error)" if extra.get("grader_error") else ""
        sid = html.escape(extra["student_id"])
        students.append(f'<tr><td><a href="{sid}/feedback.md">{sid}</a>{flag}</td>{cells}'
                        f"<td><b>{r['score']}</b></td></tr>")
    mean = sum(scores) / len(scores) if scores else 0.0
    head = "".join(f"<th>{t}</th>" for t in TASKS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grades</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}td:first-child{{text-align:left}}
</style></head><body>
<h1>Grades: {len(results)} students, mean {mean:.1f} / {maximum:g}</h1>
{_banner(results)}{_skipped(skipped)}<h2>Score distribution</h2>
{histogram_svg(scores, float(maximum))}
<h2>Tasks</h2>
<table><tr><th>task</th><th>full marks</th><th>mean points</th></tr>
{''.join(rows)}</table>
<h2>Students</h2>
<table><tr><th>student</th>{head}<th>total</th></tr>
{''.join(students)}</table>
</body></html>
"""
