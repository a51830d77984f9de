"""A memory and pids cgroup per sandbox, where the machine lets us make one.

RLIMIT_AS bounds each process; a cgroup bounds all of a worker's processes together (a
fork bomb that also allocates). cgroup v2 (`memory.max`, `pids.max`) or v1 (a folder under
our own cgroup in the memory and pids hierarchies: `memory.limit_in_bytes`, `pids.max`).
Where nothing is writable (not root, a read-only /sys/fs/cgroup) `Cgroup.create` gives
None and memory is bounded per process only.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path

_COUNTER = itertools.count()


def _mounts() -> dict[str, Path]:
    """Controller ("memory", "pids", or "" for the v2 hierarchy) -> its mount point."""
    found: dict[str, Path] = {}
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            dash = fields.index("-")
            kind, options = fields[dash + 1], fields[-1].split(",")
            if kind == "cgroup2":
                found.setdefault("", Path(fields[4]))
            elif kind == "cgroup":
                for controller in ("memory", "pids"):
                    if controller in options:
                        found.setdefault(controller, Path(fields[4]))
    return found


def _own() -> dict[str, str]:
    """Controller -> our cgroup's path in its hierarchy (from /proc/self/cgroup)."""
    found: dict[str, str] = {}
    with open("/proc/self/cgroup") as handle:
        for line in handle:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                found[controller] = path
    return found


def _parents() -> dict[str, Path]:
    """Where our workers' cgroups go: per limit file, the folder to make them in."""
    try:
        mounts, own = _mounts(), _own()
    except (OSError, ValueError, IndexError):
        return {}
    found = {}
    for controller in ("memory", "pids"):
        if controller in mounts and controller in own:  # v1
            found[controller] = mounts[controller] / own[controller].lstrip("/")
    if "memory" not in found and "" in mounts and "" in own:  # v2
        found["v2"] = mounts[""] / own[""].lstrip("/")
    return found


class Cgroup:
    """One sandbox's cgroup folders; `remove` once its processes are gone."""

    def __init__(self, folders: dict[str, Path]) -> None:
        self.folders = folders
        self.ooms = self._oom_kills()

    @classmethod
    def create(cls, memory_bytes: int, processes: int) -> Cgroup | None:
        name = f"adkit-{os.getpid()}-{next(_COUNTER)}"
        made: dict[str, Path] = {}
        bounded = False  # only a memory limit actually set counts
        for kind, parent in _parents().items():
            folder = parent / name
            try:
                folder.mkdir()
                made[kind] = folder
                if kind == "memory":
                    (folder / "memory.limit_in_bytes").write_text(str(memory_bytes))
                    bounded = True
                elif kind == "pids":
                    (folder / "pids.max").write_text(str(processes))
                else:
                    with contextlib.suppress(OSError):  # v2 may not delegate them to us
                        (parent / "cgroup.subtree_control").write_text("+memory +pids")
                    (folder / "memory.max").write_text(str(memory_bytes))
                    bounded = True
                    with contextlib.suppress(OSError):
                        (folder / "memory.swap.max").write_text("0")
                    (folder / "pids.max").write_text(str(processes))
            except OSError:
                continue  # not writable here: per process limits only, for this part
        if not bounded:
            Cgroup(made).remove()
            return None
        return cls(made)

    def add(self, pids: Iterable[int]) -> None:
        """Move the processes in (before any student code runs: their children follow)."""
        for pid in pids:
            for folder in self.folders.values():
                try:
                    (folder / "cgroup.procs").write_text(str(pid))
                except OSError:
                    pass  # gone meanwhile

    def pids(self) -> list[int]:
        """The live processes in it (exited ones are not listed)."""
        folder = self.folders.get("memory") or self.folders.get("v2")
        try:
            return [int(pid) for pid in (folder / "cgroup.procs").read_text().split()]
        except (OSError, ValueError, TypeError):
            return []

    def kill_all(self, wait: float) -> bool:
        """SIGKILL every process in it until none is left; False if some outlived `wait`.
        Cheaper than searching /proc by uid: its processes cannot leave it (the cgroup's
        files are root's)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)
        return False

    def _oom_kills(self) -> int:
        for kind, name in (("memory", "memory.oom_control"), ("v2", "memory.events")):
            if kind in self.folders:
                try:
                    for line in (self.folders[kind] / name).read_text().splitlines():
                        if line.startswith("oom_kill "):
                            return int(line.split()[1])
                except (OSError, ValueError):
                    pass
        return 0

    def out_of_memory(self) -> bool:
        """Whether the kernel killed one of its processes for memory since the last look."""
        count = self._oom_kills()
        hit, self.ooms = count > self.ooms, count
        return hit

    def remove(self) -> None:
        for folder in self.folders.values():
            for _ in range(50):  # the last killed processes may take a moment to leave
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        self.folders = {}


@functools.cache
def cgroup_support() -> str | None:
    """What bounds a sandbox's memory as a whole here, or None (per process only)."""
    group = Cgroup.create(1 << 30, 64)
    if group is None:
        return None
    kinds = sorted(group.folders)
    where = group.folders.get("memory", group.folders.get("v2"))
    group.remove()
    version = "v2" if "v2" in kinds else "v1"
    controllers = "memory+pids" if len(kinds) > 1 or version == "v2" else "memory"
    return f"cgroup {version} {controllers} under {where.parent}"


@functools.cache
def memory_bound() -> str:
    """How a sandbox's memory is bounded here, in words (probed once per process)."""
    return cgroup_support() or "per process only (RLIMIT_AS: no writable cgroup)"
