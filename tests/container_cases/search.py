"""A disk search as a hostile student would write it, shared by the hostile submission in
hostile_searches_every_file/ and search_handler.py (which returns what it found).

Every readable file of any folder counts, and the places a grader's files could be reached
from: the root and working folder of every process (/proc/*/root, /proc/*/cwd), open
descriptors (/proc/self/fd), /dev/shm, /tmp, the home and working folders, then all of /.
A file "holds a solution" when it is Python (or an autograder zip) defining the graded
functions without leaving them unfinished.
"""

import glob
import os
import time
import zipfile

SIGNS = (b"def topological_order", b"def reverse_mode", b"def forward_mode",
         b"### BEGIN SOLUTION", b"child_nodes")
_SKIP = {"/sys", "/proc", "/dev/pts"}  # /proc: through the links above


def roots():
    """Where other people's files are likely first (the working folders of other processes,
    their roots when they differ from ours), then everywhere."""
    links = glob.glob("/proc/[0-9]*/cwd") + glob.glob("/proc/[0-9]*/root")
    for link in links:
        try:
            if os.path.realpath(link) != "/":
                yield link
        except OSError:
            continue
    yield from glob.glob("/proc/self/fd/*")
    yield from ("/autograder", "/work", "/home", "/root", "/srv", "/opt", "/mnt", "/builds",
                "/dev/shm", "/tmp", "/var/tmp", os.path.expanduser("~"), os.getcwd(), "/")


def holds_solution(path):
    try:
        if path.endswith(".zip"):
            with zipfile.ZipFile(path) as bundle:
                return any(name.endswith(".py") and b"def reverse_mode" in bundle.read(name)
                           for name in bundle.namelist()[:2000])
        with open(path, "rb") as handle:
            data = handle.read(1 << 20)
    except Exception:  # noqa: BLE001 - unreadable, not a zip, vanished: nothing to take
        return False
    return (sum(sign in data for sign in SIGNS) >= 2 and b"NotImplementedError" not in data)


def search(own, budget):
    """(files that hold a solution, folders named simpleautodiff with an __init__.py, whether
    the search went through everything) readable from here, outside `own`, within `budget`
    seconds."""
    start, seen, files, packages = time.monotonic(), set(), [], []
    for top in roots():
        for folder, dirs, names in os.walk(top):
            if time.monotonic() - start > budget:
                return files, packages, False
            try:
                real = os.path.realpath(folder)
                key = os.stat(folder)
            except OSError:
                continue
            ident = (key.st_dev, key.st_ino)
            if ident in seen or real.startswith(own) or folder in _SKIP:
                dirs[:] = []
                continue
            seen.add(ident)
            dirs[:] = [d for d in dirs if os.path.join(folder, d) not in _SKIP]
            if os.path.basename(folder) == "simpleautodiff" and "__init__.py" in names:
                packages.append(folder)
            for name in names:
                path = os.path.join(folder, name)
                if name.endswith((".py", ".zip", ".txt", ".ipynb", ".json")) \
                        and holds_solution(path):
                    files.append(path)
    return files, packages, True
