"""A cell's reply from the sandbox, checked and made into notebook outputs (docs/course.md).

The cell runner (adkit/inside/notebook_cells.py) runs in the student's process, so its
reply is hostile data: `outputs` checks every field's type and size, escapes control
characters and returns nbformat outputs (plain dicts) that nbgrader then grades on the
host. A reply that is not what the runner sends becomes an error output of the cell
(`SandboxReplyError`): the cell fails, as a cell whose kernel misbehaved would.
"""

from __future__ import annotations

from typing import Any

from adkit.model.text import shown

STREAM_BYTES = 64 * 1024  # per stream and cell, as shown in the notebook
RESULT_BYTES = 16 * 1024
NAME_BYTES = 100
EVALUE_BYTES = 4 * 1024
LINE_BYTES = 2 * 1024
TRACEBACK_LINES = 60
DISPLAYS = 10
KEYS = {"stdout", "stderr", "result", "display", "error"}
ERROR_KEYS = {"ename", "evalue", "traceback"}


class BadReply(ValueError):
    """The reply is not what the cell runner sends; str() says what is wrong."""


def _text(value: Any, what: str, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if type(value) is not str:
        raise BadReply(f"{what} is a {type(value).__name__}, not text")
    return value


def _stream(name: str, text: str) -> dict:
    return {"output_type": "stream", "name": name, "text": shown(text, STREAM_BYTES)}


def error_output(ename: str, evalue: str, traceback: list[str] | None = None) -> dict:
    """An nbformat error output, its texts capped and escaped."""
    lines = (traceback or [])[-TRACEBACK_LINES:]
    return {"output_type": "error", "ename": shown(ename, NAME_BYTES, one_line=True),
            "evalue": shown(evalue, EVALUE_BYTES),
            "traceback": [shown(line, LINE_BYTES) for line in lines]}


def _error(value: Any) -> dict | None:
    if value is None:
        return None
    if type(value) is not dict or set(value) != ERROR_KEYS:
        raise BadReply("its error is not {ename, evalue, traceback}")
    ename = _text(value["ename"], "the error's name")
    evalue = _text(value["evalue"], "the error's message")
    traceback = value["traceback"]
    if type(traceback) is not list:
        raise BadReply("the traceback is not a list")
    lines = [_text(line, "a traceback line") for line in traceback[-TRACEBACK_LINES:]]
    return error_output(ename or "Exception", evalue or "", lines)


def outputs(value: Any, printed: str = "", count: int | None = None) -> list[dict]:
    """The outputs of one cell from the runner's reply `value` and what its processes wrote
    straight to the descriptors (`printed`); BadReply when the reply is malformed."""
    if type(value) is not dict:
        raise BadReply(f"the reply is a {type(value).__name__}, not a dict")
    if set(value) != KEYS:
        raise BadReply(f"the reply's keys are {sorted(map(str, value))[:8]}, not "
                       f"{sorted(KEYS)}")
    stdout = _text(value["stdout"], "stdout") + _text(printed, "the printed output")
    stderr = _text(value["stderr"], "stderr")
    result = _text(value["result"], "the result", allow_none=True)
    display = value["display"]
    if type(display) is not list or len(display) > DISPLAYS:
        raise BadReply(f"its display is not a list of at most {DISPLAYS} texts")
    shown_items = [_text(item, "a displayed item") for item in display]
    error = _error(value["error"])
    out = []
    if stdout:
        out.append(_stream("stdout", stdout))
    if stderr:
        out.append(_stream("stderr", stderr))
    for item in shown_items:
        out.append({"output_type": "display_data", "metadata": {},
                    "data": {"text/plain": shown(item, RESULT_BYTES)}})
    if result is not None and error is None:
        out.append({"output_type": "execute_result", "execution_count": count,
                    "metadata": {}, "data": {"text/plain": shown(result, RESULT_BYTES)}})
    if error is not None:
        out.append(error)
    return out


def checked_outputs(value: Any, printed: str = "", count: int | None = None) -> list[dict]:
    """`outputs`, or for a malformed reply one error output saying so (the cell fails)."""
    try:
        return outputs(value, printed, count)
    except BadReply as why:
        return [error_output("SandboxReplyError",
                             f"the cell's reply from the sandbox was not valid: {why}")]
