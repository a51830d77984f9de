"""A sandbox handler for what student code needs: which standard library modules import, and
do the student's own modules, scratch files and temporary files work?"""

import os
import sys
import tempfile

SKIP = {"antigravity", "this", "__hello__", "__phello__", "idlelib", "tkinter", "turtle",
        "turtledemo", "test", "ensurepip", "lib2to3", "pydoc_data"}


def importable():
    """The standard library's top-level modules that import in this process."""
    ok = []
    for name in sorted(sys.stdlib_module_names - SKIP):
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - not built here, or needs what is not there
            continue
        ok.append(name)
    return ok


def handle(request):
    if request.get("only_import"):
        return importable()
    import functools
    import itertools
    import math
    import random

    import helper_mod  # the student's own module, beside their package

    with open("scratch.txt", "w") as handle:
        handle.write("kept")
    with tempfile.NamedTemporaryFile("w+", delete=False) as handle:
        handle.write("temporary")
    with open("scratch.txt") as first, open(handle.name) as second:
        files = [first.read(), second.read()]
    os.unlink(handle.name)
    return {"modules": importable(), "own": helper_mod.twice(21), "files": files,
            "math": [math.sqrt(16.0), functools.reduce(lambda a, b: a + b, range(5)),
                     list(itertools.accumulate([1, 2, 3])),
                     random.Random(1).random() == random.Random(1).random()]}
