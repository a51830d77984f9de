"""The container backend, for where bwrap cannot start (Gradescope, Docker, CI runners): we
are root, but new namespaces are refused. Each sandbox's worker runs under a uid of its own
from a private staged copy, with the seccomp filter and the resource limits; what it may
read is what that uid may read, which `check_secrets` verifies. It shares the machine's
network namespace, so the filter takes the network away: no socket() at all (Unix ones
included), and no io_uring.
"""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from adkit.sandbox import seccomp
from adkit.sandbox.cgroups import memory_bound
from adkit.sandbox.common import ENTRY, ENV, PYTHON_FLAGS, Limits, SandboxError, SandboxUnavailable
from adkit.sandbox.files import no_python_for_others, python_for_others
from adkit.sandbox.processes import fresh_uid, is_root
from adkit.sandbox.staged import StagedSandbox

_WALK_MOST = 2000  # files and folders tried per secret folder

# Run as a fresh uid: which of the paths on stdin (JSON [path, is_folder] pairs) can it
# list, write into or read? The grader walks the folders itself, so a file is found even
# under a folder others may enter but not list.
_SECRETS_PROBE = """
import json, os, sys
found = []
for path, folder in json.load(sys.stdin):
    try:
        if folder:
            if os.access(path, os.W_OK):
                found.append(path + " (writable)")
            os.listdir(path)
            found.append(path + "/")
        else:
            with open(path, "rb") as handle:
                handle.read(1)
            found.append(path)
    except OSError:
        pass
print(json.dumps(found))
"""


def _walk(tops: Sequence[Path]) -> list[tuple[str, bool]]:
    """Each secret path, and up to _WALK_MOST files and folders under each secret folder."""
    paths = []
    for top in tops:
        todo, seen = [Path(top).resolve()], 0
        while todo and seen < _WALK_MOST:
            path = todo.pop()
            seen += 1
            folder = path.is_dir() and not path.is_symlink()
            paths.append((str(path), folder))
            if folder:
                try:
                    todo += sorted(path.iterdir(), reverse=True)
                except OSError:
                    pass
    return paths


def _run_as_other(args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    python = python_for_others()
    if python is None:
        raise SandboxUnavailable(no_python_for_others())
    uid = fresh_uid()
    return subprocess.run([str(python), *PYTHON_FLAGS, *args], capture_output=True, text=True,
                          input=stdin, timeout=60, env=ENV, cwd="/", user=uid, group=uid,
                          extra_groups=[])


@functools.cache
def container_problem() -> str:
    """'' when the container backend can run here, else why not."""
    if not is_root():
        return "it needs root (to run each worker under a uid of its own)"
    if seccomp.supported() is None:
        return "no seccomp filter for this machine's architecture (x86_64 and aarch64 only)"
    if python_for_others() is None:
        return no_python_for_others()
    # The entry installs the filter and checks that a new user namespace is refused.
    try:
        done = _run_as_other(["-c", ENTRY.read_text(), "--probe", seccomp.program().hex()])
    except (OSError, subprocess.SubprocessError) as exc:
        return f"a worker cannot start: {exc}"
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return f"a worker cannot start: {why}"
    return ""


class ContainerBackend:
    """Workers as plain children under a uid of their own, with seccomp and limits."""

    name = "container"
    isolating = True

    def __init__(self) -> None:
        why = container_problem()
        if why:
            raise SandboxError(f"the container backend cannot run here: {why}")
        self.python = python_for_others()

    def describe(self) -> str:
        memory = memory_bound()
        return (f"container: {self.python} as a uid of its own per sandbox, seccomp filter "
                "(the backend for where bwrap cannot start); isolates files only by "
                "permissions (check_secrets verifies), processes by uid; network: refused "
                f"by seccomp (no sockets); memory: {memory}")

    def open(self, submission: Path, handler: Path, support: Sequence[Path] = (),
             limits: Limits = Limits()) -> StagedSandbox:  # noqa: B008
        box = StagedSandbox(self.python, submission, handler, support, limits, own_uid=True)
        box.mode = self.name
        return box

    def check_secrets(self, secrets: Sequence[Path]) -> None:
        """Raise SandboxUnavailable if a uid like a worker's could read any of `secrets`."""
        tops = [Path(path) for path in secrets if Path(path).exists()]
        try:
            done = _run_as_other(["-c", _SECRETS_PROBE], json.dumps(_walk(tops)))
            found = json.loads(done.stdout)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            raise SandboxUnavailable(
                f"cannot check what a student's worker could read here ({exc}): use "
                "bubblewrap, or pass --trusted / TRUSTED=1 only for code you trust") from exc
        if found:
            shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5
                                             else "")
            folders = " ".join(sorted(str(path) for path in tops))
            raise SandboxUnavailable(
                "the container sandbox would let a student's code read the kit's secrets: "
                f"any user can read {shown}. Make them private to root first: "
                f"`chmod -R go-rwx {folders}` (the Gradescope bundle's setup does this), "
                "or install bubblewrap / allow user namespaces so that the bubblewrap "
                "backend runs, or pass --trusted / TRUSTED=1 only for code you trust.")
