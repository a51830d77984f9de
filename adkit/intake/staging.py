"""Reading a student's folder safely: a capped copy of its regular files, no links followed.

A student folder is hostile input. It may hold symbolic links (to the instructor's solutions,
to a classmate's folder, to /dev/zero), FIFOs that block a reader forever, or sparse files of
gigabytes. Everything here opens with O_NOFOLLOW | O_NONBLOCK relative to an already opened
folder, keeps only regular files (checked with fstat on the open file), and reads under a
byte cap. The grader and the sandbox only ever see the staged copy.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

FILE_BYTES = 4 * 1024**2  # one source file
NOTEBOOK_BYTES = 8 * 1024**2  # one notebook (outputs and images make them bigger)
TOTAL_BYTES = 64 * 1024**2  # everything staged for one student
MAX_FILES = 2000  # files and folders staged for one student
MAX_DEPTH = 16  # folders inside folders
SKIPPED_FOLDERS = frozenset({"__pycache__", ".ipynb_checkpoints", ".git"})  # silently
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CHUNK = 1 << 20


class UnsafeFile(OSError):
    """A path that is not a regular file or folder, or is over its cap; str() says which."""


# The grading machine, not the student, ran out of something: disk space or inodes (ENOSPC),
# a quota, open files (EMFILE for the process, ENFILE for the system), memory, file size.
NO_ROOM = {errno.ENOSPC: "disk space or inodes (files) in its temporary folder",
           errno.EDQUOT: "its disk quota", errno.EMFILE: "open files (this process's limit)",
           errno.ENFILE: "open files (the system's limit)", errno.ENOMEM: "memory",
           errno.EFBIG: "room for a file (its file size limit)"}


class NoRoom(Exception):  # noqa: N818 - not an OSError: no `except OSError` may swallow it
    """The machine ran out of room while copying or unpacking one student's files: that
    student is not graded (not their fault), their partial copy is removed, the run goes on.
    `reason` says what ran out, in words for the course staff and the student."""

    def __init__(self, error: OSError, doing: str) -> None:
        what = NO_ROOM.get(error.errno or 0, "resources")
        name = errno.errorcode.get(error.errno or 0, "?")
        self.reason = (f"not graded: the grading machine ran out of {what} while {doing} "
                       f"({name}): a grader error, not your fault; the course staff will "
                       "grade it again once there is room")
        super().__init__(self.reason)


def no_room(error: BaseException, doing: str) -> None:
    """Raise NoRoom for an OSError that says the machine ran out of room; else return."""
    if isinstance(error, OSError) and error.errno in NO_ROOM:
        raise NoRoom(error, doing) from None


def remove_partial(folder: Path) -> None:
    """Remove a partial copy left by NoRoom (it may hold thousands of files). rmtree holds
    a descriptor per level; with none to spare (EMFILE), os.walk holds one at a time."""
    shutil.rmtree(folder, ignore_errors=True)
    if not os.path.lexists(folder):
        return
    for path, folders, files in os.walk(folder, topdown=False):
        for name in files:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(path, name))
        for name in folders:
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(path, name))
    with contextlib.suppress(OSError):
        os.rmdir(folder)


@dataclass
class Staged:
    """What staging copied and what it refused (relative paths, for the student's feedback)."""

    folder: Path
    refused: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    seen: int = 0  # entries looked at, of every kind (what the count cap counts)
    full: bool = False  # the count cap was reached: nothing more is looked at


def shown(name: str, limit: int = 80) -> str:
    """A file name as safe one-line text: control characters escaped, long names cut."""
    text = name.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit] + "..."


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link (hand in the file itself)"
    if stat.S_ISFIFO(mode):
        return "a FIFO, not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    return "not a regular file"


def open_folder(path: Path, dir_fd: int | None = None) -> int:
    """An fd of the folder `path`, refusing a symbolic link or anything but a folder."""
    try:
        return os.open(path, _FOLDER_FLAGS, dir_fd=dir_fd)
    except OSError as error:
        no_room(error, "opening a folder of your submission")
        try:
            mode = os.lstat(path, dir_fd=dir_fd).st_mode
        except OSError:
            raise UnsafeFile(error.errno, error.strerror or "cannot be opened") from None
        why = _kind(mode) if not stat.S_ISDIR(mode) else (error.strerror or "cannot be opened")
        raise UnsafeFile(error.errno, why) from None


def read_file(name: str, dir_fd: int, cap: int) -> bytes:
    """The bytes of the regular file `name` in the folder `dir_fd`, at most `cap` of them.

    Raises UnsafeFile (say why in words) for a link, a FIFO, a device, or a file over `cap`.
    """
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as error:
        no_room(error, "opening a file of your submission")
        try:
            mode = os.lstat(name, dir_fd=dir_fd).st_mode
        except OSError:
            mode = 0
        why = _kind(mode) if mode and not stat.S_ISREG(mode) else (error.strerror or "unreadable")
        raise UnsafeFile(error.errno, why) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(0, _kind(info.st_mode))
        if info.st_nlink > 1:  # a second name of a file elsewhere (the reference, say)
            raise UnsafeFile(0, "a hard link to another file (hand in a copy of the file)")
        if info.st_size > cap:
            raise UnsafeFile(0, f"{_size(info.st_size)}, over the {_size(cap)} limit per file")
        chunks, total = [], 0
        while total <= cap:  # the size may grow while we read: the cap still holds
            chunk = os.read(fd, min(_CHUNK, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > cap:
            raise UnsafeFile(0, f"over the {_size(cap)} limit per file")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _size(n: int) -> str:
    return f"{n / 1024**2:.1f} MiB" if n >= 1024**2 else f"{n} bytes"


def stage(source: Path, target: Path) -> Staged:
    """Copy the regular files of the student folder `source` into the new folder `target`.

    Links, FIFOs, devices, files over their cap and anything past the total or count caps
    are left out and named in `refused`. Raises UnsafeFile if `source` itself is not a folder
    (a symbolic link, say), NoRoom (`target` removed) if the machine runs out of disk space,
    inodes, open files or memory meanwhile.
    """
    staged = Staged(Path(target))
    fd = open_folder(Path(source))
    try:
        try:
            os.mkdir(target, 0o755)
            _copy_folder(fd, Path(target), "", 0, staged)
        finally:
            os.close(fd)  # first: removing the copy may need every descriptor there is
    except (OSError, MemoryError, NoRoom) as error:
        if isinstance(error, MemoryError):
            error = OSError(errno.ENOMEM, "out of memory")
        if isinstance(error, NoRoom) or error.errno in NO_ROOM:
            remove_partial(Path(target))
        if isinstance(error, NoRoom):
            raise
        no_room(error, "copying your submission")
        raise
    return staged


def _copy_folder(fd: int, target: Path, prefix: str, depth: int, staged: Staged) -> None:
    # Every entry counts against the cap, whatever it is (a link, a FIFO, a skipped folder).
    # A folder may hold 200,000: a bounded number is read, sorted (the same files are kept
    # on every file system for any folder under that bound), and the first over the cap
    # stops the copy.
    with os.scandir(fd) as listing:
        entries = sorted(itertools.islice(listing, 4 * MAX_FILES), key=lambda e: e.name)
    for entry in entries:
        if staged.full:
            return
        relative = prefix + entry.name
        staged.seen += 1
        if staged.seen > MAX_FILES:
            # Stop here: a folder of 200,000 entries must not cost a refusal line each.
            staged.refused.append(f"{shown(relative)}: over the limit of {MAX_FILES} files "
                                  "and folders (it and what follows are not copied)")
            staged.full = True
            return
        if entry.is_dir(follow_symlinks=False):
            if entry.name in SKIPPED_FOLDERS:
                continue
            _copy_subfolder(fd, entry.name, target, relative, depth, staged)
        elif entry.is_file(follow_symlinks=False):
            _copy_file(fd, entry.name, target, relative, staged)
        else:
            staged.refused.append(f"{shown(relative)}: {_kind(_lmode(fd, entry.name))}")


def _lmode(fd: int, name: str) -> int:
    try:
        return os.lstat(name, dir_fd=fd).st_mode
    except OSError:
        return 0


def _copy_subfolder(fd: int, name: str, target: Path, relative: str, depth: int,
                    staged: Staged) -> None:
    if depth + 1 >= MAX_DEPTH:
        staged.refused.append(f"{shown(relative)}/: folders nested more than {MAX_DEPTH} deep")
        return
    try:
        inner = open_folder(Path(name), dir_fd=fd)
    except UnsafeFile as error:
        staged.refused.append(f"{shown(relative)}/: {error.strerror}")
        return
    try:
        staged.files += 1
        os.mkdir(target / name, 0o755)
        _copy_folder(inner, target / name, relative + "/", depth + 1, staged)
    finally:
        os.close(inner)


def _copy_file(fd: int, name: str, target: Path, relative: str, staged: Staged) -> None:
    per_file = NOTEBOOK_BYTES if name.endswith(".ipynb") else FILE_BYTES
    cap = min(per_file, TOTAL_BYTES - staged.bytes)
    try:
        data = read_file(name, fd, cap)
    except UnsafeFile as error:
        why = error.strerror
        if cap < per_file and "limit" in (why or ""):
            why = f"over the {_size(TOTAL_BYTES)} limit for all files together"
        staged.refused.append(f"{shown(relative)}: {why}")
        return
    staged.files += 1
    staged.bytes += len(data)
    # Readable by all, inside the runner's private (0700) scratch folder: a sandbox can
    # bind the copy as it is, without copying it again.
    fd_out = os.open(target / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd_out, "wb") as handle:
        handle.write(data)


def refused_note(refused: list[str], most: int = 20) -> str | None:
    """The feedback paragraph naming the files that were not graded, or None."""
    if not refused:
        return None
    lines = [f"- `{r}`" for r in refused[:most]]
    if len(refused) > most:
        lines.append(f"- ... and {len(refused) - most} more")
    return ("**Files left out of your submission** (only regular files are graded, up to "
            f"{_size(FILE_BYTES)} each, {_size(NOTEBOOK_BYTES)} for a notebook, "
            f"{_size(TOTAL_BYTES)} and {MAX_FILES} files in all):\n" + "\n".join(lines))
