"""The student's failures in words: what was wrong, and where in their code it was raised."""

from __future__ import annotations

import os
import re
from typing import Any

from .state import current

_HERE = os.path.dirname(os.path.abspath(__file__))  # the kit's frames are in this folder


# What changes from run to run in an object's text: its address in memory (`at 0x7f3a...`,
# or id() as a number: 13 digits and more). Shown as such, the same code gets the same
# feedback on every run and every machine.
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
_ID = re.compile(r"(?<![\d.])\d{13,}(?![\d.])")


def stable(text: str) -> str:
    """`text` with memory addresses and id() numbers written as `0x...` and `<id>`."""
    return _ID.sub("<id>", _ADDRESS.sub("0x...", text))


class ScenarioError(Exception):
    """The student's code returned something unusable, or misused a stand-in; says what."""


def explain(error: BaseException) -> str:
    """`Type: message (in simpleautodiff/file.py, line n, in function)`."""
    try:
        text = str(error)
    except BaseException:  # noqa: B036 - a student's exception whose __str__ fails
        text = ""
    text = stable(text)
    if len(text) > 300:
        text = text[:300] + "..."
    head = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return head + where(error.__traceback__)


def where(tb: Any) -> str:
    """Where in the student's code the exception was raised (last frame outside the kit)."""
    import traceback  # here, not at the top: only failures need it, and it is slow to import

    last = None
    for frame in traceback.extract_tb(tb):
        if os.path.dirname(os.path.abspath(frame.filename)) != _HERE:
            last = frame
    if last is None:
        return ""
    parts = last.filename.replace("\\", "/").split("/")
    short = "/".join(parts[-2:]) if len(parts) > 1 and parts[-2] == "simpleautodiff" \
        else parts[-1]
    cell = _cell_of(last.filename, last.lineno or 0) if short.endswith("__init__.py") else None
    if cell is not None:  # "" for a cell left out: its SyntaxError names the cell already
        return f" (in {cell}, in {last.name})" if cell else ""
    return f" (in {short}, line {last.lineno}, in {last.name})"


def _cell_of(filename: str, lineno: int) -> str | None:
    """`2_forward_mode.ipynb, cell answer_forward_mode, line 3` for a line of a package made
    from notebooks (adkit/intake/notebooks.py marks each cell `# --- NAME.ipynb, cell ID
    (origin) ---` and keeps the cell's lines after it), else None."""
    cache = current().cells
    if filename not in cache:
        marks = []
        try:
            with open(filename, encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    text = line.rstrip()
                    if text.startswith("# --- ") and text.endswith(" ---") and \
                            ".ipynb, cell " in text:
                        place, _, origin = text[6:-4].partition(" (")
                        marks.append((number, place, origin))
        except (OSError, ValueError):
            pass
        cache[filename] = marks
    before = [m for m in cache[filename] if m[0] < lineno]
    if not before:
        return None
    number, place, origin = before[-1]
    if origin.startswith("left out"):  # the student's cell did not compile: stubs stand in
        return ""
    if origin.startswith("missing"):
        return f"{place} (as released: your notebook has no such cell)"
    return f"{place}, line {lineno - number}"
