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


def read_into(fd: int, buffer: bytearray, cap: int) -> tuple[int, bool]:
    """Append what is readable now: (bytes read, whether at end of file). Reading stops at
    the end of the first line, or once `buffer` holds more than `cap` bytes: a reply is
    never read further than its cap allows, whatever the worker writes."""
    read = 0
    while b"\n" not in buffer and len(buffer) <= cap:
        try:
            chunk = os.read(fd, min(READ_CHUNK, cap + 1 - len(buffer)))
        except BlockingIOError:
            return read, False
        if not chunk:
            return read, True
        buffer += chunk
        read += len(chunk)
    return read, False


def too_long(buffer: bytearray, cap: int) -> bool:
    """Whether the first line in `buffer` is longer than `cap` bytes (or will be)."""
    end = buffer.find(b"\n")
    return (end if end >= 0 else len(buffer)) > cap


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


class Encoded(dict):
    """A request (a dict, read-only) with its JSON, made once (`encoded`): one the same for
    every student (the big graphs' wiring, some 5 MB) is encoded once per grading job, not
    once per student (30-40 ms each, measured)."""

    json: bytes = b""


def encoded(request: dict) -> Encoded:
    """`request`, carrying its JSON for `request_line` (ASCII: json escapes the rest)."""
    out = Encoded(request)
    out.json = json.dumps(request).encode()
    return out


def request_line(token: str, request: dict, task: str | None = None,
                 final: bool = False) -> bytes:
    """One request frame; with `task`, the worker serves it in that task's forked child,
    or, when `final` (no other task follows), in the worker itself."""
    tagged = "" if task is None else f'"task":{json.dumps(str(task))},'
    if task is not None and final:
        tagged += '"final":true,'
    body = request.json if isinstance(request, Encoded) else json.dumps(request).encode()
    return b"".join([f'{{"id":"{token}",{tagged}"request":'.encode(), body, b"}\n"])


# The longest integer a frame may hold: every index and count of an answer fits in far
# fewer digits, and a longer one (10**400) would overflow float() in the grader.
INT_DIGITS = 18


class Unfit:
    """What a number the grader refuses decodes to: an integer too long to be an index.
    Its type is no type an answer declares, so validation names it without arithmetic."""

    def __init__(self, text: str) -> None:
        self.digits = len(text.lstrip("-"))

    def __repr__(self) -> str:
        return f"<an integer of {self.digits} digits>"


def _parse_int(text: str) -> int | Unfit:
    return int(text) if len(text.lstrip("-")) <= INT_DIGITS else Unfit(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("a key repeated in one object")
    return found


def decode(line: bytes) -> Any:
    """A frame's JSON, or None when it is not one: invalid, nested past the recursion
    limit (RecursionError, raised before it costs anything) or holding a key twice. Long
    integers decode to `Unfit`; NaN and Infinity to floats (wrong answers, judged as such).
    The caller has already bounded the line's length."""
    try:
        return json.loads(line, parse_constant=_parse_constant, parse_int=_parse_int,
                          object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):
        return None


def _parse_constant(name: str) -> float:
    return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]
