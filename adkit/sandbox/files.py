"""Files: checking a sandbox's inputs, staging private copies, finding the interpreter."""

from __future__ import annotations

import functools
import importlib.util
import marshal
import os
import shutil
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from adkit.sandbox.common import ENTRY, SandboxError

VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def check_inputs(submission: Path, files: Sequence[Path]) -> None:
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


def runnable_by_others(path: Path) -> bool:
    """Whether any user may run `path`: every ancestor searchable, the file readable."""
    path = Path(os.path.realpath(path))
    try:
        for part in [*path.parents, path]:
            if not part.stat().st_mode & stat.S_IXOTH:
                return False
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def readable_by_others(folder: Path) -> bool:
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


def copy_tree(source: Path, target: Path, owner: int | None = None, mode: int = 0o755) -> None:
    """Copy regular files and folders only; symlinks could point at the kit, so they are
    left out. Files are made readable by all, or owned by `owner` and private to it."""
    file_mode = 0o644 if owner is None else 0o600
    target.mkdir(mode=mode)
    os.chmod(target, mode)
    for root, dirs, names in os.walk(source):
        here = target / os.path.relpath(root, source)
        for name in list(dirs):
            if os.path.islink(os.path.join(root, name)):
                dirs.remove(name)
            else:
                (here / name).mkdir()
                os.chmod(here / name, mode)  # whatever the umask
        for name in names:
            path = os.path.join(root, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                shutil.copyfile(path, here / name)
                os.chmod(here / name, file_mode)
    if owner is not None:
        for root, dirs, names in os.walk(target):
            for name in [*dirs, *names]:
                os.chown(os.path.join(root, name), owner, owner)
        os.chown(target, owner, owner)


def copy_grader(files: Sequence[Path], target: Path) -> None:
    """The entry, handler and support files, readable by all (they are the kit's code, the
    same for every student; the reference and graders never go here). The modules come with
    their bytecode: the worker runs with -B and would compile them at every start."""
    cache = target / "__pycache__"
    for folder in (target, cache):
        folder.mkdir(mode=0o755)
        os.chmod(folder, 0o755)
    for path in files:
        shutil.copyfile(path, target / path.name)
        os.chmod(target / path.name, 0o644)
        if path.name == ENTRY.name:
            continue  # run as a script: Python never reads bytecode for that
        stat_ = path.stat()
        compiled = target / importlib.util.cache_from_source(path.name)
        compiled.write_bytes(_bytecode(str(path), stat_.st_mtime_ns, stat_.st_size))
        os.chmod(compiled, 0o644)


@functools.lru_cache(maxsize=16)
def _bytecode(path: str, mtime_ns: int, size: int) -> bytes:
    """A .pyc of the file that Python loads without looking at the source again (PEP 552's
    unchecked hash-based form), made once per version of the file."""
    source = Path(path).read_bytes()
    code = compile(source, Path(path).name, "exec", dont_inherit=True)
    flags = 0b01  # hash-based, unchecked
    return (importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little")
            + importlib.util.source_hash(source) + marshal.dumps(code))


@functools.cache
def base_python() -> tuple[Path, Path]:
    """(interpreter, installation prefix) of the Python behind this one, outside any venv.

    The worker needs only the standard library, so the venv is of no use to it.
    """
    prefix = Path(os.path.realpath(sys.base_prefix))
    candidates = [Path(sys.base_prefix) / "bin" / f"python{VERSION}",
                  Path(sys.base_prefix) / "bin" / "python3"]
    if sys.prefix == sys.base_prefix:
        candidates.insert(0, Path(sys.executable))
    for candidate in candidates:
        if candidate.is_file():
            return Path(os.path.realpath(candidate)), prefix
    raise SandboxError(f"cannot find the base Python interpreter under {sys.base_prefix}")


@functools.cache
def python_for_others() -> Path | None:
    """An interpreter of this version that an unprivileged uid can run: the base one, else
    a system one alike; None if there is none."""
    python, _ = base_python()
    if runnable_by_others(python):
        return python
    for candidate in (Path(f"/usr/bin/python{VERSION}"), Path(f"/usr/local/bin/python{VERSION}")):
        if runnable_by_others(candidate):
            return Path(os.path.realpath(candidate))
    return None


def no_python_for_others() -> str:
    python, _ = base_python()
    return (f"no Python {VERSION} interpreter here can be run by other users ({python} is "
            f"inside a folder they cannot enter): install python{VERSION} from the "
            f"distribution (/usr/bin/python{VERSION}) or make {python.parent} and its "
            "parents searchable by others (chmod o+x)")


SHARED_TEMP = ("/tmp", "/var/tmp", "/dev/shm")  # world-writable: where any uid may leave files


def remove_owned(uid: int, folders: Sequence[str] = SHARED_TEMP, depth: int = 3) -> None:
    """Remove what `uid` left in the shared temporary folders (and in world-writable folders
    under them, `depth` deep). Only once all its processes are gone: nothing can then swap
    a folder for a symlink under our feet; symlinks themselves are unlinked, not followed."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
                if info.st_uid == uid:
                    if stat.S_ISDIR(info.st_mode):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)
                elif stat.S_ISDIR(info.st_mode) and info.st_mode & 0o002 and depth > 1:
                    remove_owned(uid, [entry.path], depth - 1)
            except OSError:
                continue
