"""A simulated default Docker/Gradescope container, to run a command in it as root.

Docker's default container: root (uid 0) in a user namespace with the full identity map
(`0 0 4294967295`), a mount namespace of its own, no CAP_SYS_ADMIN, and no way to create user
namespaces (Docker's seccomp profile; here `user.max_user_namespaces` is 0 in the namespace,
which is a per-namespace limit since Linux 4.9). So bwrap cannot start, `id -u` is 0, and
setuid to any other uid works: the kit must fall back to its container backend.

    python tests/helpers/container_sim.py [--hide PATH]... [--bind SRC:DEST]... [--cwd DIR]
        -- CMD...
    container_sim.run([...], hide=[...], bind={src: dest})   # a CompletedProcess

`--hide PATH` mounts an empty tmpfs over PATH (the image does not have it); `--bind SRC:DEST`
then shows the host folder SRC at DEST (DEST is created, so it may lie inside a hidden
folder), or the host file SRC over the existing file DEST. Needs real root on the host (to
write the identity map of the whole uid range); `problem()` says why it cannot run when it
cannot.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4
CAP_SYS_ADMIN = 21
_CAP_VERSION_3 = 0x20080522
_FULL_MAP = "0 0 4294967295\n"
_MAX_USERNS = "/proc/sys/user/max_user_namespaces"
_libc = ctypes.CDLL(None, use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _drop_sys_admin() -> None:
    """CAP_SYS_ADMIN out of the bounding, effective, permitted and inheritable sets."""
    _check(_libc.prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0), "PR_CAPBSET_DROP")
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    _check(_libc.capget(ctypes.byref(header), data), "capget")
    word, bit = divmod(CAP_SYS_ADMIN, 32)
    for field in ("effective", "permitted", "inheritable"):
        setattr(data[word], field, getattr(data[word], field) & ~(1 << bit))
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _mount(source: str | None, target: str, kind: str | None, flags: int,
           options: str | None = None) -> None:
    def raw(text: str | None) -> bytes | None:
        return None if text is None else os.fsencode(text)

    _check(_libc.mount(raw(source), raw(target), raw(kind), flags, raw(options)),
           f"mount {target}")


def _inside(hide: Sequence[str], bind: Sequence[tuple[str, str]]) -> None:
    """In the child, once the parent wrote the identity maps: the container's view."""
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    os.setgroups([0])
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    sources = [(os.open(src, os.O_PATH), dest) for src, dest in bind]
    for path in hide:
        mode = "1777" if os.stat(path).st_mode & 0o1000 else "755"
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode}")
    for fd, dest in sources:
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(dest, exist_ok=True)
        elif not os.path.isfile(dest):
            raise FileNotFoundError(f"a file is shown only over an existing file: {dest}")
        _mount(f"/proc/self/fd/{fd}", dest, None, MS_BIND | MS_REC)
        os.close(fd)
    with open(_MAX_USERNS, "w") as handle:  # per user namespace: ours only
        handle.write("0")
    _drop_sys_admin()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="container_sim", description=__doc__.split("\n")[0])
    parser.add_argument("--hide", action="append", default=[], help="tmpfs over this path")
    parser.add_argument("--bind", action="append", default=[], help="SRC:DEST")
    parser.add_argument("--cwd", default=None, help="working folder inside")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    bind = [tuple(item.split(":", 1)) for item in args.bind]
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the container's first process
        try:
            os.close(ready_r)
            os.close(go_w)
            _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare")
            os.write(ready_w, b"1")
            os.close(ready_w)
            if os.read(go_r, 1) != b"1":
                os._exit(125)
            _inside(args.hide, bind)
            if args.cwd:
                os.chdir(args.cwd)
            os.execvp(command[0], command)
        except BaseException as exc:  # noqa: B036 - report and leave the forked child
            print(f"container_sim: {exc}", file=sys.stderr, flush=True)
            os._exit(125)
    os.close(ready_w)
    os.close(go_r)
    ok = os.read(ready_r, 1) == b"1"
    if ok:
        for name, text in (("uid_map", _FULL_MAP), ("setgroups", "allow\n"),
                           ("gid_map", _FULL_MAP)):
            with open(f"/proc/{pid}/{name}", "w") as handle:
                handle.write(text)
        os.write(go_w, b"1")
    os.close(go_w)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@functools.cache
def problem() -> str:
    """'' when a simulated container can be made here, else why not."""
    if os.geteuid() != 0:
        return "needs root (to write the identity map of every uid)"
    done = subprocess.run([sys.executable, __file__, "--", "id", "-u"], capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0 or done.stdout.strip() != "0":
        return f"a simulated container does not start: {done.stderr.strip()[-300:]}"
    return ""


def run(command: Sequence[str], *, hide: Sequence[str | Path] = (),
        bind: Mapping[str | Path, str | Path] | None = None, cwd: str | Path | None = None,
        env: Mapping[str, str] | None = None, timeout: float | None = None,
        ) -> subprocess.CompletedProcess:
    """Run `command` as root in a simulated default container; capture its text output."""
    argv = [sys.executable, __file__]
    argv += [f"--hide={p}" for p in hide]
    argv += [f"--bind={src}:{dest}" for src, dest in (bind or {}).items()]
    if cwd is not None:
        argv.append(f"--cwd={cwd}")
    return subprocess.run([*argv, "--", *command], capture_output=True, text=True,
                          env=dict(env) if env is not None else None, timeout=timeout)


# --- the kit in a container ------------------------------------------------------------

INSIDE = Path("/tmp/autograder")  # where in_container shows the folder laid out as Gradescope's
KIT = Path(__file__).resolve().parents[2]  # this checkout: it holds solutions (reference, cohort)


def hidden_in_container() -> list[str]:
    """What the container starts without: /tmp and /work (the other engineers' checkouts)."""
    return ["/tmp", "/work"]


def in_container(command: Sequence[str], root: Path, cwd: str | Path, timeout: float,
                 extra_env: Mapping[str, str] | None = None,
                 bind: Mapping[str | Path, str | Path] | None = None,
                 ) -> subprocess.CompletedProcess:
    """Run `command` in a simulated default container that shows `root` at INSIDE.

    /work and /tmp are empty but for `root` and the WHOLE of this checkout, at its own path
    and readable by all as it is here (its reference, graders, cohort of correct solutions
    and venv): a Gradescope image, a CI clone or a TA's checkout may hold all that, and no
    worker may read any of it. `bind` shows more (container_sim.run).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))}
    env |= {"ADKIT_AUTOGRADER_ROOT": str(INSIDE), "ADKIT_PYTHON": sys.executable,
            **(extra_env or {})}
    shown = {KIT: KIT, sys.prefix: sys.prefix, root: INSIDE, **(bind or {})}
    return run(command, hide=hidden_in_container(), bind=shown, cwd=cwd, env=env,
               timeout=timeout)


if __name__ == "__main__":
    sys.exit(main())
