"""The trusted backend: a plain limited child with no isolation, for code you trust (your
own reference, a course's TAs testing) on a machine where no isolating backend runs.
Chosen only when asked for (`choose_backend(trusted=True)`, --trusted, TRUSTED=1).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from adkit.sandbox.common import Limits
from adkit.sandbox.files import base_python, python_for_others
from adkit.sandbox.processes import is_root
from adkit.sandbox.staged import StagedSandbox


class TrustedBackend:
    """Workers as plain children: limits and a staged copy, but no isolation."""

    name = "trusted"
    isolating = False

    def __init__(self) -> None:
        # As root, a uid per worker start makes RLIMIT_NPROC bind; that needs an interpreter
        # other users may run.
        others = python_for_others() if is_root() else None
        self.python = others or base_python()[0]
        self.uid_per_start = others is not None

    def describe(self) -> str:
        who = "a fresh uid per worker" if self.uid_per_start else "the grader's own uid"
        return (f"trusted: {self.python} as {who}, NO isolation (files, network and, not as "
                "root, processes are shared with the grader); resource limits only; for "
                "code you trust")

    def open(self, submission: Path, handler: Path, support: Sequence[Path] = (),
             limits: Limits = Limits()) -> StagedSandbox:  # noqa: B008
        box = StagedSandbox(self.python, submission, handler, support, limits,
                            uid_per_start=self.uid_per_start)
        box.mode = self.name
        return box

    def check_secrets(self, secrets: Sequence[Path]) -> None:
        """Nothing to check: trusted code may read anything."""
