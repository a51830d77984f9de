"""The first code run inside the sandbox: it serves one handler over a private channel.

Started by adkit.sandbox as
`python -I -S entry.py RFD WFD LIMITS GRADER_DIR SUBMISSION_DIR HANDLER`.
It sets the resource limits (and, when given one, installs a seccomp filter), then answers
newline-delimited JSON requests from RFD with replies on WFD, one at a time. It reads each
request before any student code runs, and the student's prints go to stdout/stderr (a
capped capture), never to the channel.

The handler is imported (on the first request) with only the grader folder in front of the
standard library; the submission folder is then added at the END of sys.path, so a
student's scratch `random.py` or `json.py` cannot replace what the kit imports. A handler
that wants the student's package imported as "the import" defines `load()`, called then.
`entry.py --probe FILTER` installs the filter and checks that a new user namespace is
refused (the container backend's start-up check).

Frames: request `{"id": token, "request": ...}`, optionally with `"task": name`; reply
`{"id": token, "ok": true, "value": ...}` or `{"id": token, "ok": false, "kind": ...,
"detail": ..., "where": ..., "fatal": bool}`. The first line written is `{"ready": true}`,
before any student code. Standard library only and nothing heavy: it runs once per worker
start.

Per-task fork (a zygote): requests without a task run in this process, which stays
pristine (it only imports, and runs what the grader sends it untagged). The first request
of a task forks a child that serves that task's requests: it reads them from a pipe of its
own, answers on the channel itself and says "done" on another pipe. The previous task's
child, and everything it left running, is killed first, so nothing swapped in during one
task reaches another. A child that dies during a request gets a `{"kind": "died",
"detail": status}` frame written for it (status: exit code, or -signal), and the next
request of its task a fresh child. Before each fork the worker kills every other process
of the sandbox (when it may: `sweep`), puts back the kit's signal handlers and makes itself
undumpable; the child keeps only the kit's descriptors. So nothing a task's process does
reaches the worker or a later task (docs/sandbox.md, "Why nothing inside the sandbox is
worth taking"). A request marked `"final": true` belongs to the last
task this worker will serve: no task follows it to be isolated from, so this process
serves it itself (a fork would only copy the graphs it keeps). Where no child can be
forked, this process serves the task itself too. Once it has served a task, it answers a
request of any other task with `{"kind": "respawn"}`: the parent then starts a new worker
and sends the request again.
"""

import errno
import json
import os
import resource
import signal
import sys

_dumps = json.dumps
_loads = json.loads
_write = os.write
_exit = os._exit
_getpid = os.getpid

_CHANNEL_LOST = 111  # exit status telling the parent that the student broke the channel
_MESSAGE_CHARS = 400  # a student's exception message could be megabytes long
_NAME_CHARS = 100
_CLONE_NEWUSER = 0x10000000
_SUBREAPER: list[bool] = []  # [True] once this worker reaps the student's orphans
_PACKAGE = "adkit_inside"  # the name the kit's staged adkit/inside/ is imported under
_KIT_FDS: dict[int, tuple[int, int]] = {}  # the kit's descriptors: fd -> (st_dev, st_ino)
_PR_SET_DUMPABLE = 4


def _remember_descriptors(fds: tuple[int, ...]) -> None:
    """What the kit's own descriptors are, before any student code runs (it may later put
    something of its own under the same numbers with dup2)."""
    for fd in fds:
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        _KIT_FDS[fd] = (info.st_dev, info.st_ino)


def _only_kit_descriptors(opened: tuple[int, ...]) -> None:
    """In a task's process: close every descriptor the kit did not open. Whatever the
    student's code made at import (pipes, socket pairs, memfds, files) would otherwise be
    shared by every task's process: a way to pass what one task was handed to the next.
    A kit number now holding something else (dup2 at import) is closed too, or, for the
    reply channel, the process gives up (the parent reports a broken channel)."""
    keep = set(opened)
    for fd, identity in _KIT_FDS.items():
        try:
            info = os.fstat(fd)
            same = (info.st_dev, info.st_ino) == identity
        except OSError:
            same = False
        if same:
            keep.add(fd)
        elif fd in opened:
            _exit(_CHANNEL_LOST)
    try:
        fds: object = [int(name) for name in os.listdir("/proc/self/fd")]
    except (OSError, ValueError):
        fds = range(4096)  # no /proc: RLIMIT_NOFILE keeps numbers far below this
    for fd in fds:  # type: ignore[attr-defined]
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


_SIGNALS: dict[int, object] = {}  # the kit's signal dispositions, before any student code


def _remember_signals() -> None:
    for number in signal.valid_signals():
        try:
            _SIGNALS[number] = signal.getsignal(number)
        except (OSError, ValueError):
            pass


def _restore_signals() -> None:
    """Put back the kit's signal dispositions: a handler the student's code installed in the
    worker would run there whenever a task's process signals it, and change what the next
    task's process inherits."""
    for number, handler in _SIGNALS.items():
        if handler is not None and signal.getsignal(number) is not handler:
            try:
                signal.signal(number, handler)  # type: ignore[arg-type]
            except (OSError, ValueError, TypeError):
                pass


def _prctl(option: int, value: int) -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _install_seccomp(program: bytes) -> None:
    """no_new_privs, then the filter (classic BPF, built by adkit.sandbox.seccomp)."""
    import ctypes

    class _Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong,
                           ctypes.c_ulong]
    code = ctypes.create_string_buffer(program, len(program))
    fprog = _Program(len(program) // 8, ctypes.addressof(code))
    if libc.prctl(38, 1, None, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, FILTER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def _probe(program_hex: str) -> None:
    """Install the filter; exit 0 only if a new user namespace and an internet socket are
    then refused."""
    import ctypes
    import socket

    _install_seccomp(bytes.fromhex(program_hex))
    if ctypes.CDLL(None, use_errno=True).unshare(_CLONE_NEWUSER) == 0:
        sys.stderr.write("the seccomp filter did not refuse a new user namespace\n")
        _exit(3)
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except PermissionError:
        _exit(0)
    sys.stderr.write("the seccomp filter did not refuse an internet socket\n")
    _exit(3)


def _plain(value: object, most: int) -> str:
    """An exact str of at most `most` characters, from a student's object: a str subclass
    may lie in __len__, __getitem__ or __str__, so only str's own methods touch it."""
    try:
        text = value if type(value) is str else str(value)
    except BaseException:  # a student's __str__ may raise on purpose
        return "(could not be shown)"
    if not isinstance(text, str):
        return "(could not be shown)"
    text = str.__getitem__(text, slice(0, most + 1))  # an exact str, whatever the subclass
    return text if len(text) <= most else text[:most] + "..."


def _set_limits(limits: dict) -> None:
    """Drop to the worker's own uid if asked (bwrap run by root leaves us root with only
    CAP_SETUID and CAP_SETGID, which the switch clears), then lower soft and hard limits:
    an unprivileged process cannot raise them again."""
    try:  # when memory runs short, the kernel is to kill the student's processes first
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    uid = limits.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    pairs = (
        (resource.RLIMIT_CPU, limits["cpu"], limits["cpu"] + 1),
        (resource.RLIMIT_AS, limits["memory"], limits["memory"]),
        (resource.RLIMIT_FSIZE, limits["file"], limits["file"]),
        (resource.RLIMIT_NOFILE, limits["files_open"], limits["files_open"]),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_NPROC, limits["nproc"], limits["nproc"]),
    )
    for which, soft, hard in pairs:
        resource.setrlimit(which, (soft, hard))
    if limits.get("seccomp"):
        _install_seccomp(bytes.fromhex(limits["seccomp"]))


def _where(exc: BaseException, submission: str) -> str:
    """file:line of the innermost frame inside the submission, or ''."""
    prefix = submission.rstrip("/") + "/"
    found = ""
    filename = getattr(exc, "filename", None)
    if isinstance(exc, SyntaxError) and isinstance(filename, str):
        filename = _plain(filename, 300)
        if filename.startswith(prefix):
            return f"{filename[len(prefix):]}:{_plain(exc.lineno, 20)}"
    tb = exc.__traceback__
    while tb is not None:  # iterative: the traceback of a deep recursion is long
        path = _plain(tb.tb_frame.f_code.co_filename, 300)
        if path.startswith(prefix):
            found = f"{path[len(prefix):]}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _text(exc: BaseException) -> str:
    message = _plain(exc, _MESSAGE_CHARS)
    name = _plain(type(exc).__name__, _NAME_CHARS)
    return f"{name}: {message}" if message else name


def _failure(exc: BaseException, submission: str, during_import: bool) -> dict:
    """The reply fields describing an exception, in kinds the parent words for students."""
    try:
        return _describe(exc, submission, during_import)
    except BaseException:  # e.g. an OSError subclass whose errno property raises
        return {"kind": "exception", "detail": "an exception that cannot be described"}


def _describe(exc: BaseException, submission: str, during_import: bool) -> dict:
    if isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno == errno.ENOMEM):
        return {"kind": "memory", "fatal": True}
    if isinstance(exc, SystemExit):
        code = exc.code
        code = int.__int__(code) if isinstance(code, int) else 1  # an exact int, not a subclass
        return {"kind": "exit", "detail": code if -(2**31) <= code < 2**31 else 1}
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return {"kind": "file_size"}
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return {"kind": "disk"}
    if isinstance(exc, BlockingIOError) and exc.errno == errno.EAGAIN:  # fork() at RLIMIT_NPROC
        return {"kind": "processes", "fatal": True}
    if isinstance(exc, RuntimeError) and "can't start new thread" in _text(exc):
        return {"kind": "processes", "fatal": True}
    return {
        "kind": "import" if during_import else "exception",
        "detail": _text(exc),
        "where": _where(exc, submission),
    }


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:  # the student may have closed or replaced them
            pass


def _send(wfd: int, frame: dict, pid: int) -> None:
    try:
        data = _dumps(frame, allow_nan=True, separators=(",", ":"))
    except BaseException as exc:  # not JSON-able, too deep, an int too long, ...
        frame = {"id": frame.get("id"), "ok": False, "kind": "encode", "detail": _text(exc)}
        data = _dumps(frame, separators=(",", ":"))
    if _getpid() != pid:
        _exit(0)  # a dict subclass's items() forked while being encoded
    view = memoryview((data + "\n").encode("utf-8", "surrogatepass"))
    try:
        while view:
            view = view[_write(wfd, view):]
    except OSError:  # the student closed or replaced our descriptor
        _exit(_CHANNEL_LOST)


def _serve(frame: dict, handle: object, import_failure: dict | None, submission: str,
           wfd: int, pid: int) -> dict:
    """Run one request here and send its reply; the reply (to see whether it was fatal)."""
    if import_failure is not None:
        reply = dict(import_failure)
    else:
        try:
            reply = {"ok": True, "value": handle(frame["request"])}  # type: ignore[operator]
        except BaseException as exc:
            reply = _failure(exc, submission, during_import=False)
        if _getpid() != pid:
            _exit(0)  # a process the student forked must never answer
    reply.setdefault("ok", False)
    reply["id"] = frame["id"]
    _flush_output()
    _send(wfd, reply, pid)
    return reply


class _Child:
    """The process serving one task's requests, forked from the pristine worker."""

    def __init__(self, task: str, pid: int, requests: int, done: int) -> None:
        self.task, self.pid, self.requests, self.done = task, pid, requests, done
        try:
            self.pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None  # then polled every 50 ms
        self.status: int | None = None  # set once reaped

    def reap(self, block: bool) -> bool:
        """Whether it has exited (its status then in `status`)."""
        if self.status is None:
            try:
                done, raw = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                done, raw = self.pid, 0
            if done == 0:
                return False
            code = os.waitstatus_to_exitcode(raw)
            self.status = code
        return True

    def close(self) -> None:
        for fd in (self.requests, self.done, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _fork_child(task: str, rfd: int, wfd: int, handle: object,
                submission: str) -> _Child:
    """Fork the task's child; in the child, serve requests until the pipe closes."""
    request_r, request_w = os.pipe()
    done_r, done_w = os.pipe()
    _flush_output()  # else the child would print what this process had buffered, again
    try:
        pid = os.fork()
    except OSError:
        for fd in (request_r, request_w, done_r, done_w):
            os.close(fd)
        raise
    if pid:
        os.close(request_r)
        os.close(done_w)
        os.set_blocking(done_r, False)  # a process the student left may hold its other end
        return _Child(task, pid, request_w, done_r)
    try:  # the child: the grader's requests come through our own pipe only
        _prctl(_PR_SET_DUMPABLE, 1)  # its own (its /proc/self is then its own to read);
        _only_kit_descriptors((wfd, request_r, done_w))  # the worker stays undumpable
        try:
            os.setpgid(0, 0)  # a group of its own, killed together where no sweep is safe
        except OSError:
            pass
        me = _getpid()
        pipe = open(request_r, "rb", closefd=False)  # noqa: SIM115 - lives as long as we do
        while True:
            line = pipe.readline()
            if not line:
                _exit(0)
            reply = _serve(_loads(line), handle, None, submission, wfd, me)
            _write(done_w, b"x" if reply.get("fatal") else b".")  # x: about to exit
            if reply.get("fatal"):
                _exit(0)  # after a fork bomb or a MemoryError the process is not to be trusted
    except BaseException:  # noqa: BLE001 - the student broke our pipes: the parent reports it
        _exit(_CHANNEL_LOST)


def _before_fork(sweep: bool) -> None:
    """Nothing the student's code left in the worker reaches the task's process: every
    process it started (at import, or while the shared graphs were built) is killed, and
    the worker is made undumpable again (its memory then cannot be read or written through
    /proc/PID/mem or process_vm_writev by the task's process, which runs as the same uid),
    and its signal handlers are the kit's again."""
    if sweep:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        _reap_orphans()
    _restore_signals()
    _prctl(_PR_SET_DUMPABLE, 0)


def _fork_retrying(task: str, rfd: int, wfd: int, handle: object, submission: str,
                   seconds: float = 1.0) -> _Child:
    """_fork_child, retried for a while at RLIMIT_NPROC: a fork bomb's processes killed
    with the previous worker still count until an init reaps them (1-2 s in some VMs)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            return _fork_child(task, rfd, wfd, handle, submission)
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _end_child(child: _Child, sweep: bool) -> None:
    """Kill the child and whatever it left running; reap it."""
    if child.status is None:  # not reaped yet: the pid is still ours
        try:
            os.kill(child.pid, signal.SIGKILL)
        except OSError:
            pass
    if sweep:  # our own PID namespace or uid: every other process of it is the student's
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
    else:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except OSError:
            pass
    child.reap(block=True)
    child.close()
    if sweep:
        _reap_orphans()


def _become_subreaper() -> None:
    """The student's orphans become our children, so that we reap them: an init that
    reaps slowly (some containers) would leave them counted against RLIMIT_NPROC and the
    cgroup's pids.max, and the next fork would fail."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap_orphans(seconds: float = 2.0) -> None:
    """Reap the killed processes (a bounded wait: SIGKILL takes a moment)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            done, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # none left
        if done == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.001)


def _wait_child(child: _Child) -> bytes:
    """Wait until the child says it answered (what it said: b"." or, about to exit, b"x")
    or dies (b"")."""
    import select

    poller = select.poll()
    poller.register(child.done, select.POLLIN)
    if child.pidfd is not None:
        poller.register(child.pidfd, select.POLLIN)
    while True:
        events = dict(poller.poll(None if child.pidfd is not None else 50))
        if child.done in events:
            try:
                said = os.read(child.done, 64)
                if said:
                    return said
            except OSError:
                pass
            poller.unregister(child.done)  # closed by the student: only its death is left
        if (child.pidfd is not None and child.pidfd in events) or child.reap(block=False):
            child.reap(block=True)
            try:  # it may have answered just before it died
                return os.read(child.done, 64)
            except OSError:
                return b""


def _for_task(frame: dict, task: str, line: bytes, child: _Child | None, rfd: int,
              wfd: int, handle: object, submission: str, sweep: bool,
              pid: int) -> tuple[_Child | None, bool]:
    """Hand the request to the task's child (forked afresh when needed): (the child after,
    whether it was handed over; False when no child could be forked)."""
    if child is not None and (child.task != task or child.reap(block=False)):
        _end_child(child, sweep)  # another task's, or one that died between requests
        child = None
    if child is None:
        try:
            if sweep and not _SUBREAPER:
                _SUBREAPER.append(True)
                _become_subreaper()
            _before_fork(sweep)
            child = _fork_retrying(task, rfd, wfd, handle, submission)
        except OSError:  # at RLIMIT_NPROC (a killed fork bomb not reaped yet) or no memory
            return None, False
    view = memoryview(line)
    try:
        while view:
            view = view[_write(child.requests, view):]
    except OSError:  # it died before reading: its death is reported below
        pass
    said = _wait_child(child)
    if not said:
        status = child.status if child.status is not None else -signal.SIGKILL
        _send(wfd, {"id": frame["id"], "ok": False, "kind": "died", "detail": status}, pid)
    if not said or b"x" in said:
        _end_child(child, sweep)  # dead, or about to exit after a fatal answer
        return None, True
    return child, True


def _import_handler(handler_name: str, grader: str, submission: str) -> object:
    """The handler's `handle`, imported before the submission is importable at all.

    A grader folder holding `__init__.py` (the kit's adkit/inside/, staged) is imported as
    the package `adkit_inside`, so that its modules import each other relatively and none
    of their names is importable alone; a lone handler file is imported by its name.
    """
    import importlib

    if os.path.exists(os.path.join(grader, "__init__.py")):
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            _PACKAGE, os.path.join(grader, "__init__.py"), submodule_search_locations=[grader])
        package = importlib.util.module_from_spec(spec)
        sys.modules[_PACKAGE] = package
        spec.loader.exec_module(package)
        sys.path.remove(grader)
        module = importlib.import_module(f"{_PACKAGE}.{handler_name}")
    else:
        module = importlib.import_module(handler_name)
    sys.path.append(submission)  # after the standard library: it shadows nothing of ours
    load = getattr(module, "load", None)
    if load is not None:
        load()
    return module.handle


def main(argv: list[str]) -> None:
    if argv[1] == "--probe":
        _probe(argv[2])
    rfd, wfd = int(argv[1]), int(argv[2])
    limits = _loads(argv[3])
    grader, submission, handler_name = argv[4], argv[5], argv[6]
    _set_limits(limits)
    _remember_descriptors((0, 1, 2, wfd))
    _remember_signals()
    sys.path.insert(0, grader)
    pid = _getpid()
    reader = open(rfd, "rb", closefd=False)  # noqa: SIM115 - lives as long as the process
    _send(wfd, {"ready": True}, pid)
    sweep = bool(limits.get("sweep"))
    handle = None
    import_failure = None
    child: _Child | None = None
    spent = None  # the task this process served itself, when it could not fork for it
    while True:
        try:
            line = reader.readline()
            if not line:
                _exit(0)  # the parent closed the channel; do not wait for the student's threads
            frame = _loads(line)
            frame["id"]
            task = frame.get("task")
            final = frame.get("final") is True
        except Exception:  # the student closed our descriptor or wrote into the pipe
            _exit(_CHANNEL_LOST)
        if handle is None and import_failure is None:
            try:
                handle = _import_handler(handler_name, grader, submission)
            except BaseException as exc:
                import_failure = _failure(exc, submission, during_import=True)
        if _getpid() != pid:
            _exit(0)  # a process the student forked must never answer
        if child is not None and child.reap(block=False):
            _end_child(child, sweep)  # it ended after its last answer (a fatal one?)
            child = None
        if type(task) is str and import_failure is None:
            if spent is not None and spent != task:
                # Not pristine any more: the parent starts a new worker and sends it again.
                _send(wfd, {"id": frame["id"], "ok": False, "kind": "respawn"}, pid)
                continue
            if spent is None and final:
                if child is not None:
                    _end_child(child, sweep)
                    child = None
                spent = task  # the last task: served here, and no other after it
            if spent is None:
                child, handed = _for_task(frame, task, line, child, rfd, wfd, handle,
                                          submission, sweep, pid)
                if handed:
                    continue
                spent = task  # no fork possible: serve this task here, and no other
        reply = _serve(frame, handle, import_failure, submission, wfd, pid)
        if reply.get("fatal"):
            _exit(0)  # after a fork bomb or a MemoryError the process is not to be trusted


if __name__ == "__main__":
    main(sys.argv)
