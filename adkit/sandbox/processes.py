"""Finding and killing a worker's processes through /proc, and the uids workers run under."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

KILL_WAIT = 5.0  # seconds to wait for killed processes to disappear
_TICKS = os.sysconf("SC_CLK_TCK")


def is_root() -> bool:
    return os.geteuid() == 0


def fresh_uid() -> int:
    """A random uid above 100000: no account has it, so only the worker's processes do."""
    return 100_000 + int.from_bytes(os.urandom(4), "little") % 1_000_000_000


@dataclass(frozen=True)
class _Process:
    pid: int
    parent: int
    session: int
    threads: int
    uid: int  # real uid; -1 when not read


def _processes(uids: bool) -> list[_Process]:
    """Every live process we can see (zombies left out), with its uid if `uids`."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            if fields[0] in (b"Z", b"X"):
                continue
            uid = -1
            if uids:
                with open(f"/proc/{entry.name}/status", "rb") as handle:
                    for line in handle:
                        if line.startswith(b"Uid:"):
                            uid = int(line.split()[1])
                            break
        except (OSError, IndexError, ValueError):
            continue  # it exited meanwhile
        found.append(_Process(int(entry.name), int(fields[1]), int(fields[3]),
                              int(fields[17]), uid))
    return found


def tasks_of(uid: int) -> int:
    """Processes and threads of `uid`: what RLIMIT_NPROC counts."""
    return sum(process.threads for process in _processes(uids=True) if process.uid == uid)


def members(root: int, uid: int | None, session: bool) -> list[int]:
    """The live processes of a worker: those of its own `uid` when it has one; else those
    descending from `root`, and with `session` also those in the session `root` leads."""
    processes = _processes(uids=uid is not None)
    if uid is not None:
        return [process.pid for process in processes if process.uid == uid]
    children: dict[int, list[int]] = {}
    for process in processes:
        children.setdefault(process.parent, []).append(process.pid)
    found = {root} if any(process.pid == root for process in processes) else set()
    todo = list(found)
    while todo:  # iterative: a fork chain may be long
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    if session:
        found.update(process.pid for process in processes if process.session == root)
    return sorted(found)


def descendants(root: int) -> list[int]:
    """`root` and the processes below it, read from /proc/PID/task/*/children (cheap)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                todo += map(int, _read(f"/proc/{pid}/task/{task}/children").split())
        except (OSError, ValueError):
            continue  # gone
    return found


def _read(path: str) -> bytes:
    """A /proc file's bytes, read whole (os.open: a third cheaper than open(), and a call's
    CPU clock reads some 20 such files a call)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(fd, 4096)]
        while chunks[-1]:
            chunks.append(os.read(fd, 65536))
        return b"".join(chunks)
    finally:
        os.close(fd)


def queued_ns(pid: int | str) -> int:
    """Nanoseconds the main thread of `pid` (or "thread-self") spent runnable but waiting for
    a CPU (0 when the kernel does not say: schedstat is missing without CONFIG_SCHED_INFO)."""
    try:
        return int(_read(f"/proc/{pid}/schedstat").split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def cpu_ticks(pids: Sequence[int]) -> dict[tuple[int, int], tuple[int, int]]:
    """User and system CPU ticks of each of `pids` still readable (zombies too), and the
    nanoseconds its main thread waited for a CPU, keyed by (pid, start time): a pid the
    kernel reuses for another process is another key."""
    found = {}
    for pid in pids:
        try:
            fields = _read(f"/proc/{pid}/stat").rsplit(b")", 1)[1].split()
            found[(pid, int(fields[19]))] = (int(fields[11]) + int(fields[12]), queued_ns(pid))
        except (OSError, IndexError, ValueError):
            continue  # gone
    return found


class CpuClock:
    """CPU seconds used, since the clock started, by the processes `find()` names (asked at
    each reading), and the seconds they were ready to run but a busy machine gave them no
    CPU. A process counts up to its last reading: the time of one that ends between
    readings goes to its parent's children's time, which is not counted (code that works
    in short-lived processes is bounded by the wall-clock backstop instead)."""

    def __init__(self, find: Callable[[], Sequence[int]]) -> None:
        self.find = find
        self.first = cpu_ticks(find())
        self.last = dict(self.first)

    def seconds(self) -> float:
        """CPU seconds used, read now."""
        self.last.update(cpu_ticks(self.find()))
        return sum(used - self.first.get(key, (0, 0))[0]
                   for key, (used, _) in self.last.items()) / _TICKS

    def queued(self) -> float:
        """Seconds spent waiting for a CPU, as of the last reading: what a loaded machine
        added to the call's wall time (summed over processes, so an upper bound)."""
        return sum(max(waited - self.first.get(key, (0, 0))[1], 0)
                   for key, (_, waited) in self.last.items()) / 1e9


def _signal(pids: Sequence[int], number: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, number)
        except OSError:
            pass  # gone already


def kill_members(root: int, uid: int | None, session: bool) -> None:
    """SIGKILL all of a worker's processes and wait until none is left.

    Found by parentage, a process whose parent dies moves to init and out of sight, so
    they are all stopped first (a stopped process cannot fork) and killed together."""
    deadline = time.monotonic() + KILL_WAIT
    stopped: set[int] = set()
    while time.monotonic() < deadline:
        pids = members(root, uid, session)
        if uid is None and set(pids) - stopped:
            _signal(pids, signal.SIGSTOP)
            stopped.update(pids)
            continue
        if not pids:
            return
        _signal(pids, signal.SIGKILL)
        time.sleep(0.002)
