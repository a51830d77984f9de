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

Frames: request `{"id": token, "request": ...}`; reply `{"id": token, "ok": true,
"value": ...}` or `{"id": token, "ok": false, "kind": ..., "detail": ..., "where": ...,
"fatal": bool}`. The first line written is `{"ready": true}`, before any student code.
Standard library only and nothing heavy: it runs once per worker start.
"""

import errno
import json
import os
import resource
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
    """Install the filter; exit 0 only if a new user namespace is then refused."""
    import ctypes

    _install_seccomp(bytes.fromhex(program_hex))
    if ctypes.CDLL(None, use_errno=True).unshare(_CLONE_NEWUSER) == 0:
        sys.stderr.write("the seccomp filter did not refuse a new user namespace\n")
        _exit(3)
    _exit(0)


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


def _import_handler(handler_name: str, submission: str) -> object:
    """The handler's `handle`, imported before the submission is importable at all."""
    import importlib

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
    sys.path.insert(0, grader)
    pid = _getpid()
    reader = open(rfd, "rb", closefd=False)  # noqa: SIM115 - lives as long as the process
    _send(wfd, {"ready": True}, pid)
    handle = None
    import_failure = None
    while True:
        try:
            line = reader.readline()
            if not line:
                _exit(0)  # the parent closed the channel; do not wait for the student's threads
            frame = _loads(line)
            token = frame["id"]
        except Exception:  # the student closed our descriptor or wrote into the pipe
            _exit(_CHANNEL_LOST)
        reply = None
        if handle is None and import_failure is None:
            try:
                handle = _import_handler(handler_name, submission)
            except BaseException as exc:
                import_failure = _failure(exc, submission, during_import=True)
        if _getpid() != pid:
            _exit(0)  # a process the student forked must never answer
        if import_failure is not None:
            reply = dict(import_failure)
        else:
            try:
                reply = {"ok": True, "value": handle(frame["request"])}
            except BaseException as exc:
                reply = _failure(exc, submission, during_import=False)
            if _getpid() != pid:
                _exit(0)
        reply.setdefault("ok", False)
        reply["id"] = token
        _flush_output()
        _send(wfd, reply, pid)
        if reply.get("fatal"):
            _exit(0)  # after a fork bomb or a MemoryError the process is not to be trusted


if __name__ == "__main__":
    main(sys.argv)
