"""OUT/similarity.csv (every pair, the most similar first) and OUT/similarity.html (the pairs
above the threshold, side by side, matched code highlighted).

The page is self-contained (inline style, no script, no network) and every text from a
student (ids, code, file names) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from adkit.model.text import escape_controls
from adkit.outputs.similar import SimilarPair
from adkit.outputs.similar import similarity_csv as pairs_csv
from adkit.similarity.pairs import Pair
from adkit.similarity.students import Student
from adkit.similarity.winnow import Fingerprints, spans

MOST_SHOWN = 100  # pairs drawn side by side; the CSV has them all
CSP = "default-src 'none'; style-src 'unsafe-inline'"
STYLE = """
body{font-family:sans-serif;margin:2em}
table{border-collapse:collapse;margin-bottom:1em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
.pair{display:flex;gap:1em}.side{flex:1;min-width:0}
pre{background:#f8f8f8;border:1px solid #ddd;padding:6px;overflow-x:auto;font-size:12px;
max-height:40em}
mark{background:#fd7}
.note{color:#555}
"""


def _e(text: object) -> str:
    """`text` for the page: control characters written out, then HTML-escaped."""
    return html.escape(escape_controls(str(text)), quote=True)


def _percent(share: float) -> str:
    return f"{100 * share:.1f}"


def is_above(pair: Pair, threshold: float) -> bool:
    """Whether `pair` scores `threshold` percent or more (as the CSV shows it, to 0.1%)."""
    return round(100 * pair.score, 1) >= threshold


def as_rows(pairs: Sequence[Pair], threshold: float) -> list[SimilarPair]:
    """The pairs as similarity.csv stores them (percentages; above the threshold or not)."""
    return [SimilarPair(p.a, p.b, 100 * p.score, 100 * p.share_a, 100 * p.share_b, p.tokens,
                        is_above(p, threshold)) for p in pairs]


def similarity_csv(pairs: Sequence[Pair], threshold: float) -> str:
    """Every pair, the most similar first; shares and score in percent."""
    return pairs_csv(as_rows(pairs, threshold))


def highlighted(text: str, ranges: list[tuple[int, int]]) -> str:
    """`text` escaped, with each range in <mark>."""
    parts, done = [], 0
    for start, end in ranges:
        parts.append(_e(text[done:start]))
        parts.append(f"<mark>{_e(text[start:end])}</mark>")
        done = end
    parts.append(_e(text[done:]))
    return "".join(parts)


def _side(student: Student, share: float, prints: Fingerprints, shared: frozenset[int]) -> str:
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in student.notes)
    return (f'<div class="side"><h3>{_e(student.student_id)}: {_percent(share)}% of their code'
            f"</h3>{notes}<pre>{highlighted(student.text, spans(prints, shared))}</pre>"
            "</div>")


def _pair(i: int, pair: Pair, students: dict[str, Student],
          prints: dict[str, Fingerprints]) -> str:
    """One pair side by side (anchor `pair<i>`)."""
    shared = frozenset(prints[pair.a].where.keys() & prints[pair.b].where.keys())
    return (f'<h2 id="pair{i}">{_e(pair.a)} and {_e(pair.b)}: {_percent(pair.score)}%</h2>\n'
            f'<div class="pair">{_side(students[pair.a], pair.share_a, prints[pair.a], shared)}'
            f"{_side(students[pair.b], pair.share_b, prints[pair.b], shared)}</div>\n")


def similarity_html(pairs: Sequence[Pair], students: dict[str, Student],
                    prints: dict[str, Fingerprints], threshold: float,
                    not_compared: Sequence[tuple[str, str]] = ()) -> str:
    """The pairs scoring `threshold` percent or more, side by side."""
    above = [p for p in pairs if is_above(p, threshold)]
    rows = "".join(f'<tr><td><a href="#pair{i}">{_e(p.a)}</a></td><td>{_e(p.b)}</td>'
                   f"<td>{_percent(p.score)}</td><td>{_percent(p.share_a)}</td>"
                   f"<td>{_percent(p.share_b)}</td><td>{p.tokens}</td></tr>\n"
                   for i, p in enumerate(above))
    table = ('<table id="pairs"><thead><tr><th>student</th><th>student</th><th>score %</th>'
             "<th>share of the first %</th><th>share of the second %</th>"
             f"<th>tokens matched</th></tr></thead>\n<tbody>{rows}</tbody></table>\n"
             if above else "<p>No pair reaches the threshold.</p>\n")
    shown = [_pair(i, p, students, prints) for i, p in enumerate(above[:MOST_SHOWN])]
    more = (f"<p>{len(above) - MOST_SHOWN} more pairs above the threshold are in "
            "similarity.csv.</p>\n" if len(above) > MOST_SHOWN else "")
    left = "".join(f"<li><code>{_e(name)}</code>: {_e(why)}</li>" for name, why in not_compared)
    left = f'<h2>Not compared ({len(not_compared)})</h2><ul id="not-compared">{left}</ul>\n' \
        if not_compared else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Similarity</title>
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<style>{STYLE}</style></head><body>
<h1>Similarity: {len(above)} of {len(pairs)} pairs at {threshold:g}% or more</h1>
<p>{len(students)} students compared, each as one text (all their files; for notebooks,
only their answer cells), with the skeleton's given code discounted. A score is the mean of
the two shares: how much of each student's code (in tokens, names and strings normalized)
is also in the other's. Highlighted: code found in both. A high score is a reason to look,
not a proof of copying: read the code.</p>
{table}{"".join(shown)}{more}{left}</body></html>
"""
