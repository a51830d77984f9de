"""Run a student's code in a sandbox and talk to it over a private channel.

A backend runs workers; `choose_backend` picks the best isolating one that runs here
(bubblewrap, else the container backend) and never falls back silently to one that does not
isolate. A `Sandbox` serves one submission: its worker imports a grader-supplied handler and
answers requests one at a time with JSON. Whatever the student's code does, `call` returns
a `Reply`, never hangs and never raises because of it; the next call starts a fresh worker.

    backend = choose_backend()               # SandboxUnavailable says how to fix the machine
    backend.check_secrets([Path("reference"), Path("graders")])
    with backend.open(Path("submissions/alice"), Path("adkit/inside/handler.py")) as box:
        reply = box.call({"task": "forward_mode", ...})
        if not reply.ok:
            print(reply.problem)

Modules: common (Limits, Reply, errors, Backend), words (the sentences), channel (framing),
session (Sandbox), bubblewrap, container, trusted (backends), staged (the container's and
trusted's child), seccomp, cgroups, processes, files, choose, measure. See docs/sandbox.md.
"""

from adkit.sandbox.choose import choose_backend
from adkit.sandbox.common import Backend, Limits, Reply, SandboxError, SandboxUnavailable
from adkit.sandbox.session import Sandbox

__all__ = ["Backend", "Limits", "Reply", "Sandbox", "SandboxError", "SandboxUnavailable",
           "choose_backend"]
