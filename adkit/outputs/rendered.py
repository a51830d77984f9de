"""feedback.md as HTML: the student's rendered feedback page (OUT/<student>/feedback.html)
and the notebook feedback page (adkit/platforms/course_feedback.py) both show it."""

from __future__ import annotations

import html
import re

from adkit.model.messages import cause_of


def _inline(text: str) -> str:
    """One line of feedback.md as HTML: escaped, then **bold** and `code`."""
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def render(markdown: str) -> str:
    """feedback.md (adkit/outputs/feedback.py writes it) as HTML: headings, paragraphs, the
    list of lost points with their reasons; every text escaped. An error already shown is
    not repeated under the next test: one message per root cause."""
    out: list[str] = []
    seen: set[str] = set()
    same = '<div class="why same">The same error as above.</div>'
    in_list = in_item = False

    def close() -> None:
        nonlocal in_list, in_item
        if in_item:
            out.append("</li>")
        if in_list:
            out.append("</ul>")
        in_list = in_item = False

    for line in markdown.splitlines():
        if line.startswith(("# ", "## ")):
            close()
            out.append(f"<h2>{_inline(line.lstrip('#').strip())}</h2>")
        elif line.startswith("- "):
            if in_item:
                out.append("</li>")
            if not in_list:
                out.append("<ul>")
            in_list = in_item = True
            out.append(f"<li>{_inline(line[2:])}")
        elif line.startswith("  ") and in_item:
            cause = cause_of(line)
            if cause is not None and cause in seen:
                if out[-1] != same:  # once per test
                    out.append(same)
                continue
            if cause is not None:
                seen.add(cause)
            out.append(f'<div class="why">{_inline(line.strip())}</div>')
        elif not line.strip():
            close()
        else:
            close()
            cause = cause_of(line)
            if cause is not None:
                seen.add(cause)
            out.append(f"<p>{_inline(line)}</p>")
    close()
    return "\n".join(out)
