"""What every backend shares: the limits, the reply, the errors and the Backend interface."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from adkit.sandbox.session import Sandbox

ENTRY = Path(__file__).parents[1] / "inside" / "entry.py"  # runs in the worker: adkit/inside/
CHANNEL_LOST = 111  # the entry's exit status when the student's code broke the channel
PYTHON_FLAGS = ("-I", "-S", "-B", "-X", "utf8", "-X", "frozen_modules=on")
SCRATCH = "/tmp"
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": SCRATCH}
FILES_OPEN = 256
TMPFS_BYTES = 64 * 1024**2  # bubblewrap's private /tmp, where bwrap can size it
# A call's limit is CPU time of the student's processes, so a busy machine does not change
# a grade; code that waits (a sleep, a blocking read) is stopped once this much wall time
# passed: twice the limit and a margin, moved later by the time its processes were ready
# to run but got no CPU (so a loaded machine does not stop a loop before its CPU time is
# used). Whatever the load, a call ends by BUSY_FACTOR times the backstop: then the machine
# was too busy to judge it, a grader error that a rerun grades again.
WALL_FACTOR, WALL_MARGIN, BUSY_FACTOR = 2.0, 5.0, 4.0


def wall_backstop(cpu_seconds: float) -> float:
    """Wall seconds after which a call with `cpu_seconds` of CPU time that waited is stopped."""
    return WALL_FACTOR * cpu_seconds + WALL_MARGIN


def wall_most(cpu_seconds: float) -> float:
    """Wall seconds after which a call with `cpu_seconds` of CPU time is stopped, whatever
    the machine's load."""
    return BUSY_FACTOR * wall_backstop(cpu_seconds)


class SandboxError(RuntimeError):
    """The sandbox itself could not start: a problem of the machine, not of the student."""


class SandboxUnavailable(SandboxError):
    """No isolating backend runs here (or it would expose secrets); str() says how to fix it."""


@dataclass(frozen=True)
class Limits:
    """What a submission may use. Per worker process unless said otherwise."""

    call_seconds: float = 20.0  # CPU seconds per call, default; call() may override
    cpu_seconds: int = 120  # per worker process (RLIMIT_CPU)
    memory_bytes: int = 2 * 1024**3  # address space per process (RLIMIT_AS); the cgroup total
    processes: int = 32  # processes/threads the submission may have at once
    file_bytes: int = 16 * 1024**2  # largest file it may write (RLIMIT_FSIZE)
    output_bytes: int = 64 * 1024  # stdout+stderr kept for feedback; the rest is dropped
    reply_bytes: int = 64 * 1024**2  # largest answer the grader accepts


@dataclass
class Reply:
    """The outcome of one call."""

    ok: bool  # the worker answered this request
    value: Any = None  # decoded JSON answer when ok
    problem: str | None = None  # when not ok: one plain sentence a student understands
    output: str = ""  # what the student's code printed during this call (capped)
    cpu_seconds: float | None = None  # CPU time the student's processes used in this call
    stopped: str | None = None  # "cpu": out of CPU time; "waited": past the wall backstop


class Backend(Protocol):
    """A way to run workers; `adkit.sandbox.choose_backend` picks one."""

    name: str  # "bubblewrap" | "container" | "trusted" | "in-process"
    isolating: bool  # False for trusted and in-process

    def describe(self) -> str:
        """One line: the backend, its binary and version, why it was chosen."""
        ...

    def open(self, submission: Path, handler: Path, support: Sequence[Path] = (),
             limits: Limits = Limits()) -> Sandbox:  # noqa: B008
        """A sandbox for one submission; its worker starts on the first call."""
        ...

    def check_secrets(self, secrets: Sequence[Path]) -> None:
        """Raise SandboxUnavailable if a worker could read any of `secrets`."""
        ...
