"""Unpacking zip and tar archives safely into a private folder.

Archives are hostile input like student folders are: a member may name a path outside the
target (`../x`, `/etc/x`, `C:\\x`), be a link or a device, be repeated, or decompress to far
more than its size (a zip bomb). Every member is checked before a byte is written; only
regular files and folders are created (with O_EXCL | O_NOFOLLOW, in folders we made), under
caps on the count, the size of each file, the total and the compression ratio. Each refused
member is named, with why, for the student's feedback.

Every member counts against the cap on members, whatever it is (a folder, a link, a device,
an empty name, macOS's metadata): an archive of 200,000 folders is refused at the first
member over the cap, without reading the rest (for a zip, before its central directory is
parsed). When the machine runs out of disk space, inodes or open files meanwhile,
`staging.NoRoom` is raised and the partial copy removed: that student is not graded, the
run goes on.
"""

from __future__ import annotations

import errno
import io
import lzma
import os
import stat
import struct
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from adkit.intake.staging import (
    FILE_BYTES,
    MAX_DEPTH,
    MAX_FILES,
    NOTEBOOK_BYTES,
    TOTAL_BYTES,
    NoRoom,
    UnsafeFile,
    no_room,
    remove_partial,
    shown,
)

SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
MAX_RATIO = 100  # uncompressed / compressed, for members over RATIO_FLOOR bytes
RATIO_FLOOR = 1024**2
_CHUNK = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class Caps:
    """Limits for one archive: members, bytes per file and in all, whether archives inside
    it may be opened later (the cohort's archive) or are refused (a student's)."""

    members: int
    file_bytes: int
    notebook_bytes: int
    total_bytes: int
    nested: bool

    def per_file(self, name: str) -> int:
        return self.notebook_bytes if name.endswith(".ipynb") else self.file_bytes


STUDENT = Caps(MAX_FILES, FILE_BYTES, NOTEBOOK_BYTES, TOTAL_BYTES, nested=False)
# A whole cohort: one student's archive may be a file of up to a student's total.
COHORT = Caps(200 * MAX_FILES, TOTAL_BYTES, TOTAL_BYTES, 4 * 1024**3, nested=True)


def is_archive(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def stem(name: str) -> str:
    """The name without its archive suffix: `s1.tar.gz` -> `s1`."""
    lower = name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


@dataclass
class Unpacked:
    """What unpacking wrote and refused (member names, for feedback)."""

    folder: Path
    refused: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    newest: float = 0.0
    members: int = 0  # members looked at, of every kind (what the members cap counts)
    # A zip member's own date and time (naive: zips carry no time zone), by its path as
    # written; a Canvas bulk download's times are the submissions' (adkit/intake/lms.py).
    stamps: dict[str, tuple[int, ...]] = field(default_factory=dict)


class _TooMany(Exception):  # noqa: N818
    """The archive holds more members than the cap: stop reading it."""


def unpack(archive: Path, target: Path, caps: Caps = STUDENT,
           dir_fd: int | None = None) -> Unpacked:
    """Unpack the zip or tar `archive` into `target` (created if missing) under `caps`.

    Never raises for a bad archive: an unreadable one is a single refusal naming it. Raises
    NoRoom, `target` removed, when the machine runs out of disk space, inodes, open files or
    memory (not the archive's fault).
    """
    try:
        return _unpack(archive, Path(target), caps, dir_fd)
    except (OSError, MemoryError, NoRoom) as error:
        if isinstance(error, MemoryError):
            error = OSError(errno.ENOMEM, "out of memory")
        if not isinstance(error, NoRoom):
            try:
                no_room(error, f"unpacking {shown(archive.name)}")
            except NoRoom as room:
                error = room
        if isinstance(error, NoRoom):
            remove_partial(Path(target))
        raise error from None


def _unpack(archive: Path, target: Path, caps: Caps, dir_fd: int | None) -> Unpacked:
    result = Unpacked(target)
    os.makedirs(target, mode=0o755, exist_ok=True)
    label = shown(archive.name)
    try:
        handle = _open_regular(archive, dir_fd, 2 * caps.total_bytes)
    except UnsafeFile as error:
        result.refused.append(f"{label}: {error.strerror}")
        return result
    with handle:
        result.newest = os.fstat(handle.fileno()).st_mtime
        try:
            if zipfile.is_zipfile(handle):
                _unzip(handle, result, caps, label)
            else:
                handle.seek(0)
                _untar(handle, result, caps, label)
        except _TooMany:
            pass  # refused already, by name
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError,
                RuntimeError, NotImplementedError, struct.error) as error:
            no_room(error, f"unpacking {label}")
            result.refused.append(f"{label}: not a readable zip or tar archive (damaged, "
                                  "cut short or of another kind): make it again and hand it "
                                  "in again")
    return result


def top_entries(archive: Path, most: int = MAX_FILES) -> list[tuple[str, bool]] | None:
    """The first entries of the zip or tar `archive` as (name, is a folder), read from its
    members' names only (nothing is unpacked), inside the one folder that wraps everything
    if there is one; None when it cannot be read. At most `most` members are looked at.

    This tells a bulk download of a learning-management system (entries in its naming)
    from one student's archive before it is unpacked under a student's caps.
    """
    names: list[str] = []
    try:
        with _open_regular(archive, None, 2 * COHORT.total_bytes) as handle:
            if handle.read(4) == b"PK\x03\x04" and not zipfile.is_zipfile(handle):
                names = _local_names(handle, most)  # cut short: no directory at its end
            elif zipfile.is_zipfile(handle):
                cut = _first_members(handle, most)
                if cut is None:
                    return None
                with zipfile.ZipFile(cut) as opened:
                    names = [i.filename for i in opened.infolist()[:most]]
            else:
                handle.seek(0)
                with tarfile.open(fileobj=handle, mode="r:*") as opened:
                    while len(names) < most and (member := opened.next()) is not None:
                        opened.members.clear()
                        names.append(member.name + ("/" if member.isdir() else ""))
                        if opened.offset > 2 * TOTAL_BYTES:  # decompressed while skipping
                            break
    except (UnsafeFile, zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError,
            RuntimeError, NotImplementedError, struct.error, zlib.error, lzma.LZMAError):
        return None
    paths: list[tuple[list[str], bool]] = []  # (parts, names a folder)
    for name in names:
        parts = member_path(name)
        if isinstance(parts, list) and not is_metadata(name):
            paths.append((parts, name.endswith("/")))
    tops = {p[0] for p, _ in paths}
    if len(tops) == 1 and tops != {"simpleautodiff"} and all(len(p) > 1 or d for p, d in paths):
        paths = [(p[1:], d) for p, d in paths if len(p) > 1]  # one folder wraps everything
    found: dict[str, bool] = {}
    for parts, is_dir in paths:
        found[parts[0]] = found.get(parts[0], False) or len(parts) > 1 or is_dir
    return sorted(found.items())


def _local_names(handle: IO[bytes], most: int) -> list[str]:
    """The names in a zip's local headers, from its start: what a zip cut short (a download
    that stopped) still tells. Stops at the first member whose size follows its data."""
    names: list[str] = []
    at = 0
    while len(names) < most:
        handle.seek(at)
        head = handle.read(30)
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            break
        flags = struct.unpack("<H", head[6:8])[0]
        packed, _, length, extra = struct.unpack("<2L2H", head[18:30])
        names.append(handle.read(length).decode("utf-8" if flags & 0x800 else "cp437",
                                                "replace"))
        if flags & 8:
            break
        at += 30 + length + extra + packed
    return names


def _count(result: Unpacked, caps: Caps, label: str, name: str) -> None:
    """Count one member of any kind; past the cap, refuse it and the rest (_TooMany)."""
    result.members += 1
    if result.members > caps.members:
        _too_many(result, caps, label, f" from {shown(name)} on")


def _too_many(result: Unpacked, caps: Caps, label: str, where: str = "") -> None:
    result.refused.append(f"{label}: more than {caps.members} members (files, folders and "
                          f"links all count), so the rest of the archive{where} is not "
                          "unpacked: hand in fewer files")
    raise _TooMany


def _first_members(handle: IO[bytes], most: int) -> IO[bytes] | None:
    """The zip `handle` as if its central directory listed only its first `most` + 1
    members when it lists more, else `handle` itself; None when that cannot be made (then
    the whole archive is refused).

    zipfile parses the whole central directory before we see a member (200,000 of them in
    a 10 MB zip), so its headers are walked here, no further than `most` + 1, and zipfile
    is given a view that ends there, with an end record of our own.
    """
    end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]  # there since Python 2
    if end is None:
        return handle  # not a zip after all: zipfile says so
    size, offset = end[5], end[6]  # _ECD_SIZE, _ECD_OFFSET
    start = end[9] - size  # _ECD_LOCATION: the directory ends where its end record begins
    if end[0] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
        start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore
    count, at = 0, 0
    while at + 46 <= size and count <= most:
        handle.seek(start + at)
        header = handle.read(46)
        if len(header) < 46 or header[:4] != b"PK\x01\x02":
            return handle  # damaged: zipfile says so
        name, extra, comment = struct.unpack("<3H", header[28:34])
        at += 46 + name + extra + comment
        count += 1
    if count <= most or at >= size:
        return handle
    if count > 0xFFFF or offset > 0xFFFFFFFF or at > 0xFFFFFFFF or start < 0:
        return None  # would need a zip64 end record: a cohort of over 65,535 members
    tail = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, at, offset, 0)
    return io.BufferedReader(_Cut(handle, start + at, tail))


class _Cut(io.RawIOBase):
    """The bytes of `handle` up to `end_at`, then `tail`: a zip cut after some members."""

    def __init__(self, handle: IO[bytes], end_at: int, tail: bytes) -> None:
        super().__init__()
        self.handle, self.end_at, self.tail, self.pos = handle, end_at, tail, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        base = (0, self.pos, self.end_at + len(self.tail))[whence]
        self.pos = max(base + pos, 0)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if self.pos < self.end_at:
            self.handle.seek(self.pos)
            data = self.handle.read(min(len(buffer), self.end_at - self.pos))
        else:
            data = self.tail[self.pos - self.end_at:self.pos - self.end_at + len(buffer)]
        buffer[:len(data)] = data
        self.pos += len(data)
        return len(data)


def _open_regular(path: Path, dir_fd: int | None, cap: int) -> IO[bytes]:
    """The archive opened for reading: a regular file (no link followed), under `cap`."""
    try:
        fd = os.open(path, _OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as error:
        raise UnsafeFile(error.errno, "a symbolic link or unreadable (hand in the archive "
                                      "itself)") from None
    info = os.fstat(fd)
    why = None
    if not stat.S_ISREG(info.st_mode):
        why = "not a regular file"
    elif info.st_nlink > 1:
        why = "a hard link to another file (hand in a copy of the archive)"
    elif info.st_size > cap:
        why = f"an archive of {info.st_size / 1024**2:.1f} MiB, over the limit of " \
              f"{cap / 1024**2:.0f} MiB"
    if why:
        os.close(fd)
        raise UnsafeFile(0, why)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def is_metadata(name: str) -> bool:
    """macOS's `__MACOSX/` and `.DS_Store` members: left out silently, as staging leaves out
    `__pycache__` (every zip made on a Mac has them; they are not the student's work)."""
    parts = name.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or parts[-1] == ".DS_Store"


def member_path(name: str) -> list[str] | str:
    """The parts of a member's path inside the target, or why it is refused."""
    name = name.replace("\\", "/")  # archives made on Windows
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "an absolute path (refused: it would be written outside your folder)"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return "a path with `..` (refused: it would be written outside your folder)"
    if not parts or any("\0" in p or len(p.encode()) > 255 for p in parts):
        return "not a usable file name"
    if len(parts) > MAX_DEPTH:
        return f"folders nested more than {MAX_DEPTH} deep"
    return parts


def _check(result: Unpacked, caps: Caps, name: str, size: int, packed: int | None,
           ) -> list[str] | str:
    """The member's path parts if it may be written, else why not."""
    parts = member_path(name)
    if isinstance(parts, str):
        return parts
    if is_archive(parts[-1]) and not caps.nested:
        return "an archive inside an archive (only one level is opened): hand in its files"
    if size > caps.per_file(parts[-1]):
        return f"{size / 1024**2:.1f} MiB, over the {caps.per_file(parts[-1]) / 1024**2:.0f} " \
               "MiB limit per file"
    if result.bytes + size > caps.total_bytes:
        return f"over the {caps.total_bytes / 1024**2:.0f} MiB limit for all files together"
    if packed is not None and size > RATIO_FLOOR and size > MAX_RATIO * max(packed, 1):
        return f"compressed {size // max(packed, 1)} times (a zip bomb?), over the limit " \
               f"of {MAX_RATIO}"
    return parts


def _unzip(handle: IO[bytes], result: Unpacked, caps: Caps, label: str) -> None:
    cut = _first_members(handle, caps.members)
    if cut is None:
        _too_many(result, caps, label)
    with zipfile.ZipFile(cut) as archive:
        for info in archive.infolist():
            _count(result, caps, label, info.filename)
            if is_metadata(info.filename):
                continue
            where = f"{label}: {shown(info.filename)}"
            mode = info.external_attr >> 16
            if info.is_dir():
                parts = member_path(info.filename)
                if isinstance(parts, str):
                    result.refused.append(f"{where}: {parts}")
                else:
                    _folder(result.folder, parts)
                continue
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG) and info.create_system == 3:
                result.refused.append(f"{where}: {_kind(mode)}")
                continue
            if info.flag_bits & 1:
                result.refused.append(f"{where}: encrypted (hand in an archive without a "
                                      "password)")
                continue
            parts = _check(result, caps, info.filename, info.file_size, info.compress_size)
            if isinstance(parts, str):
                result.refused.append(f"{where}: {parts}")
                continue
            when = time.mktime((*info.date_time, 0, 0, -1))
            result.stamps["/".join(parts)] = tuple(info.date_time)
            _guarded(result, where, _write_zip, archive, info, result, caps, parts, when, where)


def _untar(handle: IO[bytes], result: Unpacked, caps: Caps, label: str) -> None:
    packed = os.fstat(handle.fileno()).st_size
    read = 0  # bytes decompressed, written or skipped: skipping a member decompresses it
    with tarfile.open(fileobj=handle, mode="r:*") as archive:
        while (member := archive.next()) is not None:
            archive.members.clear()  # do not keep every header in memory
            _count(result, caps, label, member.name)
            if is_metadata(member.name):
                continue
            where = f"{label}: {shown(member.name)}"
            read += member.size
            if read > max(MAX_RATIO * packed, 2 * caps.total_bytes):
                result.refused.append(f"{where}: the archive decompresses to over "
                                      f"{MAX_RATIO} times its size (a bomb?): the rest of "
                                      "it is not read")
                return
            if member.isdir():
                parts = member_path(member.name)
                if isinstance(parts, str):
                    result.refused.append(f"{where}: {parts}")
                else:
                    _folder(result.folder, parts)
                continue
            if not member.isreg():
                result.refused.append(f"{where}: {_tar_kind(member)}")
                continue
            parts = _check(result, caps, member.name, member.size, None)
            if isinstance(parts, str):
                result.refused.append(f"{where}: {parts}")
                continue
            source = archive.extractfile(member)
            if source is not None:
                _guarded(result, where, _write, result, caps, parts, source,
                         float(member.mtime), where)


def _write_zip(archive: zipfile.ZipFile, info: zipfile.ZipInfo, result: Unpacked, caps: Caps,
               parts: list[str], when: float, where: str) -> None:
    with archive.open(info) as member:
        _write(result, caps, parts, member, when, where)


def _guarded(result: Unpacked, where: str, write: Callable[..., None], *args: object) -> None:
    """Run `write(*args)`; a damaged member (bad CRC, truncated data, an unknown compression)
    is refused alone and the rest of the archive is still read."""
    try:
        write(*args)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError,
            OSError, NotImplementedError, RuntimeError) as error:
        no_room(error, f"unpacking {where}")
        result.refused.append(f"{where}: damaged or unreadable (a bad checksum, data cut "
                              "short or a compression method this kit does not read)")


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link (hand in the file itself)"
    if stat.S_ISDIR(mode):
        return "a folder marked as a file"
    return "a device, FIFO or other special file, not a regular file"


def _tar_kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "a symbolic link (hand in the file itself)"
    if member.islnk():
        return "a hard link (hand in the file itself)"
    return "a device, FIFO or other special file, not a regular file"


def _folder(root: Path, parts: list[str]) -> Path | None:
    """root/parts, made folder by folder; None when a part exists and is not a folder."""
    path = root
    for part in parts:
        path = path / part
        try:
            os.mkdir(path, 0o755)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                return None
    return path


def _write(result: Unpacked, caps: Caps, parts: list[str], source: IO[bytes], when: float,
           where: str) -> None:
    """Copy one member under the caps (declared sizes may lie); refuse it when over them."""
    parent = _folder(result.folder, parts[:-1])
    if parent is None:
        result.refused.append(f"{where}: its folder is also a file in the archive")
        return
    cap = min(caps.per_file(parts[-1]), caps.total_bytes - result.bytes)
    path = parent / parts[-1]
    try:
        fd = os.open(path, _WRITE_FLAGS, 0o644)
    except FileExistsError:
        result.refused.append(f"{where}: a second member of the same name")
        return
    except OSError as error:
        no_room(error, f"unpacking {where}")
        result.refused.append(f"{where}: could not be written ({shown(error.strerror or '')})")
        return
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(min(_CHUNK, cap + 1 - written)):
                written += len(chunk)
                if written > cap:
                    break
                out.write(chunk)
    except BaseException:
        os.unlink(path)  # no half-written member stays
        raise
    if written > cap:
        os.unlink(path)
        result.refused.append(f"{where}: decompresses past the size limits (a zip bomb?)")
        return
    os.utime(path, (when, when))
    result.files += 1
    result.bytes += written
    result.newest = max(result.newest, when)


def settle_times(folder: Path, when: float) -> None:
    """Give `folder` and its subfolders the time `when` (the newest of what they hold), so
    that a rerun sees an unchanged archive as unchanged (adkit.cohort.runner.is_current)."""
    for path, _, _ in os.walk(folder):
        os.utime(path, (when, when))
