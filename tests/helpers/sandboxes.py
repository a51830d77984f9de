"""The sandbox backends that run here, and the student and handler of the sandbox's cases
(tests/fixtures/sandbox_cases): shared by the tests of tests/sandbox."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from adkit.sandbox import SandboxError, choose
from adkit.sandbox.common import Backend
from tests.helpers import FIXTURES

CASES = FIXTURES / "sandbox_cases"
HANDLER = CASES / "handler.py"
HELPER = CASES / "helper.py"
STUDENT = CASES / "student.py"


@functools.cache
def backend_or_why(name: str) -> Backend | str:
    """The backend, or why it cannot run here."""
    try:
        return choose._make(name)
    except SandboxError as exc:
        return str(exc)


def backend_param(name: str) -> object:
    """A parameter `name`, skipped (saying why) where that backend cannot run."""
    why = backend_or_why(name)
    return pytest.param(name, id=name, marks=pytest.mark.skipif(
        isinstance(why, str), reason=f"{name} cannot run here: {why}"))


MODES = [backend_param("bubblewrap"), backend_param("container"),
         backend_param("trusted")]
ISOLATING = [backend_param("bubblewrap"), backend_param("container")]


def with_token(token: str) -> list[int]:
    """Live processes (not this one) whose command line holds `token`."""
    pids = []
    for entry in os.scandir("/proc"):
        try:
            if token.encode() in Path(f"/proc/{entry.name}/cmdline").read_bytes():
                pids.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return [pid for pid in pids if pid != os.getpid()]
