"""Writing output files: each to a temporary name in the same folder, renamed into place,
so an interrupted run never leaves a half-written file; modes honour the umask.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adkit.model.text import cap

if TYPE_CHECKING:
    from adkit.grade.plugin import Outcome
    from adkit.grade.rubric import Rubric


def capped(text: object, limit: int) -> str:
    """`text` as a plain str of at most `limit` UTF-8 bytes, saying how much was cut."""
    return cap(text, limit, note=True)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~umask())  # mkstemp makes 0600; outputs are shared like any file
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def umask() -> int:
    """This process's umask, read without changing it (Linux), else by setting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


# The Gradescope dict, for callers outside the outputs (course tools, proofs, tests): the
# kit itself passes StudentResult (adkit/outputs/result.py) and scores in scoring.py.


def results(student_id: str, rubric: Rubric, outcomes: dict[tuple[str, str], Outcome],
            extra: dict[str, Any]) -> dict[str, Any]:
    """One student's results.json object (see adkit.outputs.scoring.score for `extra`)."""
    from adkit.outputs.scoring import score

    return score(student_id, rubric, outcomes, **extra).to_json()


def read_results(path: Path) -> dict[str, Any] | None:
    """The results.json object stored at `path` (as this kit writes it), or None."""
    from adkit.outputs.result import read_result

    result = read_result(path)
    return None if result is None else result.to_json()
