"""The sentences students read in `Reply.problem`, and the caps on student-derived text."""

from __future__ import annotations

import signal
from typing import Any

from adkit.sandbox.common import CHANNEL_LOST, Limits, wall_backstop

PROBLEM_BYTES = 2048  # a problem is one sentence; the entry caps messages in characters too

_CHANNEL = {
    "too_big": None,  # worded with the limit below
    "garbage": "wrote something that is not an answer on the grader's private channel",
    "closed": "closed or broke the grader's private channel",
    "stale": "stopped between two calls",
}


def size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:g} {unit}"
        n /= 1024
    return f"{n:g} GiB"


def cap(text: Any, most: int) -> str:
    """An exact str of at most `most` UTF-8 bytes, without lone surrogates. `text` comes
    from json.loads or from our own code: str subclasses are treated as str all the same."""
    if type(text) is not str:
        text = str.__str__(text) if isinstance(text, str) else str(text)
    data = text.encode("utf-8", "replace")
    if len(data) <= most:
        return data.decode("utf-8", "ignore")
    return data[:max(most - 3, 0)].decode("utf-8", "ignore") + "..."


def exit_problem(code: int, limits: Limits, out_of_memory: bool = False) -> str:
    """The sentence for a worker that ended with `code` (negative: killed by that signal)."""
    if code == CHANNEL_LOST:
        return "closed or broke the grader's private channel"
    if code >= 0:
        return f"the process exited with status {code} (sys.exit or os._exit in your code?)"
    number = -code
    if number == signal.SIGXCPU:
        return f"used more than {limits.cpu_seconds} s of CPU time (an infinite loop?)"
    if number == signal.SIGXFSZ:
        return f"wrote more than {size(limits.file_bytes)} to a file"
    if number == signal.SIGKILL and out_of_memory:
        return (f"ran out of memory (limit {size(limits.memory_bytes)} for all its "
                "processes together)")
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    hint = {signal.SIGSEGV: " (a recursion too deep?)",
            signal.SIGKILL: " (out of memory?)"}.get(number, "")
    return f"crashed: killed by {name}{hint}"


def frame_problem(outcome: dict | str, seconds: float, limits: Limits,
                  disk_room: int | None) -> tuple[str, bool]:
    """The sentence for a failed exchange (a word) or an error frame, and whether the worker
    may keep running. The frame's fields are the student's process's words: capped."""
    if outcome == "timeout":
        return (f"did not finish within {seconds:.3g} s of CPU time (an infinite loop?)",
                False)
    if outcome == "idle":
        return (f"did not finish within {wall_backstop(seconds):.3g} s, using little of its "
                f"{seconds:.3g} s of CPU time: it waited (a sleep, or a read that never "
                "ends?)"), False
    if outcome == "too_big":
        return f"gave an answer larger than {size(limits.reply_bytes)}", False
    if isinstance(outcome, str):
        return _CHANNEL.get(outcome) or cap(outcome, PROBLEM_BYTES), False
    kind = outcome.get("kind")
    detail = cap(outcome.get("detail"), PROBLEM_BYTES)
    where = outcome.get("where")
    where = f" (at {cap(where, 512)})" if isinstance(where, str) and where else ""
    keep = not outcome.get("fatal")
    if kind == "exception":
        return cap(f"raised {detail}{where}", PROBLEM_BYTES), keep
    if kind == "import":
        return cap(f"importing the code raised {detail}{where}", PROBLEM_BYTES), keep
    if kind == "memory":
        return f"ran out of memory (limit {size(limits.memory_bytes)})", False
    if kind == "processes":
        return f"was killed: too many processes (limit {limits.processes})", False
    if kind == "file_size":
        return f"wrote more than {size(limits.file_bytes)} to a file", keep
    if kind == "disk":
        room = f" (limit {size(disk_room)})" if disk_room else ""
        return f"ran out of disk space for its files{room}", keep
    if kind == "exit":
        return (f"the process exited with status {detail} "
                "(sys.exit or os._exit in your code?)"), keep
    if kind == "encode":
        return cap(f"gave an answer that cannot be sent as JSON ({detail})", PROBLEM_BYTES), keep
    return "sent an answer the grader cannot read", False
