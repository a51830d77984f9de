"""The container backend, for where bwrap cannot start (Gradescope, Docker, CI runners): we
are root, but new namespaces are refused. Docker's default capabilities still allow chroot,
so each worker starts as root, chroots into the worker tree (jail.py: the interpreter, its
libraries, the standard library and one box per sandbox, nothing of the kit's checkout, the
course or other students), drops to a uid of its own, and runs with the seccomp filter and
the resource limits. `check_secrets` proves, as such a worker, that nothing in its view
holds anything worth taking (sight.py). It shares the machine's network namespace, so the
filter takes the network away: no socket() at all (Unix ones included), and no io_uring.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from adkit.sandbox import seccomp
from adkit.sandbox.cgroups import memory_bound
from adkit.sandbox.common import ENTRY, ENV, PYTHON_FLAGS, Limits, SandboxError, SandboxUnavailable
from adkit.sandbox.files import no_python_for_others, python_for_others
from adkit.sandbox.jail import LAUNCHER, Jail
from adkit.sandbox.processes import fresh_uid, is_root
from adkit.sandbox.staged import StagedSandbox

SIGHT = Path(__file__).with_name("sight.py")
_WALK_MOST = 5000  # files fingerprinted per secret folder
_FILE_MOST = 16 * 1024**2  # larger files are not fingerprinted
_REGION = re.compile(r"^\s*### BEGIN SOLUTION.*?^\s*### END SOLUTION", re.M | re.S)
_NEEDLE_CHARS = 16  # shorter lines of a solution region are too common to tell anything
_SKIP = {".git", ".venv", "node_modules", "__pycache__"}


@functools.cache
def container_problem() -> str:
    """'' when the container backend may run here (it is then tried), else why not."""
    if not is_root():
        return "it needs root (to run each worker under a uid of its own)"
    if seccomp.supported() is None:
        return "no seccomp filter for this machine's architecture (x86_64 and aarch64 only)"
    if python_for_others() is None:
        return no_python_for_others()
    return ""


@functools.cache
def worker_tree(python: Path) -> Jail:
    """The worker tree for `python`: made once per run (per process), removed at exit."""
    return Jail(python)


def _in_tree(jail: Jail, script: Path, args: Sequence[str], given: dict | None = None
             ) -> subprocess.CompletedProcess:
    """Run `script` as a fresh uid chrooted into the tree, as a worker starts, in a box of
    its own (removed after); `given` goes to its stdin as JSON, with `own`: that box."""
    box = jail.box()
    uid = fresh_uid()
    try:
        grader = box / "grader"
        grader.mkdir(mode=0o755)
        os.chmod(grader, 0o755)
        shutil.copyfile(script, grader / script.name)
        os.chmod(grader / script.name, 0o644)
        for name in ("submission", "work"):
            (box / name).mkdir(mode=0o700)
            os.chown(box / name, uid, uid)
        seen = "/" + str(box.relative_to(jail.root))
        argv = [str(jail.python), *PYTHON_FLAGS, "-c", LAUNCHER, str(jail.root),
                f"{seen}/work", str(uid), f"{seen}/grader/{script.name}", *args]
        env = {**ENV, "HOME": f"{seen}/work", "TMPDIR": f"{seen}/work"}
        stdin = "" if given is None else json.dumps({**given, "own": seen})
        return subprocess.run(argv, capture_output=True, text=True, input=stdin, timeout=60,
                              env=env, cwd=str(jail.root))
    finally:
        shutil.rmtree(box, ignore_errors=True)


def _fingerprints(tops: Sequence[Path]) -> tuple[list[str], dict[str, list[str]]]:
    """(lines of the solution regions, size -> SHA-256 of every file) under `tops`."""
    needles: set[str] = set()
    digests: dict[str, set[str]] = {}
    for top in tops:
        seen = 0
        for here, dirs, names in os.walk(top):
            dirs[:] = [d for d in dirs if d not in _SKIP]
            for name in names:
                path = os.path.join(here, name)
                seen += 1
                if seen > _WALK_MOST:
                    break
                try:
                    if not os.path.isfile(path) or os.path.getsize(path) > _FILE_MOST:
                        continue
                    with open(path, "rb") as handle:
                        data = handle.read()
                except OSError:
                    continue
                digests.setdefault(str(len(data)), set()).add(hashlib.sha256(data).hexdigest())
                if name.endswith(".py") and b"### BEGIN SOLUTION" in data:
                    text = data.decode("utf-8", "replace")
                    for region in _REGION.findall(text):
                        needles.update(line.strip() for line in region.splitlines()
                                       if len(line.strip()) >= _NEEDLE_CHARS)
    return sorted(needles), {size: sorted(found) for size, found in digests.items()}


def _drop_public(digests: dict[str, list[str]], allowed: set[str]) -> None:
    """Forget the fingerprints of files the system itself holds (an empty __init__.py, a
    student's copy of os.py): the tree holds them by right, and a student must not be able
    to stop the run by handing one in."""
    public: set[str] = set()
    for path in allowed:
        try:
            size = os.stat(path).st_size
            if str(size) in digests:
                with open(path, "rb") as handle:
                    public.add(hashlib.sha256(handle.read()).hexdigest())
        except OSError:
            continue
    for size in list(digests):
        digests[size] = [found for found in digests[size] if found not in public]
        if not digests[size]:
            del digests[size]


class ContainerBackend:
    """Workers chrooted into the worker tree under a uid of their own, seccomp, limits."""

    name = "container"
    isolating = True

    def __init__(self) -> None:
        why = container_problem()
        if why:
            raise SandboxError(f"the container backend cannot run here: {why}")
        self.python = python_for_others()
        self.jail = worker_tree(self.python)
        # A worker starts in the tree: the filter goes in, and a new user namespace and an
        # internet socket are then refused.
        try:
            done = _in_tree(self.jail, ENTRY, ["--probe", seccomp.program().hex()])
        except (OSError, subprocess.SubprocessError) as exc:
            raise SandboxError(f"the container backend cannot run here: a worker cannot "
                               f"start: {exc}") from exc
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            raise SandboxError(f"the container backend cannot run here: a worker cannot "
                               f"start in its tree ({self.jail.root}): {why}")

    def describe(self) -> str:
        memory = memory_bound()
        return (f"container: {self.python} chrooted into a worker tree of "
                f"{len(self.jail.allowed)} system files (interpreter, libraries, standard "
                "library) as a uid of its own per sandbox, seccomp filter (the backend for "
                "where bwrap cannot start); sees no file of the kit, the course or another "
                "student (check_secrets proves it); network: refused by seccomp (no "
                f"sockets); memory: {memory}")

    def open(self, submission: Path, handler: Path, support: Sequence[Path] = (),
             limits: Limits = Limits()) -> StagedSandbox:  # noqa: B008
        box = StagedSandbox(self.python, submission, handler, support, limits, own_uid=True,
                            jail=self.jail)
        box.mode = self.name
        return box

    def check_secrets(self, secrets: Sequence[Path]) -> None:
        """Raise SandboxUnavailable unless a worker, from inside its view, can read nothing
        but the tree's system files and its own box, and nothing there holds a line of the
        solution regions or a copy of a file under `secrets`."""
        tops = [Path(path) for path in secrets if Path(path).exists()]
        needles, digests = _fingerprints(tops)
        _drop_public(digests, self.jail.allowed)
        root = os.stat(self.jail.root)
        # Every path of the tree, as root sees it, but the sandboxes' boxes: no worker can
        # list /box, their names are random, and what they hold is private to their uid.
        paths = []
        for here, dirs, names in os.walk(self.jail.root):
            seen = os.path.normpath("/" + os.path.relpath(here, self.jail.root))
            if seen == "/box":
                dirs[:] = []
                continue
            paths += [os.path.normpath(f"{seen}/{name}") for name in [*dirs, *names]]
        given = {"root": [root.st_dev, root.st_ino], "allowed": sorted(self.jail.allowed),
                 "paths": paths, "needles": needles, "digests": digests}
        try:
            done = _in_tree(self.jail, SIGHT, [], given)
            found = json.loads(done.stdout)
            if not isinstance(found, list):
                raise ValueError(f"sight.py said {done.stdout[-200:]!r}")
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            raise SandboxUnavailable(
                f"cannot check what a student's worker could read here ({exc}): use "
                "bubblewrap, or pass --trusted / TRUSTED=1 only for code you trust") from exc
        if found:
            shown = ", ".join(map(str, found[:5])) + (f" and {len(found) - 5} more"
                                                      if len(found) > 5 else "")
            raise SandboxUnavailable(
                "the container sandbox would let a student's code read what it must not: "
                f"inside the worker tree {self.jail.root}, a worker can read {shown}. "
                "Something put files into the tree (or the system's standard library holds "
                "a solution): remove them and grade again, or install bubblewrap / allow "
                "user namespaces so that the bubblewrap backend runs, or pass --trusted / "
                "TRUSTED=1 only for code you trust.")
