"""A sandbox handler that runs search.py from inside the worker: what could a student take?"""

import os
import time

import search


def handle(request):
    budget = request.get("budget", 20.0)
    own = os.path.realpath(os.getcwd())
    files, packages, complete = search.search(own, budget)
    readable, start = 0, time.monotonic()
    for folder, dirs, names in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in ("/proc", "/sys")]
        readable += sum(os.access(os.path.join(folder, name), os.R_OK) for name in names)
        if time.monotonic() - start > budget:
            break
    return {"files": files[:20], "packages": packages[:20], "complete": complete,
            "readable": readable}
