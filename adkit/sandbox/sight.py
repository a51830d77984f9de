"""What a container worker can see: run as one (chrooted into the tree, under a uid of its
own), it reports every file it can read that it should not.

Started by ContainerBackend.check_secrets through jail.LAUNCHER with a JSON object on stdin:
`root` (the tree's [device, inode]), `allowed` (the host files the tree holds), `own` (this
probe's own box), `paths` (every path in the tree, as root found them: a file under a folder
the worker may enter but not list is tried too), `needles` (lines of the kit's solution
regions) and `digests` (size -> SHA-256 of every file of the kit's secret folders). It walks
its whole view from /, as a disk search would (any folder, hidden files, /proc, /dev/shm,
/tmp, its open descriptors), and prints a JSON list of findings; [] means nothing to take.
Standard library only.
"""

import hashlib
import json
import os
import stat
import sys

_MOST = 50  # findings reported
_TEXT_BYTES = 4 * 1024**2  # files scanned for solution lines up to this size
_LINES = 3  # a file holding this many distinct solution lines holds a solution (one or two
# short lines, like `for parent in parents:`, occur in the standard library too)


def _content(path, size, needles, digests):
    """Why the file at `path` holds the kit's secrets, or ''."""
    want = digests.get(str(size))
    scan = bool(needles) and size <= _TEXT_BYTES
    if not want and not scan:
        return ""
    with open(path, "rb") as handle:
        head = handle.read(8192)
        scan = scan and b"\0" not in head  # text only: bytecode, libraries are not read
        if not want and not scan:
            return ""
        data = head + handle.read(max(size, 0) + 1)
    if want and hashlib.sha256(data).hexdigest() in want:
        return "a copy of a file of the kit's secret folders"
    if scan:
        lines = {line.strip() for line in data.split(b"\n")}
        hits = lines & needles
        if len(hits) >= _LINES:
            return f"{len(hits)} line(s) of the reference's solution regions"
    return ""


def look(given):
    found = []
    allowed = set(given["allowed"])
    own = given["own"].rstrip("/") + "/"
    needles = {line.encode() for line in given["needles"]}
    digests = {size: set(values) for size, values in given["digests"].items()}
    top = os.stat("/")
    if [top.st_dev, top.st_ino] != given["root"]:
        found.append("/ is not the worker tree (the chroot did not take)")
    for path in ("/proc/self", "/proc/1", "/dev/shm", "/sys/kernel"):
        if os.path.lexists(path):
            found.append(f"{path} exists")
    for fd in range(3, 1024):
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode):
            found.append(f"descriptor {fd} is an open file or folder")
    seen = set()
    todo = ["/"]
    while todo and len(found) < _MOST:
        folder = todo.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            seen.add(entry.path)
            _check(entry.path, own, allowed, needles, digests, found, todo)
    for path in given["paths"]:  # under folders it cannot list
        if path not in seen and len(found) < _MOST:
            _check(path, own, allowed, needles, digests, found, None)
    return found


def _check(path, own, allowed, needles, digests, found, todo):
    try:
        info = os.lstat(path)
    except OSError:
        return
    mine = path.startswith(own)
    if stat.S_ISDIR(info.st_mode):
        if not mine and os.access(path, os.W_OK):
            found.append(f"{path}/ (writable)")
        if todo is not None:
            todo.append(path)
        return
    if stat.S_ISLNK(info.st_mode):
        return  # its target is in the tree too, and checked there
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError:
        return  # not readable: nothing to take
    if not stat.S_ISREG(info.st_mode):
        found.append(f"{path} (a readable device, socket or pipe)")
        return
    if not mine and path not in allowed:
        found.append(f"{path} (not in the allowed set)")
        return
    try:
        why = _content(path, info.st_size, needles, digests)
    except OSError:
        return
    if why:
        found.append(f"{path} ({why})")


if __name__ == "__main__":
    print(json.dumps(look(json.loads(sys.stdin.read()))))
