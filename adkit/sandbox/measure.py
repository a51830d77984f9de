"""`python -m adkit.sandbox [--backend NAME]`: which backend runs here, why, what it
isolates, and what starting a worker and a call round trip cost."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from adkit.sandbox.cgroups import cpu_bound, memory_bound
from adkit.sandbox.choose import _make, choose_backend, refusals
from adkit.sandbox.common import Backend, SandboxError

_MEMORY = None  # the machine's bound for a whole sandbox: memory_bound(), probed when printed
ISOLATION = {  # what each backend isolates: files, network, processes, memory, namespaces
    "bubblewrap": ("only what it binds (read-only), a private /tmp", "none (own loopback)",
                   "own PID namespace; own uid as root", _MEMORY, "refused (seccomp)"),
    "container": ("a chroot into a tree of system files and its own box (check_secrets)",
                  "refused (seccomp: no sockets)", "own uid per sandbox", _MEMORY,
                  "refused (seccomp)"),
    "trusted": ("NOT isolated", "NOT isolated", "own uid per start as root, else shared",
                _MEMORY, "not refused"),
    "in-process": ("NOT isolated", "NOT isolated", "the grader's own process", "none",
                   "not refused"),
}


def report(backend: Backend, asked: bool) -> None:
    """Print the backend, why it is used, and what it isolates."""
    print(backend.describe())
    if asked:
        print(f"why: asked for with --backend {backend.name}")
    else:
        print("why: the best isolating backend that runs here")
    for why in refusals():
        print(f"  not used: {why}")
    for what, how in zip(("files", "network", "processes", "memory", "nested namespaces"),
                         ISOLATION.get(backend.name, ("?",) * 5)):
        print(f"  {what}: {memory_bound() if how is _MEMORY else how}")
    if backend.name != "in-process":
        print(f"  cpu and cleanup: {cpu_bound()}")


def measure(backend: Backend, starts: int = 20, calls: int = 2000) -> None:
    """Print what starting a worker and a call round trip cost here."""
    with tempfile.TemporaryDirectory(prefix="adkit-measure-") as folder:
        handler = Path(folder) / "echo.py"
        handler.write_text("def handle(request):\n    return request\n")
        (Path(folder) / "submission").mkdir()
        os.chmod(folder, 0o755)
        with backend.open(Path(folder) / "submission", handler) as box:
            startups = []
            for _ in range(starts):
                began = time.perf_counter()
                box.call({"n": 0})
                startups.append(time.perf_counter() - began)
                box.restart()
            box.call({"n": 0})
            began = time.perf_counter()
            for n in range(calls):
                box.call({"n": n})
            trip = (time.perf_counter() - began) / calls
            began = time.perf_counter()
            cpu = time.process_time()
            for _ in range(starts):
                box.restart()
                box.call({"n": 0})
            cycle = (time.perf_counter() - began) / starts
            cycle_cpu = (time.process_time() - cpu) / starts
    startups.sort()
    print(f"worker start + first call: median {startups[len(startups) // 2] * 1e3:.1f} ms")
    print(f"kill + restart + first call: mean {cycle * 1e3:.1f} ms "
          f"(grader CPU {cycle_cpu * 1e3:.1f} ms)")
    print(f"call round trip to a running worker: mean {trip * 1e6:.0f} us")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adkit.sandbox", description=__doc__)
    parser.add_argument("--backend", help="measure this backend (bubblewrap, container, "
                        "trusted) instead of the one chosen")
    parser.add_argument("--no-measure", action="store_true", help="only say which backend")
    args = parser.parse_args(argv)
    try:
        backend = _make(args.backend) if args.backend else choose_backend()
    except (SandboxError, ValueError) as exc:
        print(f"no sandbox: {exc}", file=sys.stderr)
        return 1
    report(backend, bool(args.backend))
    if not args.no_measure:
        try:
            measure(backend)
        except SandboxError as exc:
            print(f"the {backend.name} sandbox failed: {exc}", file=sys.stderr)
            return 1
    return 0
