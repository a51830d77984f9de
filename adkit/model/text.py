"""Student-derived text made safe to show: control characters escaped, length capped.

Anything a submission holds or its code sends back (exception messages, file and folder
names, notebook cells, printed output) may carry terminal escape sequences or
bidirectional overrides. Before such text reaches a console, a page, a CSV or a JSON file
it goes through `shown`, which escapes them visibly (`\\x1b`, `\\u202e`) so that a TA sees
what was there instead of having their terminal or page rewritten. Standard library only:
the sandbox's host side and every output use it.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional marks,
# embeddings, overrides and isolates (which reorder what a reader sees).
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ufeff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def plain(text: Any) -> str:
    """`text` as an exact str: a str subclass is copied (its __str__ or __len__ may lie),
    anything else is shown by its type's name."""
    if type(text) is str:
        return text
    if isinstance(text, str):
        return str.__str__(text)
    return f"<{type(text).__name__}>"


def escape_controls(text: Any, keep_newlines: bool = True) -> str:
    """`text` with every control character written out as an escape (newline and tab kept,
    or escaped too when `keep_newlines` is false, for one-line places: console, CSV)."""
    text = plain(text)
    if not keep_newlines:
        text = text.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
    return _CONTROLS.sub(_escaped, text)


def cap(text: Any, most: int, note: bool = False) -> str:
    """`text` cut to at most `most` UTF-8 bytes (never mid-character); `...` marks a cut, or
    with `note` a line saying how many bytes were cut."""
    text = plain(text)
    data = text.encode("utf-8", "replace")
    if len(data) <= most:
        return data.decode("utf-8", "ignore") if len(data) != len(text) else text
    if note:
        kept = data[:most].decode("utf-8", "ignore")
        return f"{kept}\n[... {len(data) - len(kept.encode())} more bytes cut]"
    return data[:max(most - 3, 0)].decode("utf-8", "ignore") + "..."


def shown(text: Any, most: int = 8 * 1024, one_line: bool = False) -> str:
    """Student-derived `text` ready to show: capped to `most` bytes, then controls escaped
    (on one line when `one_line`)."""
    return escape_controls(cap(text, most), keep_newlines=not one_line)
