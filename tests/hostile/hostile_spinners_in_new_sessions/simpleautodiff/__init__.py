"""Hostile: 28 spinning processes in sessions of their own, started at import.

Otherwise correct: tests/cohort/correct_kahn, copied in as _correct.py at test time.
"""

from __future__ import annotations

import os
import sys

# 28 processes that spin for ever, each in a session of its own (setsid in a double fork:
# its parent exits at once, so it is nobody's child and in no group of the worker's). The
# token in their command line lets tests/sandbox/test_sandbox_cpu.py look for survivors.
for _ in range(28):
    try:
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                try:
                    os.execv(sys.executable, [sys.executable, "-c", "while True: pass",
                                              "adkit-hostile-spinner-3b9d"])
                finally:
                    os._exit(1)
            os._exit(0)
        os.wait()
    except OSError:  # the sandbox's process limit: spin with what there is
        break

from ._correct import *  # noqa: E402, F403
