"""nbgrader's autograde without a kernel: each notebook's code cells run in the kit's
sandbox, one at a time, and come back as checked data (docs/course.md).

`SandboxedExecute` takes the place of nbgrader's `Execute` in
`c.Autograde.autograde_preprocessors` (assignments/nbgrader_config.py). For each notebook
it stages the student's files (their folder under autograded/, every test cell removed from
every notebook) in a private folder, opens one Sandbox on it (the kit's backend, limits,
seccomp and time-outs; adkit/inside/notebook_cells.py serves the cells), and sends the code
cells in order: the worker holds only the cell it runs, never the hidden tests of a later
one. IPython syntax (`!cmd`, `%magic`) becomes plain Python here first, with IPython's
TransformerManager (text to text: no student code runs). Each reply is checked
(adkit/platforms/cell_outputs.py) and becomes the cell's outputs; nbgrader's
SaveAutoGrades then grades data on the host, where no student code ever runs.

A cell that runs out of time gets a CellTimeoutError output, and the worker starts afresh
with the earlier cells run again; a worker that dies (exit, memory) ends the notebook as a
dead kernel does (DeadKernelError: the submission is reported NOT GRADED). Without an
isolating sandbox it refuses, unless ADKIT_TRUSTED=1 (`make ... TRUSTED=1`), which is
then written into the notebook and its feedback. ADKIT_SANDBOX names a backend.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat import from_dict
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, List, Unicode

from adkit.model.text import shown
from adkit.platforms.cell_outputs import checked_outputs, error_output
from adkit.sandbox import Backend, Limits, SandboxUnavailable, choose_backend
from adkit.sandbox.choose import backend_named

HANDLER = Path(__file__).resolve().parents[1] / "inside" / "notebook_cells.py"
KIT = Path(__file__).resolve().parents[2]
# What no worker may read, besides the course folder (checked by the container backend).
KIT_SECRETS = (KIT / "reference", KIT / "graders")
STAGE_FILES = 200  # files staged from the student's folder
STAGE_BYTES = 32 * 1024**2
UNSTAGED = {"submission_secret.txt"}  # nbgrader's feedback secret: nothing the code needs
CELL_ID = re.compile(r"[A-Za-z0-9_.-]{1,100}")
UNTRUSTED = ("graded WITHOUT an isolating sandbox (TRUSTED=1): the student's code ran "
             "with the grader's rights")


def trusted_asked() -> bool:
    return os.environ.get("ADKIT_TRUSTED", "") not in ("", "0")


@functools.cache
def course_backend(secrets: tuple[Path, ...]) -> Backend:
    """The backend the cells run in, checked against `secrets`; SandboxUnavailable (how to
    fix it) when no isolating one runs here and TRUSTED was not asked for."""
    name = os.environ.get("ADKIT_SANDBOX") or None
    if name in ("trusted", "in-process") and not trusted_asked():
        raise SandboxUnavailable(f"ADKIT_SANDBOX={name} does not isolate: set TRUSTED=1 "
                                 "(ADKIT_TRUSTED=1) to run student code without a sandbox")
    backend = backend_named(name) if name else choose_backend(trusted_asked())
    backend.check_secrets(list(secrets))
    return backend


def secrets_of(course_root: str, db_url: str,
               kit: list[str] | tuple[Path, ...] = KIT_SECRETS) -> tuple[Path, ...]:
    """The course folder, its gradebook database (when a file elsewhere) and the kit's."""
    paths = [Path(course_root)] if course_root else []
    if db_url.startswith("sqlite:///"):
        paths.append(Path(db_url[len("sqlite:///"):]))
    paths += [Path(p) for p in kit]
    return tuple(p.resolve() for p in paths if p.exists())


def check_cell_ids(nb) -> None:
    """nbgrader's cell ids, as the gradebook will store them: plain names, each once;
    ValueError (the submission is then not graded) saying which is not."""
    seen = set()
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            continue
        if type(grade_id) is not str or not CELL_ID.fullmatch(grade_id) or grade_id in seen:
            raise ValueError(f"the notebook's cell id {shown(str(grade_id), 120)!r} is not a "
                             "plain name, or is used twice: not graded")
        seen.add(grade_id)


def _without_tests(notebook: dict) -> dict:
    """A notebook with no test cell and no output: all a later notebook reads of it."""
    cells = [c for c in notebook.get("cells", []) if isinstance(c, dict)
             and not (c.get("metadata", {}).get("nbgrader", {}).get("grade")
                      and not c.get("metadata", {}).get("nbgrader", {}).get("solution"))]
    for cell in cells:
        cell.pop("outputs", None)
    return {**notebook, "cells": cells}


def stage(folder: Path, into: Path) -> Path:
    """Copy the regular files at the top of the student's `folder` into `into` (notebooks
    without their test cells); symbolic links and subfolders are left out."""
    into.mkdir(mode=0o700)
    total = 0
    for path in sorted(folder.iterdir())[:STAGE_FILES]:
        if path.is_symlink() or not path.is_file() or path.name in UNSTAGED:
            continue
        total += path.stat().st_size
        if total > STAGE_BYTES:
            break
        if path.suffix == ".ipynb":
            try:
                notebook = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(notebook, dict):
                (into / path.name).write_text(json.dumps(_without_tests(notebook)),
                                              encoding="utf-8")
            continue
        shutil.copyfile(path, into / path.name)
    return into


@functools.cache
def _transformer():
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def plain_python(source: str) -> str:
    """IPython's syntax (`!cmd`, `%magic`) as plain Python; text to text, runs nothing."""
    try:
        return _transformer().transform_cell(source)
    except Exception:  # noqa: BLE001 - then Python itself reports the syntax error
        return source


class SandboxedExecute(NbGraderPreprocessor):
    """Run the notebook's code cells in the kit's sandbox instead of a kernel."""

    timeout = Float(120.0, help="seconds per cell").tag(config=True)
    course_root = Unicode("", help="the course folder, which no worker may read").tag(
        config=True)
    db_url = Unicode("", help="the gradebook's URL (its file no worker may read)").tag(
        config=True)
    kit_secrets = List(Unicode(), [str(p) for p in KIT_SECRETS],
                       help="the kit's folders no worker may read").tag(config=True)

    def preprocess(self, nb, resources):
        folder = Path(resources.get("metadata", {}).get("path") or ".").resolve()
        check_cell_ids(nb)
        secrets = secrets_of(self.course_root, self.db_url, self.kit_secrets)
        backend = course_backend(secrets)  # SandboxUnavailable: nbgrader grades nothing
        limits = Limits(call_seconds=self.timeout, cpu_seconds=int(4 * self.timeout),
                        output_bytes=64 * 1024, reply_bytes=4 * 1024**2)
        with tempfile.TemporaryDirectory(prefix="adkit-cells-") as scratch:
            staged = stage(folder, Path(scratch) / "submission")
            with backend.open(staged, HANDLER, [], limits) as box:
                _Cells(box, self.timeout).run(nb)
        nb.metadata["adkit"] = {"sandbox": backend.name, "isolating": bool(backend.isolating)}
        if not backend.isolating:
            self.log.warning("%s %s", resources.get("nbgrader", {}).get("student", ""),
                             UNTRUSTED)
            nb.cells.insert(0, from_dict({"cell_type": "markdown", "metadata": {},
                                          "source": f"**WARNING: {UNTRUSTED}.**"}))
        return nb, resources


class _Cells:
    """Sends one notebook's code cells to a sandbox in order."""

    def __init__(self, box, timeout: float) -> None:
        self.box = box
        self.timeout = timeout
        self.done: list[str] = []  # cells that finished: replayed after a time-out

    def run(self, nb) -> None:
        count = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            count += 1
            cell.execution_count = count
            cell.outputs = [from_dict(o) for o in self._one(plain_python(cell.source), count)]

    def _one(self, source: str, count: int) -> list[dict]:
        reply = self.box.call({"cell": source}, timeout=self.timeout)
        if reply.ok:
            self.done.append(source)
            return checked_outputs(reply.value, reply.output, count)
        problem = reply.problem or "no reply"
        if reply.stopped:  # out of CPU time, or waited past the backstop
            self._replay()
            return [error_output("CellTimeoutError",
                                 f"the cell did not finish within {self.timeout:g} s")]
        raise DeadKernelError(f"the kernel died (the student's worker in the sandbox): "
                              f"{problem}")

    def _replay(self) -> None:
        """A fresh worker with the cells that finished before run again (their outputs
        were kept); a cell that fails now ends the notebook as a dead kernel would."""
        self.box.restart()
        for source in self.done:
            reply = self.box.call({"cell": source}, timeout=self.timeout)
            if not reply.ok:
                raise DeadKernelError(f"the kernel died: after a time-out, running the "
                                      f"earlier cells again: {reply.problem}")
