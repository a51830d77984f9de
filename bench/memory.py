"""Peak memory of a grading run, sampled from /proc: the grader's own processes, and each
sandboxed worker (its whole process tree: the worker and the task's forked child).

    sampler = Sampler(grader_pid); sampler.start(); ...; sampler.stop()
    sampler.grader_peak, sampler.worker_peak          # bytes (PSS: shared pages split)

A worker's tree starts at a process running bwrap or the sandbox's entry.py; everything
else below the grader's pid is the grader (the main process and its --jobs processes).
PSS counts a page shared by n processes as 1/n in each, so forked jobs and the workers'
copy-on-write children are not counted twice; where smaps_rollup cannot be read, RSS.
"""

from __future__ import annotations

import os
import threading
import time

PAGE = os.sysconf("SC_PAGE_SIZE")


def memory_of(pid: int) -> int:
    """The process's proportional set size in bytes (its RSS if PSS cannot be read), or 0."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def children_map() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process we can see."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    return children


def is_worker_root(pid: int) -> bool:
    """Whether `pid` starts a sandbox: bwrap, or a Python running the sandbox's entry.py."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read().split(b"\0")
    except OSError:
        return False
    return os.path.basename(argv[0]) == b"bwrap" or any(a.endswith(b"/entry.py") for a in argv)


def split(root: int, children: dict[int, list[int]]) -> tuple[list[int], list[list[int]]]:
    """(the grader's pids, one pid list per worker tree) below and including `root`."""
    grader, workers, todo = [], [], [root]
    while todo:
        pid = todo.pop()
        if pid != root and is_worker_root(pid):
            tree, below = [], [pid]
            while below:
                member = below.pop()
                tree.append(member)
                below += children.get(member, [])
            workers.append(tree)
            continue
        grader.append(pid)
        todo += children.get(pid, [])
    return grader, workers


class Sampler(threading.Thread):
    """Samples the grader's and its workers' memory every `interval` s until stop()."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.grader_peak = self.worker_peak = 0
        self.samples: list[tuple[float, int, int]] = []  # (time, grader bytes, largest worker)
        self._done = threading.Event()

    def sample(self) -> tuple[int, int]:
        grader, workers = split(self.root, children_map())
        used = sum(memory_of(pid) for pid in grader)
        largest = max((sum(memory_of(pid) for pid in tree) for tree in workers), default=0)
        self.samples.append((time.monotonic(), used, largest))
        self.grader_peak = max(self.grader_peak, used)
        self.worker_peak = max(self.worker_peak, largest)
        return used, largest

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def halves(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """((grader, worker) peaks in the run's first half, the same in its second half):
        about equal when memory does not grow with the number of students graded."""
        if not self.samples:
            return (0, 0), (0, 0)
        middle = (self.samples[0][0] + self.samples[-1][0]) / 2
        first = [s for s in self.samples if s[0] <= middle]
        second = [s for s in self.samples if s[0] > middle] or first
        return ((max(s[1] for s in first), max(s[2] for s in first)),
                (max(s[1] for s in second), max(s[2] for s in second)))


def mib(n: float) -> str:
    return f"{n / 1024**2:.0f} MiB"
