"""Reading the grader's own messages back: the root cause a failed check reports.

The graders (adkit/grade), the outputs (adkit/outputs) and the notebook feedback page
(adkit/platforms) all group failures by it, so it lives here, below all three.
"""

from __future__ import annotations

import re

# The error a message ends with ("NotImplementedError: Task graph: ...", "did not finish
# within ..."): one root cause, however many checks it failed.
_CAUSE = re.compile(r"\b(\w*(?:Error|Exception|Exit|Interrupt)\b: .*|did not finish within .*"
                    r"|not run: .*|your package could not be imported: .*)")


def cause_of(message: str) -> str | None:
    """The error a message reports (its root cause), or None for a wrong answer."""
    found = _CAUSE.search(message)
    if not found:
        return None
    # Not the counts or the other kinds a report adds after the error.
    return re.sub(r" \(\d+ of \d+ functions failed\).*$| The same error failed .*$", "",
                  found.group(1))
