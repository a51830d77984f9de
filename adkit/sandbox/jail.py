"""The container backend's worker view: a root-owned tree holding only what a worker needs.

Where namespaces are refused but we are root (Docker's default capabilities keep
CAP_SYS_CHROOT), each worker starts as root, chroots into this tree, drops to its own uid
and only then runs the entry. The tree mirrors the host's paths for what it holds, so the
interpreter, its shared libraries and the standard library are where Python looks for them:

    /usr/bin/python3.X, /lib64/ld-linux-*.so.2, libc, libffi, ...  (from a probe's mappings)
    /usr/lib/python3.X/...          the standard library (no site-packages, no tests)
    /etc/ld.so.cache                so that the loader finds what `import` loads later
    /box/<random>/{grader,submission,work}   one per sandbox (root 0711, not listable;
                                    submission and work owned by its uid, 0700)

Files are hard links where the file system allows (root's files nobody else may write),
else copies; the tree is made once per run (per backend) and removed when the backend goes.
Nothing of the kit's checkout, other submissions' readable files, OUT or the course is in it.
`sight.py`, run as a worker would be, proves it (ContainerBackend.check_secrets).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import struct
import subprocess
import tempfile
import weakref
from pathlib import Path

from adkit.sandbox.common import PYTHON_FLAGS, SandboxError

# Parts of the standard library no student code needs (and the build's static library).
_SKIP = {"site-packages", "dist-packages", "test", "tests", "idlelib", "turtledemo",
         "ensurepip", "tkinter", "lib2to3", "__phello__"}
_SKIP_PREFIX = ("config-",)
_ROOT_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # merged-/usr links

# Run by the worker's interpreter as root, outside the tree: where are its standard library
# and its libraries? Every extension module is loaded (dlopen, not imported: no module code
# runs) so that the libraries they need are mapped too.
_SURVEY = """
import ctypes, json, os, sys
for folder in sys.path:
    if folder.endswith("lib-dynload") and os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".so"):
                try:
                    ctypes.CDLL(os.path.join(folder, name), mode=os.RTLD_LAZY)
                except OSError:
                    pass
maps = set()
with open("/proc/self/maps") as handle:
    for line in handle:
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[5].startswith("/"):
            maps.add(parts[5].strip())
print(json.dumps({"path": sys.path, "executable": sys.executable, "maps": sorted(maps)}))
"""

# `python -c LAUNCHER TREE CWD UID SCRIPT ARGS...`, started as root: into the tree, down to
# the uid (which clears every capability), then SCRIPT runs as __main__ with ARGS.
LAUNCHER = """
import os, sys
def _enter(tree, cwd, uid):
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    os.chroot(tree)
    os.chdir(cwd)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() == 0 or os.geteuid() == 0:
        os._exit(126)
_enter(sys.argv[1], sys.argv[2], int(sys.argv[3]))
del _enter
sys.argv = sys.argv[4:]
__file__ = sys.argv[0]
_code = None
try:  # the script's bytecode beside it, made by the grader: compiling costs more than Python
    import marshal
    from _frozen_importlib_external import MAGIC_NUMBER
    _head, _, _name = __file__.rpartition("/")
    _tag = sys.implementation.cache_tag
    with open(f"{_head}/__pycache__/{_name[:-3]}.{_tag}.pyc", "rb") as _handle:
        _data = _handle.read()
    if _data[:4] == MAGIC_NUMBER:
        _code = marshal.loads(_data[16:])
    del marshal, MAGIC_NUMBER, _head, _name, _tag, _data
except (OSError, ValueError, EOFError, ImportError):
    pass
if _code is None:
    with open(__file__, "rb") as _handle:
        _code = compile(_handle.read(), __file__, "exec")
del _handle
exec(_code)
"""


def _interp(binary: str) -> str | None:
    """The ELF program interpreter (PT_INTERP) of `binary`: the dynamic loader it names."""
    try:
        with open(binary, "rb") as handle:
            head = handle.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:  # 64-bit only
                return None
            order = "<" if head[5] == 1 else ">"
            phoff, = struct.unpack(order + "Q", head[32:40])
            phentsize, phnum = struct.unpack(order + "HH", head[54:58])
            for index in range(phnum):
                handle.seek(phoff + index * phentsize)
                kind, = struct.unpack(order + "I", handle.read(4))
                if kind == 3:  # PT_INTERP
                    handle.seek(phoff + index * phentsize + 8)
                    offset, = struct.unpack(order + "Q", handle.read(8))
                    handle.seek(phoff + index * phentsize + 32)
                    size, = struct.unpack(order + "Q", handle.read(8))
                    handle.seek(offset)
                    return handle.read(size).rstrip(b"\0").decode()
    except (OSError, struct.error, UnicodeDecodeError):
        return None
    return None


def _home_for(source: Path) -> Path:
    """Where to make the tree: a folder on the same file system as `source` (so hard links
    work), else the first that allows running code (extension modules are mapped from it);
    then the tree is copied."""
    try:
        device = source.stat().st_dev
    except OSError:
        device = None
    usable = []
    for folder in (tempfile.gettempdir(), "/var/tmp", "/var/cache", "/root"):
        try:
            if os.statvfs(folder).f_flag & os.ST_NOEXEC or not os.access(folder, os.W_OK):
                continue
            if os.stat(folder).st_dev == device:
                return Path(folder)
        except OSError:
            continue
        usable.append(Path(folder))
    return usable[0] if usable else Path(tempfile.gettempdir())


_SHELL = [p for p in ("/bin/sh", os.path.realpath("/bin/sh")) if os.path.isfile(p)]


class Jail:
    """The tree (`root`), the host files it holds (`allowed`: paths as seen inside), and
    `box()` for a sandbox's own folders in it."""

    def __init__(self, python: Path) -> None:
        self.python = Path(python)
        survey = self._survey()
        stdlib = [Path(p) for p in survey["path"] if Path(p).is_dir()]
        home = _home_for(stdlib[0] if stdlib else self.python)
        self.root = Path(tempfile.mkdtemp(prefix="adkit-jail-", dir=home))
        self._finalize = weakref.finalize(self, _remove, str(self.root), os.getpid())
        self.allowed: set[str] = set()
        self._links: dict[tuple[str, str], dict[str, list[str]]] = {}  # symlinks by target
        self.linked = self.copied = 0
        try:
            os.chmod(self.root, 0o755)
            for name in _ROOT_LINKS:
                if os.path.islink(f"/{name}"):
                    self._place(f"/{name}")
            for path in [str(self.python), survey["executable"], *survey["maps"],
                         _interp(os.path.realpath(self.python)) or "", "/etc/ld.so.cache",
                         # a shell for a notebook's `!` lines (a system file like the rest)
                         *_SHELL]:
                if path and os.path.lexists(path):
                    self._place(path)
                    self._aliases(path)
            for folder in stdlib:
                self._place_tree(folder)
            (self.root / "box").mkdir(mode=0o711)
            os.chmod(self.root / "box", 0o711)
        except OSError as exc:
            self.remove()
            raise SandboxError(f"cannot build the container backend's worker tree in "
                               f"{home}: {exc}") from exc

    def _survey(self) -> dict:
        try:
            done = subprocess.run([str(self.python), *PYTHON_FLAGS, "-c", _SURVEY],
                                  capture_output=True, text=True, timeout=60, cwd="/",
                                  env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
            survey = json.loads(done.stdout)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            raise SandboxError(f"cannot survey {self.python}: {exc}") from exc
        if done.returncode != 0 or not isinstance(survey, dict):
            raise SandboxError(f"cannot survey {self.python}: {done.stderr.strip()[-300:]}")
        return survey

    def inside(self, host: Path | str) -> Path:
        """Where the host path `host` lies in the tree, seen from outside."""
        return self.root / os.path.relpath(os.path.abspath(host), "/")

    def _place(self, path: str, depth: int = 0) -> None:
        """Mirror `path` in the tree: its folders, the symlinks along it (recreated, so they
        resolve inside the tree) and the file it names."""
        if depth > 16:
            return  # a symlink loop
        parts = Path(os.path.abspath(path)).parts
        here = "/"
        for index, part in enumerate(parts[1:], start=1):
            host = os.path.join(here, part)
            target = self.inside(host)
            info = os.lstat(host)
            if stat.S_ISLNK(info.st_mode):
                link = os.readlink(host)
                if not os.path.lexists(target):
                    os.symlink(link, target)
                resolved = os.path.normpath(os.path.join(here, link))
                self._place(os.path.join(resolved, *parts[index + 1:]), depth + 1)
                return
            if stat.S_ISDIR(info.st_mode):
                if not os.path.isdir(target):
                    target.mkdir(mode=0o755)
                    os.chmod(target, 0o755)
                here = host
            elif stat.S_ISREG(info.st_mode):
                self._file(host, info)
                return
            else:
                return  # devices, sockets, fifos: never

    def _aliases(self, path: str) -> None:
        """The symlinks beside a library that name it (libffi.so.8 -> libffi.so.8.1.2): the
        loader opens it by those names."""
        real = os.path.realpath(path)
        folder = os.path.dirname(real)
        stem = os.path.basename(real).split(".so")[0]
        if (folder, stem) not in self._links:
            links: dict[str, list[str]] = {}
            try:
                for entry in os.scandir(folder):
                    if entry.is_symlink() and entry.name.startswith(stem):
                        links.setdefault(os.path.realpath(entry.path), []).append(entry.path)
            except OSError:
                pass
            self._links[folder, stem] = links
        for link in self._links[folder, stem].get(real, []):
            self._place(link)

    def _file(self, host: str, info: os.stat_result) -> None:
        target = self.inside(host)
        if os.path.lexists(target):
            return
        # A hard link shares the inode: only for root's files that no one else may write,
        # readable by all, and not setuid or setgid (a copy drops those bits).
        if (info.st_uid == 0 and not info.st_mode & 0o6022 and info.st_mode & 0o004):
            try:
                os.link(host, target)
                self.linked += 1
                self.allowed.add(host)
                return
            except OSError:
                pass
        shutil.copyfile(host, target)
        os.chmod(target, 0o755 if info.st_mode & 0o111 else 0o644)
        self.copied += 1
        self.allowed.add(host)

    def _place_tree(self, folder: Path) -> None:
        self._place(str(folder))
        top = os.path.realpath(folder)
        for here, dirs, names in os.walk(top):
            dirs[:] = [d for d in dirs if d not in _SKIP and not d.startswith(_SKIP_PREFIX)
                       and not os.path.islink(os.path.join(here, d))]
            for name in dirs:
                target = self.inside(os.path.join(here, name))
                if not target.is_dir():
                    target.mkdir(mode=0o755)
                    os.chmod(target, 0o755)
            for name in names:
                path = os.path.join(here, name)
                info = os.lstat(path)
                if stat.S_ISREG(info.st_mode):
                    self._file(path, info)

    def box(self) -> Path:
        """A new folder for one sandbox (root's, 0711: no one may list it; its name is
        random, so no other worker can find it)."""
        folder = self.root / "box" / secrets.token_hex(16)
        folder.mkdir(mode=0o711)
        os.chmod(folder, 0o711)
        return folder

    def remove(self) -> None:
        self._finalize()


def _remove(root: str, pid: int) -> None:
    if os.getpid() == pid:  # not from a forked child that inherited the object
        shutil.rmtree(root, ignore_errors=True)
