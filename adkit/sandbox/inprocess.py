"""The in-process backend: grading trusted code (the reference, or a mutant of it) in this
process, without a sandbox.

`InProcessBackend` is a backend of `adkit.sandbox` (name "in-process", not isolating); its
`InProcessSandbox` has the interface of `adkit.sandbox.Sandbox` (`call(request, timeout)`
returning a `Reply`, `restart`, `close`), but imports the submission here and hands each
request to the worker's own `handle`. coverage.py cannot follow code into the sandbox's
child, so the coverage proof grades the reference this way, and mutation testing grades
mutants of the reference this way (with the call's time limit enforced by a timer signal).
It gives no protection at all: use it only on code you wrote. `grade_in_process` runs the
engine's own `runner.grade` with it (adkit/proofs/inprocess.py). `choose_backend` never
picks it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.util
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from adkit.inside import handler, problems, state
from adkit.sandbox.common import Limits, Reply, wall_backstop, wall_most
from adkit.sandbox.processes import queued_ns


class CallTimeout(BaseException):
    """Raised inside the graded code when a call outlives its time limit."""

    stopped = "cpu"  # as Reply.stopped: "cpu", or "waited" past the wall-clock backstop


def load_package(folder: Path) -> Any:
    """Import `folder/simpleautodiff` under a module name of its own (the path's hash).

    A unique name keeps it apart from the pristine reference the graders load for their
    expected values, and from any other copy loaded in this process.
    """
    package = (Path(folder) / "simpleautodiff").resolve()
    init = package / "__init__.py"
    if not init.is_file():
        raise FileNotFoundError(f"{init} does not exist: give a folder that holds a "
                                "simpleautodiff/ package")
    name = "_adkit_trusted_" + hashlib.sha256(str(package).encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[loaded]
        raise
    return module


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise CallTimeout in this (main) thread after `seconds`; no limit when None."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    started, queued = time.monotonic(), queued_ns("thread-self")

    def expire(number: int, _: object) -> None:
        if number == signal.SIGALRM:
            # As the sandbox: time spent waiting for a CPU on a busy machine is not
            # waiting, so it moves the backstop (up to wall_most).
            now = time.monotonic()
            moved = min(started + wall_backstop(seconds)
                        + (queued_ns("thread-self") - queued) / 1e9,
                        started + wall_most(seconds))
            if now < moved:
                signal.setitimer(signal.ITIMER_REAL, moved - now, 0.05)
                return
        error = CallTimeout(f"took longer than its time limit of {seconds:.1f} s")
        error.stopped = "waited" if number == signal.SIGALRM else "cpu"
        raise error

    # CPU time of this process, as the sandbox counts it (a busy machine changes nothing),
    # and wall time as the sandbox's backstop for code that waits. Then again every 50 ms:
    # the worker turns the first CallTimeout into one scenario's error and goes on to the
    # next scenario, which must be stopped too.
    previous = {number: signal.signal(number, expire)
                for number in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, max(seconds, 0.01), 0.05)
    signal.setitimer(signal.ITIMER_REAL, wall_backstop(seconds), 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for number, handler in previous.items():
            signal.signal(number, handler)


class InProcessBackend:
    """The backend whose sandboxes run the worker in this process: no isolation at all."""

    name = "in-process"
    isolating = False

    def __init__(self, timeouts: bool = False) -> None:
        self.timeouts = timeouts

    def describe(self) -> str:
        limit = "time limits by a timer signal" if self.timeouts else "no limits"
        return (f"in-process: the worker's handle() in this Python ({sys.executable}), NO "
                f"isolation and {limit}; for the kit's own proofs on code it wrote")

    def open(self, submission: Path, handler: Path | None = None, support: Sequence[Path] = (),
             limits: Limits | None = None) -> InProcessSandbox:
        return InProcessSandbox(submission, handler, support, limits, timeouts=self.timeouts)

    def check_secrets(self, secrets: Sequence[Path]) -> None:
        """Nothing to check: the code runs as the grader."""


class InProcessSandbox:
    """A stand-in for `adkit.sandbox.Sandbox` that runs the worker in this process."""

    def __init__(self, submission: Path, handler: Path | None = None,
                 support: Sequence[Path] = (), limits: Limits | None = None,
                 mode: str | None = None, timeouts: bool = False) -> None:
        self.submission = Path(submission)
        self.mode = InProcessBackend.name
        self.timeouts = timeouts
        # The worker's state (the student's module, big graphs kept between calls), as one
        # sandboxed worker process would keep it; lent to the handler for each call.
        self._state = state.State()

    def call(self, request: dict, timeout: float | None = None) -> Reply:
        collecting = gc.isenabled()  # handle() turns the collector off for its own process
        started = time.process_time()
        try:
            with _time_limit(timeout if self.timeouts else None):
                if not self._state.loaded:
                    self._load()
                with state.use(self._state):
                    value = handler.handle(request)
        except CallTimeout as error:
            return Reply(ok=False, problem=f"your code {error}",
                         cpu_seconds=time.process_time() - started, stopped=error.stopped)
        finally:
            if collecting:
                gc.enable()
        # The same JSON round trip as the sandbox's channel (tuples become lists, ...).
        return Reply(ok=True, value=json.loads(json.dumps(value)),
                     cpu_seconds=time.process_time() - started)

    def _load(self) -> None:
        self._state.loaded = True
        try:
            self._state.ad = load_package(self.submission)
        except CallTimeout:
            self._state.loaded = False
            raise
        except BaseException as error:  # noqa: B036 - the graded code's failure, as the worker reports it
            self._state.import_error = problems.explain(error)

    def restart(self) -> None:
        """Forget the worker's state; the next call imports the package afresh (cached)."""
        self._state = state.State()

    def close(self) -> None:
        self._state = state.State()

    def __enter__(self) -> InProcessSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
