"""A cgroup per sandbox, where the machine lets us make one: memory, processes, CPU, kill.

RLIMIT_AS bounds each process; a cgroup bounds all of a worker's processes together (a
fork bomb that also allocates), caps their CPU together (28 spinning processes get one
core's worth between them, not 28 shares of the machine, so a neighbour's timed tests keep
theirs), and lets us kill every one of them, wherever they moved (another session or
process group, a double fork): a process cannot leave a cgroup whose files are root's.

cgroup v2 (`memory.max`, `pids.max`, `cpu.max`, `cpu.weight`, `cgroup.kill`) or v1 (a
folder under our own cgroup in each hierarchy: `memory.limit_in_bytes`, `pids.max`,
`cpu.cfs_quota_us`, `cpu.shares`, the freezer), plus, beside v1, a folder in a v2 hierarchy
mounted alongside (no controller needed) for `cgroup.kill`. Where nothing is writable (not
root, a read-only /sys/fs/cgroup) `Cgroup.create` gives None: memory is bounded per process
only, CPU by RLIMIT_CPU and a lower priority (nice), processes found through /proc.
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
SANDBOX_CPUS = 1.0  # cores a sandbox may use in all (its quota), whatever it starts
PERIOD_US = 100_000  # the quota's period
SHARES = 1024  # v1 cpu.shares (v2 cpu.weight 100): a sandbox weighs as one process does
NICE = 10  # without a cpu cgroup: workers run at this lower priority
_V1 = ("memory", "pids", "cpu", "freezer")


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
                for controller in _V1:
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
    for controller in _V1:
        if controller in mounts and controller in own:  # v1
            found[controller] = mounts[controller] / own[controller].lstrip("/")
    if "" in mounts and "" in own:  # v2: all of it, or only for cgroup.kill beside v1
        found["v2" if "memory" not in found else "kill"] = mounts[""] / own[""].lstrip("/")
    return found


class Cgroup:
    """One sandbox's cgroup folders; `kill_all`, then `remove` once its processes are gone.
    `cpu` says whether its CPU is capped (else the caller lowers the workers' priority)."""

    def __init__(self, folders: dict[str, Path], cpu: bool = False) -> None:
        self.folders = folders
        self.cpu = cpu
        self.ooms = self._oom_kills()

    @classmethod
    def create(cls, memory_bytes: int, processes: int,
               cpus: float | None = None) -> Cgroup | None:
        """A cgroup capped at `memory_bytes`, `processes` and `cpus` cores (SANDBOX_CPUS by
        default), or None when no memory limit could be set here."""
        cpus = SANDBOX_CPUS if cpus is None else cpus
        name = f"adkit-{os.getpid()}-{next(_COUNTER)}"
        made: dict[str, Path] = {}
        bounded = False  # only a memory limit actually set counts
        cpu = False
        quota = str(max(int(cpus * PERIOD_US), 1000))
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
                elif kind == "cpu":
                    (folder / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                    (folder / "cpu.cfs_quota_us").write_text(quota)
                    (folder / "cpu.shares").write_text(str(SHARES))
                    cpu = True
                elif kind == "v2":
                    for controller in ("+memory", "+pids", "+cpu"):  # one by one: v2 may
                        with contextlib.suppress(OSError):  # not delegate each of them to us
                            (parent / "cgroup.subtree_control").write_text(controller)
                    (folder / "memory.max").write_text(str(memory_bytes))
                    bounded = True
                    with contextlib.suppress(OSError):
                        (folder / "memory.swap.max").write_text("0")
                    (folder / "pids.max").write_text(str(processes))
                    with contextlib.suppress(OSError):  # no cpu controller delegated
                        (folder / "cpu.max").write_text(f"{quota} {PERIOD_US}")
                        (folder / "cpu.weight").write_text("100")
                        cpu = True
            except OSError:
                continue  # not writable here: per process limits only, for this part
        if not bounded:
            Cgroup(made).remove()
            return None
        return cls(made, cpu)

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
        folder = (self.folders.get("v2") or self.folders.get("kill")
                  or self.folders.get("memory"))
        try:
            return [int(pid) for pid in (folder / "cgroup.procs").read_text().split()]
        except (OSError, ValueError, TypeError):
            return []

    def kill_all(self, wait: float) -> bool:
        """SIGKILL every process in it, wherever it moved (another session, a double fork),
        and wait until none is left; False if some outlived `wait`. Cheaper and surer than
        searching /proc: its processes cannot leave it (the cgroup's files are root's).

        v2's `cgroup.kill` kills them all at once in the kernel; else v1's freezer stops
        them all first (none can fork while we kill); else kill until none is left."""
        deadline = time.monotonic() + wait
        folder = self.folders.get("v2") or self.folders.get("kill")
        if folder is not None and (folder / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                (folder / "cgroup.kill").write_text("1")
        frozen = self._freeze(deadline)
        try:
            while time.monotonic() < deadline:
                pids = self.pids()
                if not pids:
                    return True
                for pid in pids:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                if frozen:  # a frozen process dies once thawed, and can no longer fork
                    frozen = not self._thaw()
                time.sleep(0.002)
            return False
        finally:
            if frozen:
                self._thaw()

    def _freeze(self, deadline: float) -> bool:
        """Freeze it (v1 freezer) while it is not empty; whether it is frozen."""
        folder = self.folders.get("freezer")
        if folder is None or not self.pids():
            return False
        try:
            (folder / "freezer.state").write_text("FROZEN")
            while time.monotonic() < deadline:
                if (folder / "freezer.state").read_text().strip() == "FROZEN":
                    return True
                time.sleep(0.001)
        except OSError:
            return False
        return True  # freezing: thaw it afterwards all the same

    def _thaw(self) -> bool:
        try:
            (self.folders["freezer"] / "freezer.state").write_text("THAWED")
            return True
        except OSError:
            return False

    def cpu_quota(self) -> float | None:
        """The cores it may use (its quota, as the kernel holds it), or None if unbounded."""
        try:
            if "cpu" in self.folders:
                quota = int((self.folders["cpu"] / "cpu.cfs_quota_us").read_text())
                period = int((self.folders["cpu"] / "cpu.cfs_period_us").read_text())
            elif "v2" in self.folders:
                text = (self.folders["v2"] / "cpu.max").read_text().split()
                if text[0] == "max":
                    return None
                quota, period = int(text[0]), int(text[1])
            else:
                return None
        except (OSError, ValueError, IndexError):
            return None
        return quota / period if quota > 0 else None

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
    controllers = "memory+pids" if "pids" in kinds or version == "v2" else "memory"
    return f"cgroup {version} {controllers} under {where.parent}"


@functools.cache
def cpu_bound() -> str:
    """How a sandbox's CPU is shared and its processes killed here, in words (probed once)."""
    group = Cgroup.create(1 << 30, 64)
    if group is None:
        return (f"no cgroup can be made here (not root, or /sys/fs/cgroup read-only): "
                f"RLIMIT_CPU per process and nice {NICE} only, so a submission that starts "
                "many spinning processes slows its neighbours; processes found through "
                "/proc (by uid, parentage, session) or bwrap's PID namespace")
    quota = group.cpu_quota()
    kinds = set(group.folders)
    group.remove()
    if quota is None:
        cpu = f"no cpu controller writable: RLIMIT_CPU per process and nice {NICE}"
    elif "cpu" in kinds:
        cpu = f"{quota:g} core per sandbox (v1 cpu.cfs_quota_us, cpu.shares {SHARES})"
    else:
        cpu = f"{quota:g} core per sandbox (v2 cpu.max, cpu.weight 100)"
    if kinds & {"v2", "kill"}:
        kill = "every process killed at close by cgroup.kill"
    elif "freezer" in kinds:
        kill = "every process frozen (v1 freezer), then killed at close"
    else:
        kill = "every process in its cgroup killed until none is left"
    return f"{cpu}; {kill}"


@functools.cache
def memory_bound() -> str:
    """How a sandbox's memory is bounded here, in words (probed once per process)."""
    return cgroup_support() or "per process only (RLIMIT_AS: no writable cgroup)"
