"""A small process pool whose stopping is under our control (multiprocessing.Pool's is not).

`JobPool` forks a fixed number of job processes, each in a process group of its own; each
takes one task at a time (an index, over a pipe) and answers with one JSON line. When the
run is told to stop (SIGINT or SIGTERM, see `stop_signals`), `stop` sends SIGTERM to every
job's group (a job then closes its sandboxes and exits), waits a few seconds, then SIGKILLs
the groups. A job that dies mid-task costs that task only: `crashed` makes its row.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from adkit.cohort import runner

STOP_GRACE = 4.0  # seconds a job gets to close its sandboxes before SIGKILL
_PR_SET_CHILD_SUBREAPER = 36
_STOPS = (signal.SIGINT, signal.SIGTERM)


class Stopped(BaseException):
    """SIGINT or SIGTERM reached the grading run."""


def _raise_stopped(number: int, _: object) -> None:
    raise Stopped(signal.Signals(number).name)


@contextlib.contextmanager
def stop_signals(ignored: bool = False) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM raise Stopped (or are ignored)."""
    handler = signal.SIG_IGN if ignored else _raise_stopped
    previous = {number: signal.signal(number, handler) for number in _STOPS}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _subreaper(on: bool) -> None:
    # Orphans of our jobs (a sandbox worker whose job was SIGKILLed) become our children,
    # so that stop() can find and kill them. Linux only; elsewhere a no-op.
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)


class _Job:
    def __init__(self, pid: int, tasks: int, rows: int) -> None:
        self.pid, self.tasks, self.rows = pid, tasks, rows
        self.current: int | None = None
        self.buffer = b""


class JobPool:
    """`width` job processes running `work(item) -> row` (a JSON-able dict) over items."""

    def __init__(self, work: Callable[[Any], dict[str, Any]],
                 crashed: Callable[[Any, str], dict[str, Any]]) -> None:
        self.work, self.crashed = work, crashed
        self.jobs: dict[int, _Job] = {}  # by the fd of its rows pipe
        self.items: Sequence[Any] = ()
        self.others = set(_children_of(os.getpid()))  # not ours to kill (a test runner's)
        _subreaper(True)

    def run(self, items: Sequence[Any], width: int) -> Iterator[dict[str, Any]]:
        """Yield one row per item, in the order they finish."""
        self.items = items
        queue = deque(range(len(items)))
        for _ in range(min(width, len(items))):
            self._give(self._start(), queue)
        while self.jobs:
            ready, _, _ = select.select(list(self.jobs), [], [], 1.0)
            for fd in ready:
                yield from self._read(self.jobs[fd], queue)

    def _read(self, job: _Job, queue: deque[int]) -> Iterator[dict[str, Any]]:
        data = os.read(job.rows, 1 << 16)
        if not data:  # the job exited: normally after its last task, else it died
            del self.jobs[job.rows]
            os.close(job.rows)
            status = _reap(job.pid, kill=False)
            if job.current is not None:
                yield self.crashed(self.items[job.current], _status_text(status))
                if queue:
                    self._give(self._start(), queue)
            return
        job.buffer += data
        while b"\n" in job.buffer:
            line, job.buffer = job.buffer.split(b"\n", 1)
            job.current = None
            yield json.loads(line)
            self._give(job, queue)

    def _give(self, job: _Job, queue: deque[int]) -> None:
        """The next task to `job`, or, when there is none, end of input (the job exits)."""
        if job.current is not None or job.tasks < 0:
            return
        if queue:
            job.current = queue.popleft()
            os.write(job.tasks, b"%d\n" % job.current)
        else:
            os.close(job.tasks)
            job.tasks = -1

    def _start(self) -> _Job:
        tasks_r, tasks_w = os.pipe()
        rows_r, rows_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            for other in self.jobs.values():  # their ends must close when the parent closes
                for fd in (other.tasks, other.rows):
                    if fd >= 0:
                        os.close(fd)
            os.close(tasks_w)
            os.close(rows_r)
            _job_main(self.work, self.items, tasks_r, rows_w)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # also done by the job: whichever runs first
        os.close(tasks_r)
        os.close(rows_w)
        job = _Job(pid, tasks_w, rows_r)
        self.jobs[rows_r] = job
        return job

    def stop(self) -> None:
        """Stop every job and whatever it started; return when they are gone."""
        jobs = list(self.jobs.values())
        self.jobs.clear()
        for job in jobs:
            if job.tasks >= 0:
                os.close(job.tasks)
            os.close(job.rows)
            _signal_group(job.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        waiting = [job.pid for job in jobs]
        while waiting and time.monotonic() < deadline:
            waiting = [pid for pid in waiting if not _exited(pid)]
            time.sleep(0.05)
        for job in jobs:
            _reap(job.pid, kill=True)
        _kill_orphans(self.others)
        _subreaper(False)


def _job_main(work: Callable[[Any], dict[str, Any]], items: Sequence[Any], tasks: int,
              rows: int) -> None:
    """A job process: grade the items it is given until its input ends; never returns."""
    code = 1
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
        signal.signal(signal.SIGTERM, _job_stop)
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        with os.fdopen(tasks, "rb") as lines:
            for line in lines:
                _send(rows, json.dumps(work(items[int(line)])).encode() + b"\n")
        code = 0
    except BaseException:  # noqa: B036 - a job's own failure: say so, the parent goes on
        traceback.print_exc(file=sys.stderr)
    finally:
        os._exit(code)


def _job_stop(*_: object) -> None:
    # SIGTERM from the parent: kill this job's sandboxes (their workers live in sessions of
    # their own), then leave at once. Results are written with SIGTERM blocked, so none is
    # left half-written.
    runner.close_open_sandboxes()
    os._exit(143)


def _send(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


def _signal_group(pgid: int, number: int) -> None:
    if pgid <= 1 or pgid == os.getpgrp():
        return  # never our own group (that is the run itself, or whoever started it)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, number)


def _exited(pid: int) -> bool:
    """Whether `pid` (our child) has exited; it stays a zombie, so its group id stays ours."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _reap(pid: int, kill: bool) -> int:
    """Wait for the job to exit (SIGKILL its group first with `kill`), kill what is left of
    its process group, collect it; its wait status."""
    with contextlib.suppress(ChildProcessError):
        if kill and not _exited(pid):
            _signal_group(pid, signal.SIGKILL)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    _signal_group(pid, signal.SIGKILL)  # a job's own children (the notebook reader)
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def _kill_orphans(others: set[int]) -> None:
    """SIGKILL, with their process groups, the processes our dead jobs left to us, until none
    is left: one still dying when we look hands its own children (a sandbox it was starting)
    to us, their subreaper, a moment later."""
    deadline = time.monotonic() + STOP_GRACE
    while time.monotonic() < deadline:
        left = [pid for pid in _children_of(os.getpid()) if pid not in others]
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                _signal_group(os.getpgid(pid), signal.SIGKILL)
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _children_of(parent: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(name))
    return found


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
