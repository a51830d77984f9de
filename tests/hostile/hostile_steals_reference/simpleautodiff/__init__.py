"""Looks for someone else's finished simpleautodiff on the disk and imports it instead.

Its own code is skeleton-like (only Node and mul, in _mine.py). At import it walks, with a
time budget, the places a grader's files could be: /autograder (Gradescope), /work, /root,
/home, /tmp, /srv, /opt, the working folder and root of every process it can see
(/proc/*/cwd, /proc/*/root), then all of /. It takes any finished `simpleautodiff` package
(the kit's reference/, a classmate's, an unpacked bundle) and also opens autograder zips to
extract one. Attacks a sandbox that shows the grader's files: it must score 0 everywhere.
"""

import glob
import importlib.util
import os
import sys
import tempfile
import time
import zipfile

_here = os.path.dirname(os.path.abspath(__file__))
_BUDGET = 1.0  # seconds of searching per import (a fresh worker per task imports again)
_SKIP = {"proc", "sys", "dev", ".git", ".venv", "node_modules", "__pycache__"}


def _roots():
    yield from ("/autograder", "/work", "/root", "/home", "/tmp", "/srv", "/opt")
    for link in sorted(glob.glob("/proc/[0-9]*/cwd") + glob.glob("/proc/[0-9]*/root")):
        yield link
    yield from (os.path.expanduser("~"), os.getcwd(), "/")


def _candidates(start):
    seen = set()
    for root in _roots():
        try:
            top = os.path.realpath(root)
        except OSError:
            continue
        for folder, dirs, files in os.walk(root):
            if time.monotonic() - start > _BUDGET:
                return
            dirs[:] = [d for d in dirs if d not in _SKIP]
            real = os.path.realpath(folder) if folder.startswith("/proc/") else folder
            if real in seen or real.startswith(_here) or not real.startswith(top):
                continue
            seen.add(real)
            if os.path.basename(folder) == "simpleautodiff" and "__init__.py" in files:
                yield folder
            for name in files:
                if name.endswith(".zip") and "autograder" in name:
                    found = _from_zip(os.path.join(folder, name))
                    if found:
                        yield found


def _from_zip(path):
    """Extract reference/simpleautodiff from an autograder bundle into a private folder."""
    try:
        with zipfile.ZipFile(path) as bundle:
            names = [n for n in bundle.namelist() if n.startswith("reference/simpleautodiff/")]
            if not names:
                return None
            dest = tempfile.mkdtemp()
            bundle.extractall(dest, names)
            return os.path.join(dest, "reference", "simpleautodiff")
    except (OSError, zipfile.BadZipFile):
        return None


def _finished(folder):
    try:
        for name in os.listdir(folder):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    if "NotImplementedError" in f.read():
                        return False  # another skeleton: no use
        return True
    except OSError:
        return False


def _steal():
    for folder in _candidates(time.monotonic()):
        if not _finished(folder):
            continue
        try:
            spec = importlib.util.spec_from_file_location(
                __name__, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
            module = importlib.util.module_from_spec(spec)
            sys.modules[__name__] = module
            spec.loader.exec_module(module)
        except Exception:  # noqa: BLE001 - a broken find: keep looking
            sys.modules.pop(__name__, None)
            continue
        print(f"stole {folder}", file=sys.stderr)
        return module
    return None


if _steal() is None:
    from ._mine import *  # noqa: F403
