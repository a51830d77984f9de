"""Hostile and LMS-shaped archives for the intake tests, built at test time."""

from __future__ import annotations

import gzip
import io
import stat
import struct
import tarfile
import zipfile

from tests.helpers import ROOT

REFERENCE = ROOT / "reference" / "simpleautodiff"


def package_members(prefix: str = "") -> dict[str, bytes]:
    """The reference package as archive members under `prefix`."""
    return {f"{prefix}simpleautodiff/{p.name}": p.read_bytes()
            for p in sorted(REFERENCE.glob("*.py"))}


def zip_bytes(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A zip of `members`, plus symbolic-link members (name -> target) made on Unix."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def zip_bomb_member(size: int = 50 * 1024**2) -> bytes:
    """A zip holding one file of `size` zero bytes (about 50 KiB compressed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("zeros.py", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                member.write(chunk)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], links: dict[str, str] | None = None,
              mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def many_folders_tar(count: int) -> bytes:
    """A .tar.gz of `count` empty folders (200,000 make 1.4 MB)."""
    headers = []
    for k in range(count):  # ustar headers by hand: TarInfo.tobuf takes seconds for these
        head = bytearray(512)
        head[0:100] = f"d{k}".encode().ljust(100, b"\0")
        head[100:148] = b"0000755\0" + b"0000000\0" * 2 + b"00000000000\0" * 2
        head[148:156] = b" " * 8
        head[156:157] = tarfile.DIRTYPE
        head[257:265] = b"ustar\x0000"
        head[148:156] = b"%06o\0 " % sum(head)
        headers.append(bytes(head))
    return gzip.compress(b"".join(headers) + b"\0" * 1024, compresslevel=6, mtime=0)


def many_folders_zip(count: int, declared: int | None = None) -> bytes:
    """A zip of `count` empty folders; with `declared`, its end record claims that many."""
    local, central = [], []
    at = 0
    for k in range(count):
        name = f"d{k}/".encode()
        head = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0,
                                   0, len(name), 0, 0, 0, 0, 0o40755 << 16 | 0x10, at) + name)
        local.append(head + name)
        at += len(head) + len(name)
    directory = b"".join(central)
    shown = count if declared is None else declared
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(shown, 0xFFFF), min(shown, 0xFFFF),
                      len(directory), at, 0)
    return b"".join(local) + directory + end


def hostile_zip() -> bytes:
    """A student's zip with every kind of member the intake refuses, and a correct package."""
    members = package_members("hw3/")
    members["../../outside.py"] = b"ESCAPED = True\n"
    members["/tmp/absolute.py"] = b"ESCAPED = True\n"
    members["hw3/..\\..\\windows.py"] = b"ESCAPED = True\n"
    members["hw3/again.zip"] = zip_bytes({"x.py": b"x = 1\n"})
    members["hw3/zeros.ipynb"] = b"\0" * (3 * 1024**2)  # 3 MiB that compress ~1000 times
    members["__MACOSX/hw3/._node.py"] = b"\0\5\26\7"  # left out silently
    members["hw3/.DS_Store"] = b"Bud1"
    return zip_bytes(members, {"hw3/stolen.py": "/work/main/reference/simpleautodiff/node.py"})
