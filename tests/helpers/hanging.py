"""A student whose import hangs (it becomes a `sleep`), and how to find its process."""

from __future__ import annotations

import os

# The hanging student's `sleep` argument, to find it among processes: one per test process
# (tests running side by side must not see each other's sleeper).
MARK = f"86399.{os.getpid()}"
HANG = f"import os\nos.execvp('sleep', ['sleep', '{MARK}'])\n"


def _sleepers() -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                if handle.read().split(b"\0")[1:2] == [MARK.encode()]:
                    found.append(int(name))
        except (OSError, ValueError):
            continue
    return found


def _trusted() -> list[str]:
    from adkit.sandbox import SandboxUnavailable, choose_backend

    try:
        choose_backend()
        return []
    except SandboxUnavailable:
        return ["--trusted"]
