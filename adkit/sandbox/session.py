"""`Sandbox`: one submission's worker process and the calls to it, whatever the backend.

A backend subclasses `Sandbox` and says how to start a worker (`_plan`, `_argv`); starting,
the channel, the time limit, turning failures into sentences, killing and cleaning up are
here. Whatever the student's code does, `call` returns a `Reply`, never hangs and never
raises because of it; after a problem that leaves the worker untrustworthy the next call
starts a fresh one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import select
import shutil
import signal
import subprocess
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from adkit.sandbox import channel, words
from adkit.sandbox.cgroups import NICE, Cgroup
from adkit.sandbox.common import (
    ENTRY,
    ENV,
    FILES_OPEN,
    Limits,
    Reply,
    SandboxError,
    wall_backstop,
    wall_most,
)
from adkit.sandbox.files import remove_owned
from adkit.sandbox.processes import KILL_WAIT, CpuClock, descendants, kill_members, members

# A running call's CPU time is read when it could first have used up its limit (its
# processes use at most all the machine's cores), and at most this often.
CPU_READING = 0.05
CORES = os.cpu_count() or 1


def _lower_priority(cgroup: Cgroup | None, pids: Sequence[int]) -> None:
    """Without a CPU quota, a lower priority for the worker (its children inherit it, and
    without CAP_SYS_NICE cannot raise it): the grader's own processes come first."""
    if cgroup is not None and cgroup.cpu:
        return
    for pid in pids:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, NICE)


@dataclass
class Plan:
    """How one worker starts: what the backend decides, the session carries out."""

    inside: tuple[str, str]  # (grader folder, submission folder) as the worker sees them
    nproc: int  # RLIMIT_NPROC for the worker
    user: int | None = None  # Popen runs the child as this uid (and gid)
    switch_to: int | None = None  # the entry itself switches to this uid (bwrap as root)
    find_by_uid: int | None = None  # every process of this uid belongs to the worker
    seccomp: bytes = b""  # a filter the entry installs before any student code
    cwd: Path | None = None
    env: dict[str, str] | None = None  # else common.ENV
    bwrap: bool = False  # killed through bwrap's PID namespace; exit 128+N means signal N


@dataclass
class _Worker:
    """One running worker: its process, its pipes, and how to find all its processes."""

    proc: subprocess.Popen
    request: int  # we write requests here
    reply: int  # we read replies here
    output: int  # we read the student's stdout+stderr here
    pidfd: int | None
    plan: Plan
    ready: bool = False
    gated: bool = False  # the request waits for `ready` (the worker joins its cgroup then)
    cgroup: Cgroup | None = None  # holds all its processes (when it has a uid of its own)
    output_open: bool = True  # False once every holder of the student's stdout closed it

    def members(self) -> list[int]:
        if self.cgroup is not None:
            return self.cgroup.pids()
        return members(self.proc.pid, self.plan.find_by_uid, not self.plan.bwrap)

    def cpu_pids(self) -> list[int]:
        """Its processes, found the cheapest way: what its CPU clock reads."""
        if self.cgroup is not None:
            return self.cgroup.pids()
        if self.plan.bwrap:
            return descendants(self.proc.pid)  # its PID namespace: all below bwrap
        return self.members()

    def exit_code(self) -> int:
        code = self.proc.returncode
        if self.plan.bwrap and code > 128:
            code = -(code - 128)  # bwrap reports death by signal N as status 128 + N
        return code

    def _kill_namespace(self) -> bool:
        """Kill bwrap's init: the kernel then kills every process of its PID namespace, and
        bwrap exits only once they are all gone; no search of /proc needed."""
        outer = self.proc.pid
        if self.proc.poll() is not None:
            return True  # bwrap exits after its namespace is empty
        try:
            with open(f"/proc/{outer}/task/{outer}/children") as handle:
                children = handle.read().split()
            if len(children) != 1:
                return False
            init = os.pidfd_open(int(children[0]))
        except (OSError, AttributeError):
            return False
        try:
            with open(f"/proc/{outer}/task/{outer}/children") as handle:
                if handle.read().split() != children:  # not reused since: still bwrap's child
                    return False
            signal.pidfd_send_signal(init, signal.SIGKILL)
            self.wait_exit(KILL_WAIT)
            return True
        except (OSError, subprocess.TimeoutExpired):
            return False
        finally:
            os.close(init)

    def wait_exit(self, seconds: float) -> None:
        """Wait for the process to exit: woken by its pidfd at once, where Popen.wait(timeout)
        would poll with growing sleeps (about 15 ms lost per student)."""
        if self.pidfd is not None:
            select.select([self.pidfd], [], [], seconds)
        self.proc.wait(seconds)

    def kill(self) -> None:
        """Kill the worker and everything it started, and wait until they are gone."""
        if not (self.plan.bwrap and self._kill_namespace()):
            if self.plan.bwrap:
                try:
                    self.proc.kill()  # --die-with-parent takes the sandbox with it
                except OSError:
                    pass
            if self.cgroup is None or not self.cgroup.kill_all(KILL_WAIT):
                kill_members(self.proc.pid, self.plan.find_by_uid, not self.plan.bwrap)
        self.proc.wait()
        for fd in (self.request, self.reply, self.output, self.pidfd):
            if fd is not None:
                os.close(fd)


@dataclass
class _State:
    """What a Sandbox must release: kept apart so a finalizer can hold it without the box."""

    worker: _Worker | None = None
    stage: str | None = None
    cgroup: Cgroup | None = None
    # uids whose files in the shared /tmp, /var/tmp, /dev/shm go at close (plain children)
    leaving: set[int] = field(default_factory=set)

    def stop_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.kill()

    def close(self) -> None:
        self.stop_worker()
        cgroup, self.cgroup = self.cgroup, None
        if cgroup is not None:  # whatever outlived its worker: every process is gone
            cgroup.kill_all(KILL_WAIT)
        for uid in self.leaving:
            remove_owned(uid)
        self.leaving = set()
        if cgroup is not None:
            cgroup.remove()
        stage, self.stage = self.stage, None
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)


class Sandbox:
    """One submission's sandbox: a context manager; not thread-safe. Made by a backend's
    `open` (adkit.sandbox.choose_backend()), never directly."""

    mode = "none"  # the backend's name
    per_task = True  # call(task=...) runs in a fresh process per task (a fork after import)
    executable: str | None = None  # the program to run, when argv[0] is only its name
    disk_room: int | None = None  # the size of the worker's private scratch space, if bounded

    def __init__(self, submission: Path, handler: Path, support: Sequence[Path] = (),
                 limits: Limits = Limits()) -> None:  # noqa: B008
        self.submission = Path(submission)
        self.limits = limits
        self.files = [ENTRY, Path(handler), *map(Path, support)]
        self.handler_module = Path(handler).stem
        self.reply_read = 0  # bytes read off the reply channel during the last call
        self.reply_read_most = 0  # ... and during the call that read most, so far
        self._state = _State()
        self._close = weakref.finalize(self, _State.close, self._state)

    # -- what a backend supplies ------------------------------------------------------

    def _plan(self) -> Plan:
        raise NotImplementedError

    def _argv(self, plan: Plan, args: list[str]) -> tuple[list[str], list[int]]:
        """The command running the entry with `args`, and descriptors it must inherit."""
        raise NotImplementedError

    # -- starting ---------------------------------------------------------------------

    def _start(self) -> _Worker:
        plan = self._plan()
        limits = self.limits
        if self._state.cgroup is None:
            self._state.cgroup = Cgroup.create(limits.memory_bytes, plan.nproc + 8)
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        output_r, output_w = os.pipe()
        settings = json.dumps({"cpu": limits.cpu_seconds, "memory": limits.memory_bytes,
                               "file": limits.file_bytes, "files_open": FILES_OPEN,
                               "nproc": plan.nproc, "uid": plan.switch_to,
                               "seccomp": plan.seccomp.hex(),
                               # kill(-1) reaches only the sandbox's processes: a PID
                               # namespace, or a uid of its own
                               "sweep": plan.bwrap or plan.find_by_uid is not None})
        grader, submission = plan.inside
        argv, extra = self._argv(plan, [f"{grader}/{ENTRY.name}", str(request_r), str(reply_w),
                                        settings, grader, submission, self.handler_module])
        ids = {} if plan.user is None else {"user": plan.user, "group": plan.user,
                                             "extra_groups": []}
        try:
            proc = subprocess.Popen(
                argv, executable=self.executable, stdin=subprocess.DEVNULL, stdout=output_w,
                stderr=output_w, pass_fds=(request_r, reply_w, *extra), cwd=plan.cwd,
                env=plan.env or ENV, start_new_session=True, **ids)
        except OSError as exc:
            for fd in (request_r, request_w, reply_r, reply_w, output_r, output_w, *extra):
                os.close(fd)
            raise SandboxError(f"could not start the sandbox ({self.mode}): {exc}") from exc
        for fd in (request_r, reply_w, output_w, *extra):
            os.close(fd)
        for fd in (request_w, reply_r, output_r):
            os.set_blocking(fd, False)
        try:
            pidfd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            pidfd = None
        # Into the cgroup before any student code runs, or a fork would escape it. A plain
        # child forks nothing before it reads the request: move it now, then send at once.
        # bwrap forks its init and the worker while starting: move them all at `ready`,
        # and only then send the request (a scheduling round trip more).
        cgroup = self._state.cgroup
        if cgroup is not None and not plan.bwrap:
            cgroup.add([proc.pid])
        if not plan.bwrap:
            _lower_priority(cgroup, [proc.pid])
        if plan.find_by_uid is not None and not plan.bwrap:
            self._state.leaving.add(plan.find_by_uid)
        gated = cgroup is not None and plan.bwrap
        # A plain child with a uid of its own: the cgroup holds its processes and no other
        # (bwrap's own processes are in it too, and it is killed through its namespace).
        holder = cgroup if plan.find_by_uid is not None and not plan.bwrap else None
        return _Worker(proc, request_w, reply_r, output_r, pidfd, plan, gated=gated,
                       cgroup=holder)

    # -- calls ------------------------------------------------------------------------

    def call(self, request: dict, timeout: float | None = None,
             task: str | None = None, final: bool = False, most: int | None = None) -> Reply:
        """Send one request to the worker (starting it if needed) and return its reply.

        With `task`, the request runs in a process forked for that task from the worker
        right after import: the first request of another task gets a fresh one, so nothing
        one task's calls leave in the student's process reaches another's. `final`: this
        is the last task the worker serves (none follows to be isolated from), so it runs
        in the worker itself, sparing a fork; a later task would get a fresh worker.
        `most`: the most bytes this request's reply can need (at most `reply_bytes`): a
        longer reply is not read further, and is a problem. `timeout`: the CPU seconds the
        worker's processes may use for this call (a loaded machine changes no outcome); a
        call that waits instead is stopped after `wall_backstop(timeout)` seconds, plus the
        time its processes waited for a CPU. SandboxError when a machine too busy to give
        the call its CPU time kept it past `wall_most(timeout)`: not the student's doing.
        `request` may carry its JSON already (`channel.encoded`).
        """
        if not self._close.alive:
            raise ValueError("this Sandbox is closed: make a new one to run more calls")
        seconds = self.limits.call_seconds if timeout is None else timeout
        started = time.monotonic()
        token = os.urandom(8).hex()
        payload = channel.request_line(token, request, task, final)
        capture = channel.Capture(self.limits.output_bytes)
        cap = self.limits.reply_bytes if most is None else min(most, self.limits.reply_bytes)
        self.reply_read = 0
        for attempt in range(2):
            if self._state.worker is not None and self._state.worker.proc.poll() is not None:
                self._state.stop_worker()  # it died between calls (a leftover thread?)
            if self._state.worker is None:
                self._state.worker = self._start()
            worker = self._state.worker
            if worker.ready:  # not before: that would swallow the `ready` frame
                channel.drain(worker.reply, None)  # whatever a leftover process wrote since
            worker.output_open = channel.drain(worker.output, capture) and worker.output_open
            clock = CpuClock(worker.cpu_pids)
            outcome = self._exchange(worker, payload, token, (started, clock, seconds),
                                     capture, cap)
            respawn = isinstance(outcome, dict) and outcome.get("kind") == "respawn"
            if (outcome == "stale" or respawn) and attempt == 0:
                # It died between calls, or served another task itself (it could not fork
                # for it) and so is not pristine: start afresh, once.
                self._state.stop_worker()
                continue
            break
        used = clock.seconds()
        if outcome == "busy":
            self._state.stop_worker()
            raise SandboxError(
                f"the machine was too busy to grade this call: in {time.monotonic() - started:.0f}"
                f" s its processes got {used:.3g} of their {seconds:.3g} s of CPU time and "
                f"waited {clock.queued():.0f} s for a CPU (not the student's doing: grade "
                "again when the machine is less loaded)")
        if isinstance(outcome, dict) and outcome.get("ok") is True:
            return Reply(ok=True, value=outcome.get("value"), output=capture.text(),
                         cpu_seconds=used)
        problem, keep, stopped = self._problem(outcome, seconds, cap)
        if task is not None and isinstance(outcome, dict) and outcome.get("fatal"):
            keep = True  # only the task's child was spent: the worker ends it (and its forks)
        if not keep:
            self._state.stop_worker()
        return Reply(ok=False, problem=words.cap(problem, words.PROBLEM_BYTES),
                     output=capture.text(), cpu_seconds=used, stopped=stopped)

    def restart(self) -> None:
        """Kill the running worker (if any); the next call starts a fresh one."""
        self._state.stop_worker()

    def _ready(self, worker: _Worker) -> None:
        """The entry is up and no student code has run yet: into the cgroup with it all."""
        worker.ready = True
        if worker.gated and self._state.cgroup is not None:
            self._state.cgroup.add(descendants(worker.proc.pid))
        if worker.plan.bwrap:
            _lower_priority(self._state.cgroup, descendants(worker.proc.pid)[1:])

    def _exchange(self, worker: _Worker, payload: bytes, token: str,
                  limit: tuple[float, CpuClock, float], capture: channel.Capture,
                  cap: int) -> dict | str:
        """Write the request and read the reply frame (at most `cap` bytes of it: what was
        read is counted in `reply_read`); else a word saying what went wrong. `limit`: when
        the call started, the worker's CPU clock and the CPU seconds it may use."""
        started, clock, cpu = limit
        backstop, most = started + wall_backstop(cpu), started + wall_most(cpu)
        deadline = backstop
        reading = time.monotonic() + max(CPU_READING, cpu / CORES)
        poller = select.poll()
        poller.register(worker.reply, select.POLLIN)
        if worker.output_open:
            poller.register(worker.output, select.POLLIN)
        if worker.pidfd is not None:
            poller.register(worker.pidfd, select.POLLIN)
        pending = memoryview(payload)
        sent_any = False
        if worker.ready or not worker.gated:
            poller.register(worker.request, select.POLLOUT)
        buffer = bytearray()
        while True:
            if pending and (worker.ready or not worker.gated):
                try:
                    pending = pending[os.write(worker.request, pending):]
                    sent_any = True
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    if not sent_any and worker.ready:
                        return "stale"
                    pending = pending[:0]  # it is dying: the pidfd will say how
                if not pending:
                    poller.unregister(worker.request)
            now = time.monotonic()
            if now >= reading:
                used = clock.seconds()
                if used >= cpu:
                    return "timeout"
                reading = now + max(CPU_READING, (cpu - used) / CORES)
            remaining = deadline - now
            if remaining <= 0:
                if clock.seconds() >= cpu:
                    return "timeout"
                # Time spent ready to run on a busy machine is not waiting: it moves the
                # backstop (read again when reached, as the machine may still be busy).
                moved = backstop + clock.queued()
                if now >= moved:
                    return "idle"
                if now >= most:
                    return "busy"
                deadline = min(moved, most)
                remaining = deadline - now
            # Wake up to read the CPU clock; without a pidfd, also to notice a death.
            wait = min(remaining, reading - now)
            if worker.pidfd is None:
                wait = min(wait, 0.05)
            events = dict(poller.poll(wait * 1000))
            exited = worker.pidfd in events or worker.proc.poll() is not None
            if worker.output_open and (worker.output in events or exited):
                if not channel.drain(worker.output, capture):
                    worker.output_open = False  # shut by the student: stop polling it
                    poller.unregister(worker.output)
            if worker.reply in events or exited:
                while True:  # one line at a time: never read past a reply's cap
                    read, eof = channel.read_into(worker.reply, buffer, cap)
                    self.reply_read += read
                    self.reply_read_most = max(self.reply_read_most, self.reply_read)
                    if channel.too_long(buffer, cap):
                        return "too_big"
                    if b"\n" not in buffer:
                        break
                    line, _, rest = bytes(buffer).partition(b"\n")
                    buffer[:] = rest
                    frame = channel.decode(line)
                    if not worker.ready:
                        if frame != {"ready": True}:
                            return "garbage"
                        self._ready(worker)
                        if worker.gated and pending:
                            poller.register(worker.request, select.POLLOUT)
                        continue
                    if not isinstance(frame, dict) or frame.get("id") != token:
                        return "garbage"
                    channel.drain(worker.output, capture)
                    return frame
                if eof and not exited:
                    # The channel is shut; the process is about to exit or closed it itself.
                    try:
                        worker.proc.wait(min(0.5, max(deadline - time.monotonic(), 0)))
                        exited = True
                    except subprocess.TimeoutExpired:
                        return "closed"
            if exited:
                worker.proc.wait()
                if not worker.ready:
                    said = words.cap(capture.text().strip()[-500:], 600) or "no message"
                    raise SandboxError(f"the sandbox ({self.mode}) failed to start: {said}")
                return "exited"

    def _problem(self, outcome: dict | str, seconds: float,
                 cap: int) -> tuple[str, bool, str | None]:
        """The sentence for a student, whether the worker may keep running, and which time
        limit stopped the call (Reply.stopped)."""
        worker = self._state.worker
        if outcome in ("timeout", "idle") and worker is not None:
            if len(worker.members()) > self.limits.processes:
                outcome = {"kind": "processes"}  # a fork bomb: that, not the time, is said
        stopped = {"timeout": "cpu", "idle": "waited"}.get(outcome) \
            if isinstance(outcome, str) else None
        return (*self._sentence(outcome, seconds, cap), stopped)

    def _sentence(self, outcome: dict | str, seconds: float, cap: int) -> tuple[str, bool]:
        worker = self._state.worker
        cgroup = self._state.cgroup
        if outcome == "exited" and worker is not None:
            oom = cgroup is not None and cgroup.out_of_memory()
            return words.exit_problem(worker.exit_code(), self.limits, oom), False
        if isinstance(outcome, dict) and outcome.get("kind") == "died":
            # A task's child died; the worker it was forked from is untouched and reaped it.
            code = outcome.get("detail")
            if type(code) is not int:
                return words.frame_problem("garbage", seconds, self.limits, None)
            oom = cgroup is not None and cgroup.out_of_memory()
            return words.exit_problem(code, self.limits, oom), True
        limits = dataclasses.replace(self.limits, reply_bytes=cap)  # the cap of this call
        return words.frame_problem(outcome, seconds, limits, self.disk_room)

    # -- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        """Kill every process of this sandbox and remove its files; idempotent."""
        self._close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
