"""What a node checks before it grades for a shared cluster: the kit's secrets are private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from adkit.cohort import runner
from adkit.model.rubric import GRADERS


def shared_secrets(rubric: Path, secret_file: Path | None) -> list[str]:
    """The kit's private folders and files that other users could read, with their modes.

    On a cluster the file system is shared: graders/ and reference/ (the hidden tests and
    the solutions), the rubric and the secret file must be the TA's alone. A folder is
    private when it grants nothing to group and others (0700): that protects all below it.
    """
    found = []
    for path in (GRADERS, runner.REFERENCE.parent, rubric, secret_file):
        if path is None:
            continue
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError as error:
            found.append(f"{path} ({error.strerror})")
            continue
        if mode & 0o077 and not _inside_private(Path(path)):
            found.append(f"{path} (mode {mode:04o})")
    return found


def _inside_private(path: Path) -> bool:
    """Whether a folder above `path` (up to the kit's) already keeps others out."""
    kit = runner.KIT.parent.resolve()
    for parent in Path(path).resolve().parents:
        if not parent.is_relative_to(kit) or parent == kit:
            return False
        if not stat.S_IMODE(os.stat(parent).st_mode) & 0o077:
            return True
    return False


def privacy_problem(rubric: Path, secret_file: Path | None) -> str | None:
    """The message that refuses a cluster run whose secrets others could read, or None."""
    found = shared_secrets(rubric, secret_file)
    if not found:
        return None
    folders = " ".join(sorted({str(GRADERS), str(runner.REFERENCE.parent)}))
    return ("other users of the cluster could read the kit's secrets: " + ", ".join(found)
            + f". Make them yours alone first: `chmod -R go-rwx {folders}`"
            + (f" and `chmod 600 {secret_file}`" if secret_file else "")
            + " (the jobs run as you, so they still read them)")
