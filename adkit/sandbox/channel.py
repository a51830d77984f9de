"""The private channel's framing on the parent's side: newline-delimited JSON on pipes."""

from __future__ import annotations

import json
import os
from typing import Any

READ_CHUNK = 1 << 20


class Capture:
    """The first `limit` bytes of output; the rest is counted and dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = max(self.limit - len(self.data), 0)
        self.data += chunk[:room]
        self.dropped += max(len(chunk) - room, 0)

    def text(self) -> str:
        # Invalid bytes become U+FFFD (3 bytes each): cap again in bytes after decoding.
        text = self.data.decode("utf-8", "replace").encode()[:self.limit].decode("utf-8", "ignore")
        if self.dropped:
            text += f"\n[... {self.dropped} more bytes of output were dropped]"
        return text


def read_into(fd: int, buffer: bytearray, cap: int) -> bool:
    """Append what is readable now; True at end of file. OverflowError past `cap`."""
    while True:
        try:
            chunk = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return False
        if not chunk:
            return True
        buffer += chunk
        if len(buffer) > cap and b"\n" not in chunk:
            raise OverflowError


def drain(fd: int, capture: Capture | None, most: int = 16 * READ_CHUNK) -> bool:
    """Read what is there now (at most `most` bytes: a thread may still be printing);
    False at end of file."""
    total = 0
    while total < most:
        try:
            chunk = os.read(fd, READ_CHUNK)
        except OSError:  # BlockingIOError: nothing more for now
            return True
        if not chunk:
            return False
        total += len(chunk)
        if capture is not None:
            capture.add(chunk)
    return True


def request_line(token: str, request: dict, task: str | None = None,
                 final: bool = False) -> bytes:
    """One request frame; with `task`, the worker serves it in that task's forked child,
    or, when `final` (no other task follows), in the worker itself."""
    tagged = "" if task is None else f'"task":{json.dumps(str(task))},'
    if task is not None and final:
        tagged += '"final":true,'
    return f'{{"id":"{token}",{tagged}"request":{json.dumps(request)}}}\n'.encode()


def decode(line: bytes) -> Any:
    try:
        return json.loads(line, parse_constant=_parse_constant)
    except (ValueError, RecursionError):
        return None


def _parse_constant(name: str) -> float:
    return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]
