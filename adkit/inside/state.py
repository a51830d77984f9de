"""The worker's state, held in one place and set through `use` (never by writing its names).

What a worker keeps between calls: the student's package (or why it failed to import), the
big graphs built before the tasks fork, notebook cell marks, and the graphs of operators a
`neighbours` request may still ask about. In the sandbox, one `State` lives as long as the
worker process (each task's process starts from a copy). The in-process backend
(adkit/sandbox/inprocess.py) keeps one `State` per sandbox and lends it to the handler for
each call with `use(state)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class State:
    """What one worker keeps between calls."""

    def __init__(self) -> None:
        self.loaded = False
        self.ad: Any = None  # the student's package, once imported
        self.import_error = ""  # why it failed to import, if it did
        self.kept: dict[str, Any] = {}  # graphs built once per worker, by their spec
        self.cells: dict[str, list[tuple[int, str, str]]] = {}  # notebook marks per file
        self.open: dict[int, Any] = {}  # described graphs whose neighbours may be asked for
        self.next_token = 0


_current = [State()]


def current() -> State:
    """The state of the worker the handler serves now."""
    return _current[-1]


@contextmanager
def use(state: State) -> Iterator[State]:
    """Serve with `state` for the block (the in-process backend's sandboxes, the reference)."""
    _current.append(state)
    try:
        yield state
    finally:
        _current.pop()
