"""The cell runner: runs a notebook's code cells one at a time in the worker, for
nbgrader's autograde (adkit/platforms/sandboxed_cells.py sends them; docs/course.md).

`handle({"cell": source, "name": label})` runs one cell, already turned into plain Python
on the host (`!cmd` is `get_ipython().system('cmd')`), in the namespace the earlier cells
of this notebook left, as a Jupyter kernel would, and returns what it did as plain data:
`{"stdout": str, "stderr": str, "result": str | None, "display": [str], "error": None |
{"ename": str, "evalue": str, "traceback": [str]}}`. The host checks every field before
anything of it enters a notebook or the gradebook.

The worker only ever holds the current cell: the host sends the next one (a test cell
with hidden tests, say) after this one has finished. `load()` copies the student's files
(the host staged them without any test cell) into the working directory, the kernel's
folder, so that a notebook finds its earlier notebooks and `paper_tables.py` there.
Standard library only (the container backend's worker has no site-packages); a minimal
`get_ipython()` and `IPython.display` stand in for IPython's.
"""

from __future__ import annotations

import ast
import builtins
import codeop
import linecache
import os
import shutil
import subprocess
import sys
import traceback
import types

TEXT_CHARS = 512 * 1024  # per stream and cell; the host caps again, in bytes
LINES = 200  # traceback lines kept

_compile = codeop.Compile()  # remembers `from __future__ import ...` across cells, as IPython
_namespace: dict = {}
_display: list = []
_count = [0]


class _Text:
    """A stream that keeps the first TEXT_CHARS characters and counts the rest."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def write(self, text: object) -> int:
        text = text if type(text) is str else str(text)
        room = TEXT_CHARS - self.size
        kept = text[:max(room, 0)]
        self.parts.append(kept)
        self.size += len(kept)
        self.dropped += len(text) - len(kept)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        out = "".join(self.parts)
        return out + (f"\n[... {self.dropped} more characters dropped]" if self.dropped else "")


class _Shell:
    """What `get_ipython()` gives a cell here: shell lines run inside the sandbox."""

    def system(self, command: str) -> int:
        done = subprocess.run(command, shell=True, input=b"",  # no /dev/null in every sandbox
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        sys.stdout.write(done.stdout.decode("utf-8", "replace"))
        self.user_ns["_exit_code"] = done.returncode
        return done.returncode

    def getoutput(self, command: str, split: bool = True) -> list[str] | str:
        done = subprocess.run(command, shell=True, input=b"",  # no /dev/null in every sandbox
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        text = done.stdout.decode("utf-8", "replace")
        return text.splitlines() if split else text

    def run_line_magic(self, name: str, line: str, *args: object) -> None:
        raise NotImplementedError(f"%{name} is not available when the notebook is graded")

    def run_cell_magic(self, name: str, line: str, cell: str) -> None:
        raise NotImplementedError(f"%%{name} is not available when the notebook is graded")

    @property
    def user_ns(self) -> dict:
        return _namespace


_shell = _Shell()


def _show(*objects: object, **kwargs: object) -> None:
    """IPython.display.display, as text: a drawing's own text, else its repr."""
    for item in objects:
        text = getattr(item, "data", None)
        _display.append(text if type(text) is str else repr(item))


class _Shown:
    def __init__(self, data: object = None, **kwargs: object) -> None:
        self.data = data if isinstance(data, str) else repr(data)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {len(self.data)} characters>"


def _fake_ipython() -> None:
    display = types.ModuleType("IPython.display")
    display.display = _show
    for name in ("SVG", "HTML", "Markdown", "Image", "Latex", "Math", "Pretty"):
        setattr(display, name, type(name, (_Shown,), {}))
    package = types.ModuleType("IPython")
    package.display = display
    package.get_ipython = lambda: _shell
    package.__path__ = []
    sys.modules.setdefault("IPython", package)
    sys.modules.setdefault("IPython.display", display)


def load() -> None:
    """Copy the student's staged files into the working directory; make it the kernel's."""
    source = sys.path[-1]  # the entry appends the submission folder before load()
    here = os.getcwd()
    if os.path.isdir(source) and os.path.realpath(source) != os.path.realpath(here):
        for name in sorted(os.listdir(source)):
            path = os.path.join(source, name)
            if os.path.isfile(path) and not os.path.islink(path):
                shutil.copyfile(path, os.path.join(here, name))
    sys.path.insert(0, here)  # a kernel imports from its folder first
    _fake_ipython()
    _namespace.update({"__name__": "__main__", "__builtins__": builtins,
                       "get_ipython": lambda: _shell, "display": _show})


def _traceback(exc: BaseException, filename: str) -> list[str]:
    """The exception's traceback from the cell's frame on (the kit's frames left out)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    return [line.rstrip("\n") for line in lines][-LINES:]


def handle(request: dict) -> dict:
    source = request.get("cell")
    if type(source) is not str:
        raise ValueError("the request holds no cell")
    _count[0] += 1
    filename = f"<cell {_count[0]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    out, err = _Text(), _Text()
    _display.clear()
    result = error = None
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        tree = ast.parse(source, filename, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(_compile(tree, filename, "exec"), _namespace)
        if last is not None:
            value = eval(_compile(last, filename, "eval"), _namespace)
            if value is not None:
                _namespace["_"] = value
                result = repr(value)[:TEXT_CHARS]
    except BaseException as exc:  # noqa: BLE001 - the cell's error is its output
        try:
            error = {"ename": type(exc).__name__, "evalue": str(exc)[:TEXT_CHARS],
                     "traceback": _traceback(exc, filename)}
        except BaseException:  # noqa: BLE001 - a student's __str__ may raise on purpose
            error = {"ename": "Exception", "evalue": "(an error that cannot be shown)",
                     "traceback": []}
    finally:
        sys.stdout, sys.stderr = saved
    return {"stdout": out.text(), "stderr": err.text(), "result": result,
            "display": [str(text)[:TEXT_CHARS] for text in _display[:20]], "error": error}
