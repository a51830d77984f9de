"""A worker run as a plain child process from a staged copy: the container and trusted
backends share this; they differ in the uid, the privacy of the stage, the seccomp filter
and, for the container backend, the worker tree it is chrooted into (jail.py).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from adkit.sandbox import seccomp
from adkit.sandbox.common import ENTRY, ENV, PYTHON_FLAGS, Limits
from adkit.sandbox.files import _bytecode, check_inputs, copy_grader, copy_tree
from adkit.sandbox.jail import LAUNCHER, Jail
from adkit.sandbox.processes import fresh_uid, tasks_of
from adkit.sandbox.session import Plan, Sandbox


class StagedSandbox(Sandbox):
    """The stage: `grader/` (the kit's entry, handler and support files, root's, readable),
    `submission/` (regular files only: symlinks could point at the kit) and `work/`, the
    worker's working directory.

    With `own_uid`, the sandbox has one fixed uid of its own, reused by its restarts, which
    owns `submission/` and `work/` (mode 0700: other students' workers cannot look in), and
    the entry installs the seccomp filter. Without, `uid_per_start` gives each worker start
    a fresh uid when we are root (RLIMIT_NPROC does not bind root), else the grader's own.

    With a `jail` (the container backend; needs `own_uid`), the stage is a box in the
    worker tree: the worker starts as root, chroots into the tree, drops to its uid, and
    sees its folders as /box/<random>/... and nothing of the host but the tree.
    """

    def __init__(self, python: Path, submission: Path, handler: Path,
                 support: Sequence[Path] = (), limits: Limits = Limits(),  # noqa: B008
                 own_uid: bool = False, uid_per_start: bool = False,
                 jail: Jail | None = None) -> None:
        super().__init__(submission, handler, support, limits)
        check_inputs(self.submission, self.files)
        self.python = python
        self.uid = fresh_uid() if own_uid else None
        self.uid_per_start = uid_per_start
        if jail is not None and self.uid is None:
            raise ValueError("a jailed sandbox needs a uid of its own")
        self.jail = jail
        if jail is not None:
            self._state.stage = str(jail.box())
        else:
            self._state.stage = tempfile.mkdtemp(prefix="adkit-sandbox-")
        stage = Path(self._state.stage)
        os.chmod(stage, 0o711)
        copy_grader(self.files, stage / "grader")
        if jail is not None:  # LAUNCHER runs the entry from its bytecode, if there is one
            entry = self.files[0]
            info = entry.stat()
            compiled = stage / "grader" / importlib.util.cache_from_source(ENTRY.name)
            compiled.write_bytes(_bytecode(str(entry), info.st_mtime_ns, info.st_size))
            os.chmod(compiled, 0o644)
        if self.uid is None:
            copy_tree(self.submission, stage / "submission")
        else:
            copy_tree(self.submission, stage / "submission", owner=self.uid, mode=0o700)
        (stage / "work").mkdir(mode=0o700)
        if self.uid is not None:
            os.chown(stage / "work", self.uid, self.uid)
        self.stage = stage

    def _seen(self, path: Path) -> Path:
        """`path` (in the stage) as the worker sees it."""
        if self.jail is None:
            return path
        return Path("/") / path.relative_to(self.jail.root)

    def _plan(self) -> Plan:
        inside = (str(self._seen(self.stage / "grader")),
                  str(self._seen(self.stage / "submission")))
        work = self._seen(self.stage / "work")
        # Temporary files (tempfile, ~) in the private stage, not in the shared /tmp (what
        # is left there anyway is removed at close: see session._State).
        env = {**ENV, "HOME": str(work), "TMPDIR": str(work)}
        if self.jail is not None:  # started as root: LAUNCHER chroots and drops to the uid
            return Plan(inside, self.limits.processes + 1, find_by_uid=self.uid,
                        seccomp=seccomp.program(), cwd=self.jail.root, env=env)
        if self.uid is not None:
            return Plan(inside, self.limits.processes + 1, user=self.uid,
                        find_by_uid=self.uid, seccomp=seccomp.program(), cwd=work, env=env)
        if self.uid_per_start:
            uid = fresh_uid()
            os.chown(work, uid, uid)
            return Plan(inside, self.limits.processes + 1, user=uid, find_by_uid=uid, cwd=work,
                        env=env)
        # RLIMIT_NPROC counts all of this user's processes: allow for them
        return Plan(inside, tasks_of(os.getuid()) + self.limits.processes + 1, cwd=work,
                    env=env)

    def _argv(self, plan: Plan, args: list[str]) -> tuple[list[str], list[int]]:
        if self.jail is not None:
            enter = [str(self.jail.root), str(self._seen(self.stage / "work")), str(self.uid)]
            return [str(self.python), *PYTHON_FLAGS, "-c", LAUNCHER, *enter, *args], []
        return [str(self.python), *PYTHON_FLAGS, *args], []
