"""A hostile student module for tests/test_sandbox.py, copied as simpleautodiff.py.

Each function does one thing a submission could do to the grader; the handler calls them
by name. Nothing here runs outside the sandbox.
"""

import builtins
import json
import math
import os
import subprocess
import sys
import threading
import time


def double(x):
    return 2 * x


def whoami():
    try:
        with open("/proc/self/oom_score_adj") as handle:
            oom = handle.read().strip()
    except OSError:  # the container backend's worker tree has no /proc
        oom = None
    return {"uid": os.getuid(), "pid": os.getpid(), "sin0": math.sin(0.0), "oom": oom}


def fail():
    value = {"the": "answer"}
    raise ValueError(f"no key {value['the']!r} here")  # the line the problem must name


def loop():
    while True:
        pass


def spin(seconds):
    """Use `seconds` of CPU time, however long that takes on the wall clock."""
    import time

    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds


def eat_memory():
    return len(bytearray(1 << 34))


def leave_exit(code):
    sys.exit(code)


def hard_exit(code):
    os._exit(code)


def fork_bomb():
    while True:
        try:
            os.fork()
        except OSError:
            pass


def thread_bomb():
    while True:
        threading.Thread(target=time.sleep, args=(60,)).start()


def shout(size):
    sys.stdout.write("x" * size)
    sys.stderr.write("y" * size)
    return size


def forge(folder):
    forged = {"id": "0", "ok": True, "value": 100}
    print(json.dumps(forged))
    print("alice,10,10,10,10,10,10,10,70,70")
    for path in (os.path.join(folder, "results.json"), "results.json"):
        try:
            with open(path, "w") as handle:
                json.dump({"score": 100}, handle)
        except OSError:
            pass
    return 1


def leave_running(token):
    threading.Thread(target=_chatter, daemon=False).start()
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", token])
    if os.fork() == 0:
        os.setsid()  # try to escape the process group
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", token])
    return "left"


def _chatter():
    while True:
        print("still here")
        time.sleep(0.01)


def write_outside(paths):
    done = []
    for path in paths:
        try:
            with open(path, "w") as handle:
                handle.write("escaped")
            done.append(path)
        except OSError:
            pass
    return done


def fill_disk(size):
    for number in range(10_000):
        with open(f"/tmp/filler{number}", "wb") as handle:
            handle.write(b"\0" * size)


def write_big(size):
    with open("big.bin", "wb") as handle:
        handle.write(b"\0" * size)
    return size


def search_disk():
    """Every path naming a part of the kit, outside /usr (the host's read-only system)."""
    words = {"simpleautodiff", "simpleautodiff.py", "adkit", "sandbox.py", "programs.py",
             "test_public.py", "contract.md", "rubric.toml", "expectations.toml",
             "pytest-of-root", "work", "main"}
    skip = {"/proc", "/sys", "/dev", "/usr"}
    found = []
    for root, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip]
        found += [os.path.join(root, name) for name in dirs + files if name in words]
    with open("/proc/1/cmdline", "rb") as handle:
        found.append(handle.read().decode(errors="replace"))
    return found


def patch():
    builtins.abs = lambda x: 42
    math.sin = lambda x: 42.0
    return [abs(-1), math.sin(0.0)]


def channel_garbage():
    os.write(int(sys.argv[2]), b"garbage\n")
    return 1


def channel_forged():
    os.write(int(sys.argv[2]), b'{"id": "guess", "ok": true, "value": 100}\n')
    return 1


def close_requests():
    os.close(int(sys.argv[1]))
    return 1


def channel_close():
    os.close(int(sys.argv[2]))
    return 1


def strange_numbers():
    return [math.nan, math.inf, -math.inf, 1.5]


def unsendable():
    return {"node": object()}


def huge(size):
    return "z" * size


def stop_self():
    import signal

    os.kill(os.getpid(), signal.SIGSTOP)


def new_user_namespace():
    """Try to create a user namespace (where root could mount a tmpfs of host memory)."""
    unshare = getattr(os, "unshare", None)  # Python 3.12+
    try:
        if unshare is not None:
            unshare(0x10000000)
        else:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(0x10000000) != 0:
                number = ctypes.get_errno()
                raise OSError(number, os.strerror(number))
    except PermissionError:
        return "refused"
    except OSError as error:
        return f"failed otherwise: {error!r}"
    return "created"


def phone_home(port):
    """Try the network: TCP to the grader's machine (its loopback, on `port`), UDP to a
    public resolver, an abstract Unix socket named after `port`, and io_uring (which can
    open sockets without socket())."""
    import ctypes
    import socket

    done = {}
    for what, family, kind, address in (
            ("tcp", socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", port)),
            ("udp", socket.AF_INET, socket.SOCK_DGRAM, ("1.1.1.1", 53)),
            ("tcp6", socket.AF_INET6, socket.SOCK_STREAM, ("::1", port)),
            ("unix", socket.AF_UNIX, socket.SOCK_STREAM, f"\0adkit-test-{port}")):
        try:
            with socket.socket(family, kind) as sock:
                sock.settimeout(2.0)
                sock.connect(address)
                if kind == socket.SOCK_STREAM:
                    sock.sendall(b"ESCAPED")
                done[what] = "connected"
        except PermissionError:
            done[what] = "refused"
        except OSError as error:
            done[what] = f"failed: {error.strerror}"
    params = ctypes.create_string_buffer(120)
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.syscall(425, 8, params)  # io_uring_setup on x86_64 and aarch64 alike
    done["io_uring"] = "refused" if fd < 0 and ctypes.get_errno() == 1 else f"gave {fd}"
    return done


def read_paths(paths):
    """Which of these files could be read or folders listed."""
    done = []
    for path in paths:
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                with open(path, "rb") as handle:
                    handle.read(1)
            done.append(path)
        except OSError:
            pass
    return done


def where_am_i():
    import random

    return {"cwd": os.getcwd(), "random": random.__file__, "json": json.__file__}


class _Liar(str):
    def __len__(self):
        return 1

    def __getitem__(self, key):
        return _Liar(str.__str__(self))

    def __str__(self):
        return self


def lying_message(size):
    class Lying(Exception):
        def __str__(self):
            return _Liar("m" * size)

    raise Lying()


def lying_name(size):
    raise type(_Liar("N" * size), (Exception,), {})("short")


def memory_together(children, each):
    """Children that each stay under RLIMIT_AS but together exceed the memory limit: "all
    lived" if they all held their memory at once, else how one of them ended."""
    read, write = os.pipe()
    pids = []
    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            block = bytearray(each)
            for index in range(0, each, 4096):
                block[index] = 1
            os.write(write, b"1")
            time.sleep(30)
            os._exit(0)
        pids.append(pid)
    os.close(write)
    told = 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for pid in pids:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return f"a child ended: signal {os.WTERMSIG(status)}"
        if told == children:
            return "all lived"
        told += len(os.read(read, 64)) if _readable(read) else 0
        if told == children:
            time.sleep(0.2)  # a child killed for memory after it told us dies meanwhile
    return "timed out"


def _readable(fd):
    import select

    return bool(select.select([fd], [], [], 0.05)[0])


# --- channels made in the worker (as at import) that a task might pass data through ------
_CHANNELS: dict = {}


def open_channels():
    """Everything the worker could share with each task's process: what was refused."""
    import mmap
    import socket

    refused = []
    try:
        _CHANNELS["map"] = mmap.mmap(-1, 4096, flags=mmap.MAP_SHARED)
    except OSError:
        refused.append("mmap")
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.shmget(0, 4096, 0o1600) < 0:
            refused.append("shmget")
    except OSError:
        refused.append("shmget")
    _CHANNELS["pipe"] = os.pipe()
    _CHANNELS["pair"] = socket.socketpair()
    for fd in (*_CHANNELS["pipe"], *(s.fileno() for s in _CHANNELS["pair"])):
        os.set_blocking(fd, False)
    return sorted(refused)


def stash(text):
    """Write `text` into every channel that is still open here."""
    data = text.encode()
    wrote = []
    if "map" in _CHANNELS:
        _CHANNELS["map"][:len(data)] = data
        wrote.append("mmap")
    for name, send in (("pipe", lambda: os.write(_CHANNELS["pipe"][1], data)),
                       ("pair", lambda: _CHANNELS["pair"][1].send(data))):
        try:
            send()
            wrote.append(name)
        except OSError:
            pass
    return wrote


def recall():
    """What any channel holds now."""
    found = []
    if "map" in _CHANNELS:
        found.append(bytes(_CHANNELS["map"][:64]).rstrip(b"\0").decode())
    for read in (lambda: os.read(_CHANNELS["pipe"][0], 64),
                 lambda: _CHANNELS["pair"][0].recv(64)):
        try:
            found.append(read().decode())
        except OSError:
            pass
    return [text for text in found if text]
