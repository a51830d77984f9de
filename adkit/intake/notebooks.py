"""A student's filled notebooks as an importable `simpleautodiff` package.

The course's notebooks (adkit/authoring/course.py) split the package into cells: given cells
(`given_*`, the same for everyone) and the student's answer cells (`answer_*`). Read in
notebook order they make one module, which is what every notebook's kernel runs too.
The graders import that module like any other submission:

    >>> extract_package(sorted(Path("submissions/s2409").glob("*.ipynb")), Path("build/s2409"))

Only answer cells come from the student's files: the given cells come from the course
itself, so editing them changes nothing, and an answer cell that is missing (or a notebook
that was not submitted) counts as left as released. Code in cells the student added is
not part of the package, as the notebooks say.

Notebooks are hostile input: they are read without following links and under byte caps
(adkit/intake/staging.py), scanned with string methods only (no backtracking patterns), and
the grader runs the whole extraction through `extract_in_child`, a forked child with CPU,
memory and time limits, so a pathological notebook costs its own student only. Notes name
files relative to the student's folder, never by a host path.
"""

from __future__ import annotations
import __future__

import json
import os
import resource
import select
import signal
import time
from pathlib import Path

from adkit.authoring.course import (
    PACKAGE_PREFIXES,
    clear_solutions,
    notebook_cells,
    snippets,
    templates,
)
from adkit.intake.staging import NOTEBOOK_BYTES, UnsafeFile, open_folder, read_file, shown

TOTAL_BYTES = 32 * 1024**2  # all of one student's notebooks together
CHILD_SECONDS = 20  # wall and CPU time to turn one student's notebooks into a package
CHILD_MEMORY = 1024**3  # address space the parsing child may add to what it inherits
_FUTURE = "from __future__ import "
_FUTURE_CHARS = frozenset("_, ()")


class SubmissionError(ValueError):
    """Notebooks that cannot be read as this course's submission."""


def _name(path: Path, base: Path | None) -> str:
    """How feedback names a notebook: relative to the student's folder, never a host path."""
    if base is not None and path.is_relative_to(base):
        return shown(str(path.relative_to(base)))
    return shown(path.name)


def _read_notebook(path: Path, cap: int) -> tuple[list, int]:
    """(cells, bytes read) of one notebook, read without following links, under `cap` bytes."""
    fd = open_folder(path.parent)
    try:
        data = read_file(path.name, fd, cap)
    finally:
        os.close(fd)
    cells = json.loads(data.decode("utf-8"))["cells"]
    if not isinstance(cells, list):
        raise TypeError("its cells are not a list")
    return cells, len(data)


def _answer_cells(notebooks: list[Path], base: Path | None = None,
                  ) -> tuple[dict[str, str], list[str]]:
    """The answer cells of the student's notebooks by grade id, and notes on problems."""
    answers: dict[str, str] = {}
    notes: list[str] = []
    left = TOTAL_BYTES
    for path in map(Path, notebooks):
        name = _name(path, base)
        try:
            cells, size = _read_notebook(path, min(NOTEBOOK_BYTES, left))
        except UnsafeFile as error:
            notes.append(f"{name} was not read ({error.strerror}; notebooks may hold "
                         f"{NOTEBOOK_BYTES >> 20} MiB each, {TOTAL_BYTES >> 20} MiB in all); "
                         "its answers count as left as released")
            continue
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            why = error.strerror if isinstance(error, OSError) else error
            notes.append(f"{name} could not be read as a notebook ({shown(str(why), 200)}); "
                         "its answers count as left as released")
            continue
        left -= size
        for cell in cells:
            grade_id, source = _answer_of(cell)
            if grade_id and grade_id not in answers:
                answers[grade_id] = source
    return answers, notes


def _answer_of(cell: object) -> tuple[str | None, str]:
    """(grade id, source) of an answer cell; (None, "") for any other cell."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None, ""
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    if not isinstance(grade_id, str) or not grade_id.startswith("answer_"):
        return None, ""
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return grade_id, source if isinstance(source, str) else ""


def _is_future_import(line: str) -> bool:
    # String methods, not a regular expression: a line of student text may be megabytes of
    # spaces, on which a backtracking pattern takes hours.
    text = line.rstrip()
    if not text.startswith(_FUTURE):
        return False
    rest = text[len(_FUTURE):]
    return bool(rest) and all(c.isalnum() or c in _FUTURE_CHARS for c in rest)


def _is_magic(line: str) -> bool:
    return line.lstrip().startswith(("%", "!"))


def _module_code(source: str) -> str:
    """A cell's code as module code: __future__ lines and IPython magics commented out
    (the module has its own __future__ line at the top). Line k of the cell stays line k
    after the cell's marker, so a traceback maps back to the cell (adkit/inside/handler.py)."""
    lines = []
    for line in source.splitlines():
        if _is_future_import(line):
            lines.append("# (__future__ import: the package has it at the top)")
            continue
        lines.append(f"# (notebook magic left out) {line}" if _is_magic(line) else line)
    return "\n".join(lines).rstrip("\n")


def _course_cells() -> list[tuple[str, object, str]]:
    """(notebook, cell, place) of the cells that make the package; `place` names the cell
    as the student sees it in Jupyter: `cell 7 under "Forward mode"` (its position in the
    notebook and the heading above it), never nbgrader's id."""
    shared = snippets()
    out = []
    for template in templates():
        heading = ""
        for number, cell in enumerate(notebook_cells(template, shared), start=1):
            if cell.kind == "markdown":
                titles = [line.lstrip("#").strip() for line in cell.lines
                          if line.startswith("#")]
                heading = titles[0] if titles else heading
            if cell.grade_id.startswith(PACKAGE_PREFIXES):
                # No " (" in a place: adkit/inside/handler.py reads "PLACE (ORIGIN)".
                title = heading.split(" (")[0].replace('"', "'")
                place = f'cell {number} under "{title}"' if title else f"cell {number}"
                out.append((template.stem, cell, place))
    return out


def _compiled_or_left_out(code: str, where: str, notes: list[str], released: str = "") -> str:
    """`code` if it compiles, else the cell as released (`released`) whose stubs raise a
    SyntaxError naming the cell and line (and a note for the header): a call then tells
    the student why, not that the package lacks a name."""
    try:
        compile(code, where, "exec", flags=__future__.annotations.compiler_flag,
                dont_inherit=True)
        return code
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        why = shown(str(getattr(error, "msg", error)), 200)
    except (MemoryError, RecursionError):
        line, why = None, "too deeply nested or too large to compile"
    notes.append(f"{where} does not compile (line {line}: {why}); it is left out")
    reason = repr(f"{where.replace(':', ',')} does not compile (line {line}: {why}); fix it "
                  "and run the notebook again")
    stub = [f"{text[:len(text) - len(text.lstrip())]}raise SyntaxError({reason})"
            if text.lstrip().startswith("raise NotImplementedError") else text
            for text in released.splitlines()]
    return "\n".join([f"# left out: this cell does not compile (line {line}: {why})", *stub])


def package_source(notebooks: list[Path], base: Path | None = None) -> str:
    """The text of `simpleautodiff/__init__.py` made from the student's notebooks.

    Notes name files relative to `base` (the student's folder), or by their name alone.
    """
    answers, notes = _answer_cells(notebooks, base)
    course = _course_cells()
    expected = [cell.grade_id for _, cell, _ in course if cell.kind == "answer"]
    if not any(grade_id in answers for grade_id in expected):
        names = ", ".join(_name(Path(p), base) for p in notebooks[:10]) or "no files"
        raise SubmissionError(
            f"none of the course's answer cells ({', '.join(expected)}) is in {names}: "
            "submit the course's notebooks (from `nbgrader fetch_assignment`), filled in")
    parts = []
    for notebook, cell, place in course:
        if cell.kind == "answer" and cell.grade_id in answers:
            code, origin = answers[cell.grade_id], "the student's answer"
        elif cell.kind == "answer":
            # As released: solution regions become stubs, so no solution text reaches the
            # package (a traceback from the student's code may quote it).
            code, origin = clear_solutions(cell.source)[0], "missing: left as released"
            notes.append(f"{notebook}.ipynb: no {place} (an answer cell); it counts as "
                         "released")
        else:
            code, origin = cell.source, "given"
        where = f"{notebook}.ipynb: {place}"
        released = clear_solutions(cell.source)[0] if cell.kind == "answer" else ""
        code = _compiled_or_left_out(_module_code(code), where, notes, _module_code(released))
        if code.startswith("# left out:"):
            origin = "left out: released stubs"
        parts.append(f"# --- {notebook}.ipynb, {place} ({origin}) ---\n{code}")
    header = ['"""simpleautodiff, extracted from notebooks by adkit.intake.notebooks."""',
              "", "from __future__ import annotations", ""]
    header += [f"# NOTE: {note}" for note in notes]
    return "\n".join(header) + "\n\n" + "\n\n\n".join(parts) + "\n"


def extract_package(notebooks: list[Path], dest: Path, base: Path | None = None) -> Path:
    """Write the student's code as `dest/simpleautodiff/__init__.py`; return `dest`.

    Raises SubmissionError when the notebooks hold none of the course's answer cells.
    """
    dest = Path(dest)
    package = dest / "simpleautodiff"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(package_source([Path(p) for p in notebooks], base),
                                         encoding="utf-8")
    return dest


def extract_in_child(notebooks: list[Path], dest: Path, base: Path | None = None,
                     seconds: float = CHILD_SECONDS) -> Path:
    """extract_package in a forked child with time and memory limits; return `dest`.

    A pathological notebook (huge, deeply nested, slow to compile) then costs its student
    a SubmissionError, never the grading run. Raises SubmissionError for every failure.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(notebooks, dest, base, write_end, seconds)
    os.close(write_end)
    try:
        message = _wait_child(pid, read_end, seconds)
    finally:
        os.close(read_end)
    if message:
        raise SubmissionError(message)
    return Path(dest)


def _child(notebooks: list[Path], dest: Path, base: Path | None, reply: int,
           seconds: float) -> None:
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grading run decides when to stop
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        memory = _address_space() + CHILD_MEMORY
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        try:
            extract_package(notebooks, dest, base)
            answer = ""
        except SubmissionError as error:
            answer = str(error)
        except MemoryError:
            answer = "your notebooks need too much memory to read: keep them small"
        except Exception as error:  # the student's notebooks: say what, grade nothing
            answer = f"your notebooks could not be turned into a package: {error}"
        os.write(reply, answer.encode("utf-8", "replace")[:4000] or b"ok")
        code = 0
    finally:
        os._exit(code)


def _address_space() -> int:
    """This process's virtual size in bytes (the child's limit adds to it)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _wait_child(pid: int, reply: int, seconds: float) -> str:
    """The child's answer ("" when it succeeded); kills it when it overruns `seconds`."""
    deadline = time.monotonic() + seconds
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return (f"reading your notebooks took longer than {seconds:.0f} s: they are too "
                    "large or too complex; hand in the course's notebooks, filled in")
        ready, _, _ = select.select([reply], [], [], left)
        if ready:
            chunk = os.read(reply, 4096)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    answer = b"".join(chunks).decode("utf-8", "replace")
    if answer == "ok":
        return ""
    if answer:
        return answer
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        return "reading your notebooks used too much CPU time: they are too large or complex"
    return ("your notebooks could not be turned into a package (the reader stopped with "
            f"status {status}): they may be too large; hand in the course's notebooks")
