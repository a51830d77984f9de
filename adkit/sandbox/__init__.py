"""Run a student's code in a sandbox and talk to it over a private channel.

A `Sandbox` serves one submission: it starts a worker process (bubblewrap when it can run,
else a plain limited child), which imports a grader-supplied handler and answers requests
one at a time with JSON. Whatever the student's code does (loops forever, exhausts memory,
exits, forks without end, prints a forged answer, scribbles on the channel), `call` returns
a `Reply`, never hangs and never raises because of it; the next call starts a fresh worker.

    with Sandbox(Path("submissions/alice"), Path("adkit/inside/handler.py")) as box:
        reply = box.call({"task": "forward_mode", ...})
        if not reply.ok:
            print(reply.problem)

See docs/sandbox.md for what is isolated, how, and the known gaps.
"""

from __future__ import annotations

import functools
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENTRY = Path(__file__).with_name("entry.py")
CHANNEL_LOST = 111  # the entry's exit status when the student's code broke the channel

# Paths inside the bubblewrap sandbox.
_SUBMISSION = "/submission"
_GRADER = "/grader"
_SCRATCH = "/tmp"
_INNER_ID = 65534  # the sandbox's processes see themselves as nobody:nogroup

_FILES_OPEN = 256
_TMPFS_BYTES = 64 * 1024**2  # bubblewrap's private /tmp, where bwrap can size it
_READ_CHUNK = 1 << 20
_KILL_WAIT = 5.0  # seconds to wait for killed processes to disappear
_PYTHON_FLAGS = ("-I", "-S", "-B", "-X", "utf8", "-X", "frozen_modules=on")
_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": _SCRATCH}


class SandboxError(RuntimeError):
    """The sandbox itself could not start: a problem of the machine, not of the student."""


@dataclass(frozen=True)
class Limits:
    """What a submission may use. Per worker process unless said otherwise."""

    wall_seconds: float = 20.0  # per call, default; call() may override
    cpu_seconds: int = 120  # per worker process (RLIMIT_CPU)
    memory_bytes: int = 2 * 1024**3  # address space per process (RLIMIT_AS)
    processes: int = 32  # processes/threads the submission may have at once
    file_bytes: int = 16 * 1024**2  # largest file it may write (RLIMIT_FSIZE)
    output_bytes: int = 64 * 1024  # stdout+stderr kept for feedback; the rest is dropped
    reply_bytes: int = 64 * 1024**2  # largest answer the grader accepts


@dataclass
class Reply:
    """The outcome of one call."""

    ok: bool  # the worker answered this request
    value: Any = None  # decoded JSON answer when ok
    problem: str | None = None  # when not ok: one plain sentence a student understands
    output: str = ""  # what the student's code printed during this call (capped)


# --- the environment -------------------------------------------------------------------


def _is_root() -> bool:
    return os.geteuid() == 0


def _reachable_by_others(path: Path) -> bool:
    """Whether any user may execute `path`: every ancestor searchable, the file executable."""
    path = Path(os.path.realpath(path))
    try:
        for part in [*path.parents, path]:
            mode = part.stat().st_mode
            if not mode & stat.S_IXOTH:
                return False
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


@functools.cache
def _base_python() -> tuple[Path, Path]:
    """(interpreter, installation prefix) of the Python behind this one, outside any venv.

    The worker needs only the standard library, so the venv is of no use to it.
    """
    prefix = Path(os.path.realpath(sys.base_prefix))
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [Path(sys.base_prefix) / "bin" / f"python{version}",
                  Path(sys.base_prefix) / "bin" / "python3"]
    if sys.prefix == sys.base_prefix:
        candidates.insert(0, Path(sys.executable))
    for candidate in candidates:
        if candidate.is_file():
            return Path(os.path.realpath(candidate)), prefix
    raise SandboxError(f"cannot find the base Python interpreter under {sys.base_prefix}")


@functools.cache
def _plain_python() -> Path:
    """An interpreter an unprivileged uid can run: the base one, else a system one alike."""
    python, _ = _base_python()
    if not _is_root() or _reachable_by_others(python):
        return python
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path(f"/usr/bin/python{version}"), Path(f"/usr/local/bin/python{version}")):
        if _reachable_by_others(candidate):
            return Path(os.path.realpath(candidate))
    return python  # runs as root then: see _plain_uid


@functools.cache
def _bwrap_options() -> frozenset[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return frozenset()
    done = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    return frozenset(word for word in done.stdout.split() if word.startswith("--"))


@functools.cache
def available_mode() -> tuple[str, str]:
    """("bubblewrap", "") or ("plain", why bubblewrap cannot run here)."""
    if shutil.which("bwrap") is None:
        return "plain", "bubblewrap (bwrap) is not installed: install the bubblewrap package"
    try:
        # As root the uid switch is the entry's job; probe it the same way.
        uid = _fresh_uid()
        code = "pass" if uid is None else f"import os; os.setresuid({uid}, {uid}, {uid})"
        done = subprocess.run(_bwrap_argv({}, ["-c", code]), capture_output=True, text=True,
                              timeout=30, env=_ENV)
    except (OSError, subprocess.SubprocessError, SandboxError) as exc:
        return "plain", f"bubblewrap cannot run here: {exc}"
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return "plain", f"bubblewrap cannot run here: {why}"
    return "bubblewrap", ""


def _fresh_uid() -> int | None:
    """A uid of its own for each worker when we are root (RLIMIT_NPROC does not bind root),
    so the limit counts only that worker's processes and a kill by uid finds them all; None
    when we are not root (we cannot change uid)."""
    if not _is_root():
        return None
    return 100_000 + int.from_bytes(os.urandom(4), "little") % 1_000_000_000


def _credentials(uid: int | None) -> dict[str, Any]:
    if uid is None:
        return {}
    return {"user": uid, "group": uid, "extra_groups": []}


def _bwrap_argv(binds: dict[str, str], args: Sequence[str]) -> list[str]:
    """The bubblewrap command running the base Python with `args`; `binds` maps an inside
    path to a host path mounted there read-only.

    As root, bwrap runs privileged without a user namespace and keeps only CAP_SETUID and
    CAP_SETGID, which the entry spends at once on switching to the worker's own uid (then
    it has no capabilities at all); the Python installation may then live in a folder only
    root can enter (pyenv under /root). Otherwise bwrap runs unprivileged in a user
    namespace, as nobody inside.
    """
    python, prefix = _base_python()
    options = _bwrap_options()
    argv = [shutil.which("bwrap") or "bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--hostname", "sandbox"]
    if _is_root():
        argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user", "--uid", str(_INNER_ID), "--gid", str(_INNER_ID)]
        if "--disable-userns" in options:
            argv += ["--disable-userns"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    if not str(prefix).startswith("/usr/"):
        for parent in reversed(prefix.parents[:-1]):  # else bwrap makes them 0700 as root
            argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", str(prefix), str(prefix)]
        site = prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
        if (site / "site-packages").is_dir():  # third-party packages: not for students
            argv += ["--tmpfs", str(site / "site-packages"), "--remount-ro",
                     str(site / "site-packages")]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    if "--size" in options:
        argv += ["--size", str(_TMPFS_BYTES)]
    argv += ["--perms", "1777", "--tmpfs", _SCRATCH]
    made = {"/"}
    for inside, path in binds.items():
        parent = os.path.dirname(inside)
        if parent not in made:  # a folder of bind points, such as /grader
            argv += ["--perms", "0755", "--dir", parent]
            made.add(parent)
        argv += ["--ro-bind", path, inside]
    argv += ["--remount-ro", "/", "--chdir", _SCRATCH, "--", str(python), *_PYTHON_FLAGS, *args]
    return argv


# --- processes -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Process:
    pid: int
    parent: int
    session: int
    threads: int
    uid: int  # real uid; -1 when not read


def _processes(uids: bool) -> list[_Process]:
    """Every live process we can see (zombies left out), with its uid if `uids`."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            if fields[0] in (b"Z", b"X"):
                continue
            uid = -1
            if uids:
                with open(f"/proc/{entry.name}/status", "rb") as handle:
                    for line in handle:
                        if line.startswith(b"Uid:"):
                            uid = int(line.split()[1])
                            break
        except (OSError, IndexError, ValueError):
            continue  # it exited meanwhile
        found.append(_Process(int(entry.name), int(fields[1]), int(fields[3]),
                              int(fields[17]), uid))
    return found


def _tasks_of(uid: int) -> int:
    """Processes and threads of `uid`: what RLIMIT_NPROC counts."""
    return sum(process.threads for process in _processes(uids=True) if process.uid == uid)


def _members(root: int, uid: int | None, session: bool) -> list[int]:
    """The live processes of a worker: those of its own `uid` when it has one; else those
    descending from `root`, and with `session` also those in the session `root` leads."""
    processes = _processes(uids=uid is not None)
    if uid is not None:
        return [process.pid for process in processes if process.uid == uid]
    children: dict[int, list[int]] = {}
    for process in processes:
        children.setdefault(process.parent, []).append(process.pid)
    found = {root} if any(process.pid == root for process in processes) else set()
    todo = list(found)
    while todo:  # iterative: a fork chain may be long
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    if session:
        found.update(process.pid for process in processes if process.session == root)
    return sorted(found)


def _signal(pids: Sequence[int], number: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, number)
        except OSError:
            pass  # gone already


def _kill_members(root: int, uid: int | None, session: bool) -> None:
    """SIGKILL all of a worker's processes and wait until none is left.

    Found by parentage, a process whose parent dies moves to init and out of sight, so
    they are all stopped first (a stopped process cannot fork) and killed together."""
    deadline = time.monotonic() + _KILL_WAIT
    stopped: set[int] = set()
    while time.monotonic() < deadline:
        pids = _members(root, uid, session)
        if uid is None and set(pids) - stopped:
            _signal(pids, signal.SIGSTOP)
            stopped.update(pids)
            continue
        if not pids:
            return
        _signal(pids, signal.SIGKILL)
        time.sleep(0.002)


@dataclass
class _Worker:
    """One running worker: its process, its pipes, and how to find all its processes."""

    proc: subprocess.Popen
    request: int  # we write requests here
    reply: int  # we read replies here
    output: int  # we read the student's stdout+stderr here
    pidfd: int | None
    uid: int | None  # the worker's own uid (when we run as root)
    plain: bool
    ready: bool = False
    output_open: bool = True  # False once every holder of the student's stdout closed it

    def _kill_namespace(self) -> bool:
        """Kill bwrap's init: the kernel then kills every process of its PID namespace, and
        bwrap exits only once they are all gone; no search of /proc needed."""
        outer = self.proc.pid
        if self.proc.poll() is not None:
            return True  # bwrap exits after its namespace is empty
        try:
            with open(f"/proc/{outer}/task/{outer}/children") as handle:
                children = handle.read().split()
            if len(children) != 1:
                return False
            init = os.pidfd_open(int(children[0]))
        except (OSError, AttributeError):
            return False
        try:
            with open(f"/proc/{outer}/task/{outer}/children") as handle:
                if handle.read().split() != children:  # not reused since: still bwrap's child
                    return False
            signal.pidfd_send_signal(init, signal.SIGKILL)
            self._wait_exit(_KILL_WAIT)
            return True
        except (OSError, subprocess.TimeoutExpired):
            return False
        finally:
            os.close(init)

    def _wait_exit(self, seconds: float) -> None:
        """Wait for bwrap to exit: woken by its pidfd at once, where Popen.wait(timeout)
        would poll with growing sleeps (about 15 ms lost per student)."""
        if self.pidfd is not None:
            select.select([self.pidfd], [], [], seconds)
        self.proc.wait(seconds)

    def members(self) -> list[int]:
        return _members(self.proc.pid, self.uid, self.plain)

    def kill(self) -> None:
        """Kill the worker and everything it started, and wait until they are gone."""
        if self.plain or not self._kill_namespace():
            if self.uid is not None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            _kill_members(self.proc.pid, self.uid, self.plain)
        self.proc.wait()
        for fd in (self.request, self.reply, self.output, self.pidfd):
            if fd is not None:
                os.close(fd)


class _Capture:
    """The first `limit` bytes of output; the rest is counted and dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        self.data += chunk[:max(room, 0)]
        self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        text = self.data.decode("utf-8", "replace")
        if self.dropped:
            text += f"\n[... {self.dropped} more bytes of output were dropped]"
        return text


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:g} {unit}"
        n /= 1024
    return f"{n:g} GiB"


def _parse_constant(name: str) -> float:
    return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


# --- the sandbox -----------------------------------------------------------------------


class _State:
    """What a Sandbox must release: kept apart so a finalizer can hold it without the box."""

    def __init__(self) -> None:
        self.worker: _Worker | None = None
        self.stage: str | None = None

    def stop_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.kill()

    def close(self) -> None:
        self.stop_worker()
        stage, self.stage = self.stage, None
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)


class Sandbox:
    """One submission's sandbox: a context manager; not thread-safe."""

    def __init__(self, submission: Path, handler: Path, support: Sequence[Path] = (),
                 limits: Limits = Limits(), mode: str | None = None) -> None:  # noqa: B008
        self.submission = Path(submission)
        self.limits = limits
        files = [ENTRY, Path(handler), *map(Path, support)]
        _check_inputs(self.submission, files)
        self.handler_module = Path(handler).stem
        if mode is None:
            mode = available_mode()[0]
        if mode not in ("bubblewrap", "plain"):
            raise ValueError(f"mode must be 'bubblewrap', 'plain' or None, not {mode!r}")
        if mode == "bubblewrap" and available_mode()[0] != "bubblewrap":
            raise SandboxError(available_mode()[1])
        self.mode = mode
        self._state = _State()
        self._close = weakref.finalize(self, _State.close, self._state)
        self._serial = 0
        if mode == "bubblewrap":
            self._prepare_bubblewrap(files)
        else:
            self._prepare_plain(files)

    # -- set-up -----------------------------------------------------------------------

    def _prepare_bubblewrap(self, files: list[Path]) -> None:
        # Bind in place; copy only what the worker's unprivileged uid could not read.
        readable = all(os.stat(path).st_mode & stat.S_IROTH for path in files)
        if _is_root() and not readable:
            binds = {_GRADER: str(self._stage(files) / "grader")}
        else:
            binds = {f"{_GRADER}/{path.name}": str(path.resolve()) for path in files}
        submission = self.submission.resolve()
        if _is_root() and not _readable_by_others(submission):
            submission = Path(self._state.stage or self._stage(files)) / "submission"
            _copy_tree(self.submission, submission)
        binds[_SUBMISSION] = str(submission)
        self._inside = (_GRADER, _SUBMISSION)
        self._argv = functools.partial(_bwrap_argv, binds)
        self._cwd = None

    def _stage(self, files: list[Path]) -> Path:
        """A private folder holding a readable copy of the grader's files."""
        self._state.stage = tempfile.mkdtemp(prefix="adkit-sandbox-")
        stage = Path(self._state.stage)
        os.chmod(stage, 0o711)
        (stage / "grader").mkdir()
        os.chmod(stage / "grader", 0o755)
        for path in files:
            shutil.copyfile(path, stage / "grader" / path.name)
            os.chmod(stage / "grader" / path.name, 0o644)
        return stage

    def _prepare_plain(self, files: list[Path]) -> None:
        stage = self._stage(files)
        _copy_tree(self.submission, stage / "submission")
        (stage / "work").mkdir(mode=0o700)
        self._inside = (str(stage / "grader"), str(stage / "submission"))
        python = _plain_python()
        self._argv = lambda args: [str(python), *_PYTHON_FLAGS, *args]
        self._cwd = stage / "work"

    def _plain_uid(self) -> int | None:
        python = _plain_python()
        if not _is_root() or not _reachable_by_others(python):
            return None  # known gap: root without an interpreter others may run
        return _fresh_uid()

    def _start(self) -> _Worker:
        uid = _fresh_uid() if self.mode == "bubblewrap" else self._plain_uid()
        limits = self.limits
        if self.mode == "bubblewrap" and uid is None:
            nproc = limits.processes + 2  # bwrap's init and the worker, in their user namespace
        elif uid is not None:
            nproc = limits.processes + 1
        else:  # RLIMIT_NPROC counts all of this user's processes: allow for them
            nproc = _tasks_of(os.getuid()) + limits.processes + 1
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        output_r, output_w = os.pipe()
        settings = json.dumps({"cpu": limits.cpu_seconds, "memory": limits.memory_bytes,
                               "file": limits.file_bytes, "files_open": _FILES_OPEN,
                               "nproc": nproc, "uid": uid if self.mode == "bubblewrap" else None})
        grader, submission = self._inside
        argv = self._argv([f"{grader}/{ENTRY.name}", str(request_r), str(reply_w), settings,
                           grader, submission, self.handler_module])
        if self._cwd is not None and uid is not None:
            os.chown(self._cwd, uid, uid)
        # bwrap as root switches uid inside (the entry does it); a plain child here.
        credentials = _credentials(uid if self.mode == "plain" else None)
        extra = []
        if self.mode == "bubblewrap":
            # bwrap reads its options from a pipe, so that the host paths of the submission
            # and of the grader do not show in the sandbox's /proc/1/cmdline.
            args_r, args_w = os.pipe()
            split = argv.index("--")
            os.write(args_w, b"".join(arg.encode() + b"\0" for arg in argv[1:split]))
            os.close(args_w)
            argv = [argv[0], "--args", str(args_r), *argv[split:]]
            extra.append(args_r)
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=output_w, stderr=output_w,
                pass_fds=(request_r, reply_w, *extra), cwd=self._cwd, env=_ENV,
                start_new_session=True, **credentials)
        except OSError as exc:
            for fd in (request_r, request_w, reply_r, reply_w, output_r, output_w, *extra):
                os.close(fd)
            raise SandboxError(f"could not start the sandbox ({self.mode}): {exc}") from exc
        for fd in (request_r, reply_w, output_w, *extra):
            os.close(fd)
        for fd in (request_w, reply_r, output_r):
            os.set_blocking(fd, False)
        try:
            pidfd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            pidfd = None
        return _Worker(proc, request_w, reply_r, output_r, pidfd, uid, self.mode == "plain")

    # -- calls ------------------------------------------------------------------------

    def call(self, request: dict, timeout: float | None = None) -> Reply:
        """Send one request to the worker (starting it if needed) and return its reply."""
        if not self._close.alive:
            raise ValueError("this Sandbox is closed: make a new one to run more calls")
        seconds = self.limits.wall_seconds if timeout is None else timeout
        deadline = time.monotonic() + seconds
        token = os.urandom(8).hex()
        payload = f'{{"id":"{token}","request":{json.dumps(request)}}}\n'.encode()
        capture = _Capture(self.limits.output_bytes)
        for attempt in range(2):
            if self._state.worker is not None and self._state.worker.proc.poll() is not None:
                self._state.stop_worker()  # it died between calls (a leftover thread?)
            if self._state.worker is None:
                self._state.worker = self._start()
            worker = self._state.worker
            _drain(worker.reply, None)  # whatever a leftover process wrote since
            worker.output_open = _drain(worker.output, capture) and worker.output_open
            outcome = self._exchange(worker, payload, token, deadline, capture)
            if outcome == "stale" and attempt == 0:
                self._state.stop_worker()  # it died between calls: start afresh, once
                continue
            break
        if isinstance(outcome, dict) and outcome.get("ok") is True:
            return Reply(ok=True, value=outcome.get("value"), output=capture.text())
        problem, keep = self._problem(outcome, seconds)
        if not keep:
            self._state.stop_worker()
        return Reply(ok=False, problem=problem, output=capture.text())

    def _exchange(self, worker: _Worker, payload: bytes, token: str, deadline: float,
                  capture: _Capture) -> dict | str:
        """Write the request and read the reply frame; else a word saying what went wrong."""
        poller = select.poll()
        poller.register(worker.reply, select.POLLIN)
        if worker.output_open:
            poller.register(worker.output, select.POLLIN)
        if worker.pidfd is not None:
            poller.register(worker.pidfd, select.POLLIN)
        pending = memoryview(payload)
        sent_any = False
        if pending:
            poller.register(worker.request, select.POLLOUT)
        buffer = bytearray()
        while True:
            if pending:
                try:
                    pending = pending[os.write(worker.request, pending):]
                    sent_any = True
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    if not sent_any and worker.ready:
                        return "stale"
                    pending = pending[:0]  # it is dying: the pidfd will say how
                if not pending:
                    poller.unregister(worker.request)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            # Without a pidfd, wake up now and then to notice that the worker died.
            wait = remaining if worker.pidfd is not None else min(remaining, 0.05)
            events = dict(poller.poll(wait * 1000))
            exited = worker.pidfd in events or worker.proc.poll() is not None
            if worker.output_open and (worker.output in events or exited):
                if not _drain(worker.output, capture):
                    worker.output_open = False  # shut by the student: stop polling it
                    poller.unregister(worker.output)
            if worker.reply in events or exited:
                try:
                    eof = _read_into(worker.reply, buffer, self.limits.reply_bytes)
                except OverflowError:
                    return "too_big"
                while b"\n" in buffer:
                    line, _, rest = bytes(buffer).partition(b"\n")
                    buffer[:] = rest
                    frame = _decode(line)
                    if not worker.ready:
                        if frame != {"ready": True}:
                            return "garbage"
                        worker.ready = True
                        continue
                    if not isinstance(frame, dict) or frame.get("id") != token:
                        return "garbage"
                    _drain(worker.output, capture)
                    return frame
                if len(buffer) > self.limits.reply_bytes:
                    return "too_big"
                if eof and not exited:
                    # The channel is shut; the process is about to exit or closed it itself.
                    exited = _wait_exit(worker.proc, min(0.5, max(deadline - time.monotonic(),
                                                                  0)))
                    if not exited:
                        return "closed"
            if exited:
                worker.proc.wait()
                if not worker.ready:
                    raise SandboxError(f"the sandbox ({self.mode}) failed to start: "
                                       f"{capture.text().strip()[-500:] or 'no message'}")
                return "exited"

    def _problem(self, outcome: dict | str, seconds: float) -> tuple[str, bool]:
        """The sentence for a student, and whether the worker may keep running."""
        limits = self.limits
        worker = self._state.worker
        if outcome == "timeout" and worker is not None:
            if len(worker.members()) > limits.processes:
                outcome = {"kind": "processes"}
        if outcome == "timeout":
            return f"did not finish within {seconds:.3g} s (an infinite loop?)", False
        if outcome == "exited" and worker is not None:
            return _exit_problem(worker, limits), False
        words = {
            "too_big": f"gave an answer larger than {_size(limits.reply_bytes)}",
            "garbage": "wrote something that is not an answer on the grader's private channel",
            "closed": "closed or broke the grader's private channel",
            "stale": "stopped between two calls",
        }
        if isinstance(outcome, str):
            return words.get(outcome, outcome), False
        kind = outcome.get("kind")
        detail = outcome.get("detail")
        where = f" (at {outcome['where']})" if outcome.get("where") else ""
        keep = not outcome.get("fatal")
        if kind == "exception":
            return f"raised {detail}{where}", keep
        if kind == "import":
            return f"importing the code raised {detail}{where}", keep
        if kind == "memory":
            return f"ran out of memory (limit {_size(limits.memory_bytes)})", False
        if kind == "processes":
            return f"was killed: too many processes (limit {limits.processes})", False
        if kind == "file_size":
            return f"wrote more than {_size(limits.file_bytes)} to a file", keep
        if kind == "disk":
            sized = self.mode == "bubblewrap" and "--size" in _bwrap_options()
            room = f" (limit {_size(_TMPFS_BYTES)})" if sized else ""
            return f"ran out of disk space for its files{room}", keep
        if kind == "exit":
            return (f"the process exited with status {detail} "
                    "(sys.exit or os._exit in your code?)"), keep
        if kind == "encode":
            return f"gave an answer that cannot be sent as JSON ({detail})", keep
        return "sent an answer the grader cannot read", False

    # -- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        """Kill every process of this sandbox and remove its files; idempotent."""
        self._close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _exit_problem(worker: _Worker, limits: Limits) -> str:
    code = worker.proc.returncode
    if worker.proc.args[0].endswith("bwrap") and code > 128:
        code = -(code - 128)  # bwrap reports death by signal N as status 128 + N
    if code == CHANNEL_LOST:
        return "closed or broke the grader's private channel"
    if code >= 0:
        return f"the process exited with status {code} (sys.exit or os._exit in your code?)"
    number = -code
    if number == signal.SIGXCPU:
        return f"used more than {limits.cpu_seconds} s of CPU time (an infinite loop?)"
    if number == signal.SIGXFSZ:
        return f"wrote more than {_size(limits.file_bytes)} to a file"
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    hint = {signal.SIGSEGV: " (a recursion too deep?)",
            signal.SIGKILL: " (out of memory?)"}.get(number, "")
    return f"crashed: killed by {name}{hint}"


def _wait_exit(proc: subprocess.Popen, seconds: float) -> bool:
    try:
        proc.wait(seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


def _read_into(fd: int, buffer: bytearray, cap: int) -> bool:
    """Append what is readable now; True at end of file. OverflowError past `cap`."""
    while True:
        try:
            chunk = os.read(fd, _READ_CHUNK)
        except BlockingIOError:
            return False
        if not chunk:
            return True
        buffer += chunk
        if len(buffer) > cap and b"\n" not in chunk:
            raise OverflowError


def _drain(fd: int, capture: _Capture | None, most: int = 16 * _READ_CHUNK) -> bool:
    """Read what is there now (at most `most` bytes: a thread may still be printing);
    False at end of file."""
    total = 0
    while total < most:
        try:
            chunk = os.read(fd, _READ_CHUNK)
        except OSError:  # BlockingIOError: nothing more for now
            return True
        if not chunk:
            return False
        total += len(chunk)
        if capture is not None:
            capture.add(chunk)
    return True


def _decode(line: bytes) -> Any:
    try:
        return json.loads(line, parse_constant=_parse_constant)
    except (ValueError, RecursionError):
        return None


# --- files -----------------------------------------------------------------------------


def _check_inputs(submission: Path, files: Sequence[Path]) -> None:
    if not submission.is_dir():
        raise ValueError(f"submission {submission} is not a folder: pass the folder holding "
                         "the student's simpleautodiff package or simpleautodiff.py")
    names = set()
    for path in files:
        if path.suffix != ".py" or not path.is_file():
            raise ValueError(f"{path} is not a Python file: the handler and support files "
                             "must be existing .py files")
        if path.name in names:
            raise ValueError(f"two files are named {path.name}: the handler and support files "
                             f"share one folder in the sandbox, so their names must differ "
                             f"(and differ from {ENTRY.name})")
        names.add(path.name)


def _readable_by_others(folder: Path) -> bool:
    """Whether `folder` and every file and folder under it can be read by any user."""
    if (os.stat(folder).st_mode & 0o005) != 0o005:
        return False
    for root, dirs, names in os.walk(folder):
        for name in names:
            if not os.lstat(os.path.join(root, name)).st_mode & stat.S_IROTH:
                return False
        for name in dirs:
            mode = os.lstat(os.path.join(root, name)).st_mode
            if (mode & (stat.S_IROTH | stat.S_IXOTH)) != (stat.S_IROTH | stat.S_IXOTH):
                return False
    return True


def _copy_tree(source: Path, target: Path) -> None:
    """Copy regular files and folders only, readable by all; symlinks could point at the
    kit from a plain sandbox, so they are left out."""
    target.mkdir(mode=0o755)
    for root, dirs, names in os.walk(source):
        here = target / os.path.relpath(root, source)
        for name in list(dirs):
            if os.path.islink(os.path.join(root, name)):
                dirs.remove(name)
            else:
                (here / name).mkdir(mode=0o755)
        for name in names:
            path = os.path.join(root, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                shutil.copyfile(path, here / name)
                os.chmod(here / name, 0o644)


__all__ = ["Limits", "Reply", "Sandbox", "SandboxError", "available_mode"]


def _measure(starts: int = 20, calls: int = 2000) -> None:
    """Print the mode in use, and what starting a worker and a call round trip cost here."""
    mode, why = available_mode()
    print(f"mode: {mode}" + (f" ({why})" if why else ""))
    with tempfile.TemporaryDirectory(prefix="adkit-measure-") as folder:
        handler = Path(folder) / "echo.py"
        handler.write_text("def handle(request):\n    return request\n")
        (Path(folder) / "submission").mkdir()
        os.chmod(folder, 0o755)
        with Sandbox(Path(folder) / "submission", handler, mode=mode) as box:
            startups = []
            for _ in range(starts):
                began = time.perf_counter()
                box.call({"n": 0})
                startups.append(time.perf_counter() - began)
                box._state.stop_worker()
            box.call({"n": 0})
            began = time.perf_counter()
            for n in range(calls):
                box.call({"n": n})
            trip = (time.perf_counter() - began) / calls
            began = time.perf_counter()
            for _ in range(starts):
                box._state.stop_worker()
                box.call({"n": 0})
            cycle = (time.perf_counter() - began) / starts
    startups.sort()
    print(f"worker start + first call: median {startups[len(startups) // 2] * 1e3:.1f} ms")
    print(f"kill + restart + first call: mean {cycle * 1e3:.1f} ms")
    print(f"call round trip to a running worker: mean {trip * 1e6:.0f} us")

