"""OUT/report.html: who needs attention, which tests trip the class, the score distribution,
task pass rates, and a sortable, filterable table of every student linking to their feedback.

One self-contained page (inline style, script and SVG; no network). Every text that comes
from a student (ids, messages their code produced, file names) is escaped.
"""

from __future__ import annotations

import html
import shlex
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from adkit.model.rubric import TASKS
from adkit.model.text import escape_controls
from adkit.outputs.atomic import write_atomic
from adkit.outputs.cohort import Attention, Cohort, failed_tests, summary
from adkit.outputs.report_assets import SCRIPT, STYLE
from adkit.outputs.result import StudentResult, points
from adkit.outputs.similar import Similarity

# Nothing from the network, nothing but the page's own inline style and script.
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _e(text: object) -> str:
    """`text` for the page: control characters written out, then HTML-escaped."""
    return html.escape(escape_controls(str(text)), quote=True)


def bins_of(scores: list[float], maximum: float, bins: int = 10) -> list[int]:
    """Counts of `scores` in `bins` equal ranges [low, high) of [0, maximum], the last
    range closed (a full score falls in the top bin)."""
    counts = [0] * bins
    for s in scores:
        k = min(bins - 1, int(bins * s / maximum)) if maximum > 0 else 0
        counts[max(k, 0)] += 1
    return counts


def histogram_svg(scores: list[float], maximum: float, bins: int = 10) -> str:
    """A bar chart of `scores` in `bins` equal ranges of [0, maximum], labelled at the
    ranges' edges (0, 10, ..., 100), drawn by hand."""
    width, height, pad = 560, 220, 30
    counts = bins_of(scores, maximum, bins)
    top = max(counts) or 1
    bar = (width - 2 * pad) / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" '
             f'role="img" aria-label="score distribution">',
             f'<line x1="{pad}" y1="{height}" x2="{width - pad}" y2="{height}" stroke="#333"/>']
    for k, count in enumerate(counts):
        h = (height - pad) * count / top
        x = pad + k * bar
        low, high = maximum * k / bins, maximum * (k + 1) / bins
        closing = "]" if k == bins - 1 else ")"
        parts.append(f'<rect x="{x + 2:.1f}" y="{height - h:.1f}" width="{bar - 4:.1f}" '
                     f'height="{h:.1f}" fill="#4a7bb7"><title>[{low:g}, {high:g}{closing}: '
                     f'{count} student(s)</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - h - 4:.1f}" '
                         f'text-anchor="middle" font-size="12">{count}</text>')
    for k in range(bins + 1):  # one label per edge, under the tick
        x = pad + k * bar
        parts.append(f'<line x1="{x:.1f}" y1="{height}" x2="{x:.1f}" y2="{height + 4}" '
                     f'stroke="#333"/><text class="edge" x="{x:.1f}" y="{height + 16}" '
                     f'text-anchor="middle" font-size="11">{maximum * k / bins:g}</text>')
    parts.append(f'<text x="{width / 2}" y="{height + 34}" text-anchor="middle" '
                 f'font-size="12">total points (out of {maximum:g})</text></svg>')
    parts.append(f"<p>Each bar counts the scores from its left edge up to its right edge, "
                 f"not included (the last bar includes {maximum:g}).</p>")
    return "\n".join(parts)


def _banner(results: list[StudentResult]) -> str:
    """A warning when any student was graded without an isolating sandbox."""
    plain = sorted({str(r.sandbox or "?") for r in results if r.isolated is False})
    if not plain:
        return ""
    count = sum(1 for r in results if r.isolated is False)
    return (f'<p class="warn"><b>{count} student(s) were graded WITHOUT an isolating '
            f"sandbox</b> ({_e(', '.join(plain))}, --trusted): their code ran with the "
            "grader's rights. Regrade on a machine where the sandbox runs.</p>\n")


def _partial(cohort: Cohort) -> str:
    """The PARTIAL banner: every student without a result from this run that it meant to
    give, those with none at all and those who keep an older one, counted apart."""
    missing, older = cohort.missing, cohort.not_regraded
    if not cohort.partial and not missing and not older:
        return ""
    why = "The run was interrupted: " if cohort.partial else ""
    parts = []
    if missing:
        parts.append(f"{len(missing)} have no result and are not in the gradebook")
    if older:
        parts.append(f"{len(older)} were not regraded and keep an older result (in the "
                     "gradebook and below, marked \u201cnot regraded\u201d)")
    if not parts:
        return (f'<p class="partial" id="partial"><b>PARTIAL.</b> {why}every student it set '
                "out to grade was graded before it stopped.</p>\n")
    return (f'<p class="partial" id="partial"><b>PARTIAL.</b> {why}'
            f"{len(missing) + len(older)} student(s) are not graded by this run: "
            f"{'; '.join(parts)}. Run the same command again to grade them.</p>\n")


REGRADE = ("To regrade one student (after fixing what went wrong, or for a late file), run "
           "the same command with their id: <code>make grade SUBMISSIONS=&hellip; "
           "OUT=&hellip; ONLY={id}</code> (add <code>FORCE=1</code> when their files did "
           "not change).")


def _regrade(found: list[Attention]) -> str:
    """How to regrade one student, with the first one who needs attention as the example."""
    example = next((a.student_id for a in found if a.kind != "not graded"), "<id>")
    return f'<p id="regrade">{REGRADE.format(id=_e(shlex.quote(example)))}</p>\n'


def _attention(found: list[Attention]) -> str:
    if not found:
        return "<h2>Needs attention</h2>\n<p>Nobody: every student was graded fully.</p>\n"
    rows = "".join(f'<tr><td class="l">{_link(a.student_id, a.kind != "not graded")}</td>'
                   f'<td class="l kind">{_e(a.kind)}</td><td class="l">{_e(a.why)}</td></tr>\n'
                   for a in found)
    people = len({a.student_id for a in found})
    return (f'<h2>Needs attention ({people})</h2>\n{_regrade(found)}'
            '<table id="attention" class="sortable">'
            '<thead><tr><th class="l">student</th><th class="l">what</th>'
            f'<th class="l">why</th></tr></thead>\n<tbody>{rows}</tbody></table>\n')


def _link(student_id: str, graded: bool = True) -> str:
    if not graded:
        return f"<code>{_e(student_id)}</code>"
    return f'<a href="{_e(quote(student_id))}/feedback.html">{_e(student_id)}</a>'


def _tests(cohort: Cohort) -> str:
    # Students whose code never ran fail every test: they would hide which test trips the
    # class, and they are listed under "Needs attention" already.
    results = cohort.ran
    rows = "".join(f'<tr><td class="l">{_e(t.name)}</td><td class="l">{_e(t.task)}</td>'
                   f'<td data-v="{t.failed}">{t.failed} / {t.graded}</td>'
                   f'<td class="l"><code>{_e(t.common)}</code> ({t.common_count})</td></tr>\n'
                   for t in failed_tests(results))
    if not rows:
        return "<h2>Failed tests</h2>\n<p>No student failed any test.</p>\n"
    return ('<h2>Failed tests (which test trips the class)</h2>\n'
            f"<p>Among the {len(results)} students whose code ran.</p>\n"
            '<table id="tests" class="sortable"><thead><tr><th class="l">test</th>'
            '<th class="l">task</th><th>students failing</th>'
            '<th class="l">most common message (students)</th></tr></thead>\n'
            f"<tbody>{rows}</tbody></table>\n")


def _tasks(results: list[StudentResult], tasks: list[str]) -> str:
    rows = []
    n = max(len(results), 1)
    for task in tasks:
        full = sum(1 for r in results if not any(t.lost for t in r.tests if t.task == task))
        mean = sum(float(points(r.tasks.get(task, 0.0))) for r in results) / n
        rows.append(f'<tr><td class="l">{_e(task)}</td><td data-v="{full / n:.4f}">{full}/'
                    f"{len(results)} ({100 * full / n:.0f}%)</td><td>{mean:.1f}</td></tr>")
    return ('<h2>Tasks</h2>\n<table id="tasks" class="sortable"><thead><tr><th class="l">task'
            '</th><th>full marks</th><th>mean points</th></tr></thead>\n<tbody>'
            + "".join(rows) + "</tbody></table>\n")


def _students(results: list[StudentResult], flagged: dict[str, list[str]],
              tasks: list[str], applied: dict[str, Any] | None = None) -> str:
    rows = []
    for r in sorted(results, key=lambda r: r.student_id):
        cells = "".join(f'<td data-v="{float(points(r.tasks.get(t, 0.0))):g}">'
                        f"{points(r.tasks.get(t, 0.0))}</td>" for t in tasks)
        extra = ""
        if applied:  # the course policy's columns, after the total (adkit/outputs/policy.py)
            a = applied[r.student_id]
            extra = "".join(f'<td data-v="{v if v != "" else -1}">{v}</td>' for v in (
                a.late_hours, points(a.penalty), points(a.override), points(a.final)))
        kinds = flagged.get(r.student_id, [])
        mark = (' data-flagged=""' if kinds else "") + _search(r, kinds)
        rows.append(f'<tr{mark}><td class="l">{_link(r.student_id)}</td><td class="l flag">'
                    f'{_e(", ".join(kinds))}</td>{cells}<td data-v="{float(r.score):g}">'
                    f"<b>{r.score}</b></td>{extra}</tr>\n")
    head = "".join(f"<th>{_e(t)}</th>" for t in tasks)
    policy = "".join(f"<th>{t}</th>" for t in ("hours late", "penalty", "override", "final")
                     ) if applied else ""
    return ('<h2>Students</h2>\n<p><label>Filter: <input id="filter" type="search" '
            'placeholder="id, task or flag"></label> <label><input id="only-flagged" '
            'type="checkbox"> needs attention only</label> <span id="shown"></span> '
            "(click a column's title to sort)</p>\n"
            '<table id="students" class="sortable"><thead><tr><th class="l">student</th>'
            f'<th class="l">attention</th>{head}<th>total</th>{policy}</tr></thead>\n<tbody>'
            + "".join(rows) + "</tbody></table>\n")


# Words a row's kinds of trouble are also found by in the filter (the flags' usual names).
FLAG_WORDS = {"could not be graded": "not loaded", "not graded": "missing",
              "not regraded": "older"}


def _search(result: StudentResult, kinds: list[str]) -> str:
    """A row's data-search attribute: what the filter finds it by besides its text: the
    tasks where it lost points, its flags and their usual names, late, zero."""
    words = [task for task, mine in result.tests_by_task().items()
             if any(t.lost for t in mine)]
    words += [w for k in kinds for w in (k, FLAG_WORDS.get(k, ""))]
    if result.marked_late:
        words.append("late")
    if float(result.total) == 0:
        words.append("zero")
    return f' data-search="{_e(" ".join(w for w in words if w))}"'


def _others(others: list[tuple[str, str]]) -> str:
    if not others:
        return ""
    items = "".join(f"<li><code>{_e(name)}</code>: {_e(why)}</li>" for name, why in others)
    return (f'<h2>Other files in SUBMISSIONS, not graded ({len(others)})</h2>\n'
            f'<ul id="others">{items}</ul>\n')


SIMILAR_SHOWN = 20  # pairs listed in the report; similarity.html shows them side by side


def similarity_section(similarity: Similarity | None) -> str:
    """The report's similarity section from `make similarity`'s pairs, or "" when there
    are none: the pairs above the threshold, linking to similarity.html."""
    if similarity is None:
        return ""
    if similarity.problem:
        return (f'<h2 id="similarity">Similarity</h2>\n<p class="warn">{_e(similarity.name)} '
                f"could not be read ({_e(similarity.problem)}): run `make similarity` again."
                "</p>\n")
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(similarity.written))
    above = [p for p in similarity.pairs if p.above]
    listed = above[:SIMILAR_SHOWN]
    head = (f'<h2 id="similarity">Similarity ({len(above)} of {len(similarity.pairs)} pairs '
            f"above the threshold)</h2>\n<p>From <code>make similarity</code> ({when}): see "
            '<a href="similarity.html">similarity.html</a> for the code side by side, '
            '<a href="similarity.csv">similarity.csv</a> for every pair. A high score is a '
            "reason to read both programs, not a proof of copying.</p>\n")
    if not listed:
        return head
    body = "".join(f'<tr><td class="l">{_link(p.a, False)}</td><td class="l">'
                   f'{_link(p.b, False)}</td><td data-v="{p.score:g}">{p.score:.1f}</td>'
                   f'<td data-v="{p.share_a:g}">{p.share_a:.1f}</td>'
                   f'<td data-v="{p.share_b:g}">{p.share_b:.1f}</td></tr>\n' for p in listed)
    more = (f"<p>... and {len(above) - len(listed)} more in similarity.html.</p>\n"
            if len(above) > len(listed) else "")
    return (head + '<table id="similar" class="sortable"><thead><tr><th class="l">student</th>'
            '<th class="l">student</th><th>score %</th><th>share of the first %</th>'
            f"<th>share of the second %</th></tr></thead>\n<tbody>{body}</tbody></table>\n"
            + more)


def report_html(cohort: Cohort) -> str:
    """The cohort summary a teaching assistant looks at first."""
    results = cohort.results
    maximum = float(max((points(r.max_total) for r in results), default=100))
    scores = [float(r.score) for r in results]
    stats = summary(scores)
    tasks = list(dict.fromkeys(t for r in results for t in r.tasks)) or list(TASKS)
    title = (f"{len(results)} students graded: mean {stats['mean']:.1f}, median "
             f"{stats['median']:.1f} / {maximum:g} (lowest {stats['min']:g}, highest "
             f"{stats['max']:g})")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grades</title>
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<style>{STYLE}</style></head><body>
<h1 id="summary">{_e(title)}</h1>
{_partial(cohort)}{_banner(results)}{_attention(cohort.attention)}\
{_tests(cohort)}
<h2>Score distribution</h2>
{histogram_svg(scores, maximum)}
{_tasks(results, tasks)}{similarity_section(cohort.similarity)}
{_students(results, cohort.flagged, tasks, cohort.applied)}{_others(cohort.others)}
<script>{SCRIPT}</script>
</body></html>
"""


def write(cohort: Cohort, out: Path) -> None:
    """The step: OUT/report.html."""
    write_atomic(out / "report.html", report_html(cohort))
