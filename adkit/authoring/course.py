"""Generate the nbgrader course's source notebooks from the reference.

    python -m adkit.authoring.course                  # write assignments/source/autodiff/
    python -m adkit.authoring.course --check          # exit 1 if the committed notebooks are stale
    python -m adkit.authoring.course --course-dir DIR # set up another course directory

The narrative, the given code and the tests live in assignments/templates/*.py, one
template per notebook, in cells marked `# %% KIND key=value ...`:

    # %% [markdown]        text, each line starting with "# "
    # %% given id=given_x  package code given to the student (read-only)
    # %% answer id=answer_x  the student's code: solution regions stay nbgrader's markers
    # %% setup id=setup_x  notebook-only code given to the student (read-only)
    # %% test id=test_TASK_x points=P  an autograded test cell (may hold hidden tests)
    # %% demo              a plain cell showing the paper's tables and graph
    # %% snippet name=x    (only in _snippets.py) code that `@@include x` inserts

In code cells, `@@ MODULE:NAME` inserts a piece of reference/simpleautodiff/MODULE:
`NAME` (a top-level definition, or the whole solution region holding it),
`Class-TASK` (the class without its methods that hold TASK's regions), `Class+TASK`
(only those methods, as plain functions) or `NAME@TASK` (the definition made one solution
region of TASK). The generated notebooks are the reference solution; nbgrader's
generate_assignment clears the regions for the students (see `clear_solutions`).

Points live only in graders/rubric.toml. A test cell says which share of its task's points
it carries (`points=40%`, or `points=rest` for what the task's other cells leave), and a
markdown cell writes `{points:TASK}` where the task's points show; a number of points
written in a template is refused. docs/course.md's points table is generated too (between
its `<!-- points table` markers), so `--check` fails when the rubric changed.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from adkit.model.rubric import DEFAULT_RUBRIC, RubricError, load_rubric

from .regions import BEGIN, END, TASKS, find_regions

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "reference" / "simpleautodiff"
COURSE = ROOT / "assignments"
TEMPLATES = COURSE / "templates"
ASSIGNMENT = "autodiff"
# Files of the course directory itself that a new course directory needs.
COURSE_FILES = ("nbgrader_config.py", "nbgrader_fixes.py")
TABLES_MODULES = ("labels.py", "trace.py", "draw.py")
DOCS = ROOT / "docs" / "course.md"
TABLE_BEGIN = "<!-- points table: written by `make course-generate` from graders/rubric.toml -->"
TABLE_END = "<!-- end of the points table -->"
# What the student writes for each task, in docs/course.md's points table.
TASK_WORDS = {
    "graph": "the primitives, which evaluate and build the graph",
    "topological_order": "`topological_order`, `reverse_topological_order`",
    "forward_mode": "`forward`",
    "reverse_mode": "`backward`",
    "wrapper": "`primitive`",
    "tape": "`Tape`",
    "operators": "the operators and `grad`",
}

CELL = re.compile(r"^# %% (?P<kind>\[markdown\]|\w+)(?P<args>.*)$")
PIECE = re.compile(r"^@@ (?P<module>\w+\.py):(?P<name>[\w.]+)(?:(?P<op>[-+@])(?P<task>\w+))?\s*$")
INCLUDE = re.compile(r"^@@include (?P<name>\w+)\s*$")
ADJACENT = re.compile(r"^### END SOLUTION\n\n+### BEGIN SOLUTION \w+\n", re.MULTILINE)
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SHARE = re.compile(r"^(?:(?P<percent>\d+(?:\.\d+)?)%|rest)$")
POINTS_HERE = re.compile(r"\{points:(?P<task>\w+)\}")
# Points written as a number in a template's text would not follow the rubric.
WRITTEN_POINTS = re.compile(r"\b\d+(?:\.\d+)?\s+points?\b")
# Cells whose code makes up the student's package, in notebook order.
PACKAGE_PREFIXES = ("given_", "answer_")

FUNCTION_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
HELPER_STUB = ("# YOUR CODE HERE (helpers or tables for this task, if you want any)",)


class TemplateError(ValueError):
    """A malformed template: says which file and line, and what to fix."""


@dataclass
class Cell:
    kind: str  # markdown, given, answer, setup, test, demo
    lines: list[str] = field(default_factory=list)
    grade_id: str = ""
    points: float = 0  # a test cell's, from the rubric (see `with_points`)
    share: str = ""  # a test cell's share of its task's points, as written: "40%" or "rest"

    @property
    def source(self) -> str:
        return "\n".join(self.lines).strip("\n")


# --- reading the reference ---------------------------------------------------------------
def _statements(source: str) -> dict[str, ast.stmt]:
    """Top-level statements of a module by the name they define."""
    found: dict[str, ast.stmt] = {}
    for stmt in ast.parse(source).body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            found[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = stmt
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            found[stmt.target.id] = stmt
    return found


def _span(stmt: ast.stmt, lines: list[str]) -> tuple[int, int]:
    """1-based first and last line of a statement, decorators included, and the
    `### END SOLUTION` lines closing regions inside it (comments are not in the AST)."""
    first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
    last = stmt.end_lineno or stmt.lineno
    while last < len(lines) and END.match(lines[last]) \
            and len(lines[last]) - len(lines[last].lstrip()) > stmt.col_offset:
        last += 1
    return first, last


def _with_comments_above(lines: list[str], first: int) -> int:
    """Move a 1-based first line up over the comment lines directly above it."""
    while first > 1 and lines[first - 2].lstrip().startswith("#") \
            and not BEGIN.match(lines[first - 2]) and not END.match(lines[first - 2]):
        first -= 1
    return first


def _methods_with_task(cls: ast.ClassDef, path: Path, source: str, task: str) -> list[ast.stmt]:
    begins = [r.begin for r in find_regions(path, source) if r.task == task]
    lines = source.splitlines()
    return [m for m in cls.body if isinstance(m, ast.FunctionDef)
            and any(_span(m, lines)[0] <= line <= _span(m, lines)[1] for line in begins)]


def reference_piece(spec: str, where: str) -> str:
    """The text `@@ MODULE:NAME[op TASK]` stands for (see the module docstring)."""
    match = PIECE.match(spec)
    if not match:
        raise TemplateError(f"{where}: cannot read {spec!r}; write '@@ module.py:name', "
                            "'@@ module.py:Class-task', '@@ module.py:Class+task' or "
                            "'@@ module.py:name@task'")
    path = PACKAGE / match["module"]
    if not path.is_file():
        raise TemplateError(f"{where}: no module {path.name} in {PACKAGE}")
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    name, op, task = match["name"], match["op"], match["task"]
    stmt = _statements(source).get(name)
    if stmt is None:
        raise TemplateError(f"{where}: {path.name} defines no top-level {name!r}")
    if task is not None and task not in TASKS:
        raise TemplateError(f"{where}: {task!r} is not a rubric task ({', '.join(TASKS)})")
    first, last = _span(stmt, lines)
    if op is None:
        for region in find_regions(path, source):
            if region.function is None and region.begin < first <= region.end:
                first, last = region.begin, region.end  # the whole region holding it
                break
        text = "\n".join(lines[first - 1:last])
    elif op == "@":
        body = [line for line in lines[first - 1:last]
                if not (BEGIN.match(line) or END.match(line))]
        text = "\n".join([f"### BEGIN SOLUTION {task}",
                          "# The reference writes its primitives with the wrapper of notebook 4.",
                          *body, "### END SOLUTION"])
    else:
        if not isinstance(stmt, ast.ClassDef):
            raise TemplateError(f"{where}: {name} is not a class; '{op}{task}' needs one")
        methods = _methods_with_task(stmt, path, source, task)
        if op == "+":
            pieces = []
            for method in methods:
                start, end = _span(method, lines)
                start = _with_comments_above(lines, start)
                pieces.append(textwrap.dedent("\n".join(lines[start - 1:end])))
            text = "\n\n\n".join(pieces)
        else:
            drop: set[int] = set()
            for method in methods:
                start, end = _span(method, lines)
                start = _with_comments_above(lines, start)
                while start > first + 1 and not lines[start - 2].strip():
                    start -= 1  # and the blank lines before it
                drop.update(range(start, end + 1))
            text = "\n".join(lines[i - 1] for i in range(first, last + 1) if i not in drop)
    # One namespace in a notebook: `primitives.add` is plain `add` there.
    return re.sub(r"\bprimitives\.(?=[A-Za-z_])", "", text)


# --- templates ---------------------------------------------------------------------------
def _parse_cells(path: Path) -> list[tuple[Cell, int]]:
    cells: list[tuple[Cell, int]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = CELL.match(line)
        if match:
            kind = "markdown" if match["kind"] == "[markdown]" else match["kind"]
            args = dict(a.split("=", 1) for a in match["args"].split())
            cell = Cell(kind, grade_id=args.get("id", args.get("name", "")),
                        share=args.get("points", ""))
            if kind not in ("markdown", "given", "answer", "setup", "test", "demo", "snippet"):
                raise TemplateError(f"{path}:{number}: unknown cell kind {kind!r}")
            if kind in ("given", "answer", "setup", "test") and not cell.grade_id.startswith(
                    kind + "_"):
                raise TemplateError(f"{path}:{number}: a {kind} cell needs id={kind}_...")
            if kind == "test" and not SHARE.match(cell.share):
                raise TemplateError(f"{path}:{number}: a test cell needs points=N% (a share "
                                    "of its task's points in graders/rubric.toml) or "
                                    f"points=rest, not points={cell.share or '(none)'}")
            cells.append((cell, number))
        elif cells:
            cells[-1][0].lines.append(line)
        elif line.strip() and not line.startswith("#"):
            raise TemplateError(f"{path}:{number}: text before the first '# %%' cell marker")
    return cells


def snippets(directory: Path = TEMPLATES) -> dict[str, str]:
    path = directory / "_snippets.py"
    return {cell.grade_id: cell.source for cell, _ in _parse_cells(path) if cell.kind == "snippet"}


def _expand(cell: Cell, where: str, shared: dict[str, str]) -> Cell:
    if cell.kind == "markdown":
        lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in cell.lines]
        for line in lines:
            if WRITTEN_POINTS.search(POINTS_HERE.sub("", line)):
                raise TemplateError(f"{where}: {line.strip()!r} writes points as a number; "
                                    "write {points:TASK} (the rubric's points) instead")
        return Cell("markdown", lines, cell.grade_id, cell.points, cell.share)
    lines: list[str] = []
    for line in cell.lines:
        include = INCLUDE.match(line)
        if include:
            if include["name"] not in shared:
                raise TemplateError(f"{where}: no snippet {include['name']!r} in _snippets.py")
            lines.extend(shared[include["name"]].splitlines())
        elif line.startswith("@@"):
            lines.extend(reference_piece(line, where).splitlines())
        else:
            lines.append(line)
    if cell.kind == "answer":  # adjacent top-level regions: one stub for students, not two
        merged = ADJACENT.sub("\n\n", "\n".join(lines))
        lines = merged.split("\n")
    return Cell(cell.kind, lines, cell.grade_id, cell.points, cell.share)


def notebook_cells(template: Path, shared: dict[str, str] | None = None) -> list[Cell]:
    """The cells of one notebook, with every `@@` line expanded."""
    shared = snippets(template.parent) if shared is None else shared
    return [_expand(cell, f"{template}:{number}", shared)
            for cell, number in _parse_cells(template) if cell.kind != "snippet"]


def templates(directory: Path = TEMPLATES) -> list[Path]:
    return sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))


# --- points, from the rubric ----------------------------------------------------------------
def rubric_points(rubric: Path = DEFAULT_RUBRIC) -> dict[str, float]:
    """Each task's points in graders/rubric.toml (RubricError if the rubric is wrong)."""
    return dict(load_rubric(rubric).tasks)


def _number(x: float) -> float | int:
    """Points as the notebooks and docs write them: whole numbers without decimals."""
    x = round(float(x), 2)
    return int(x) if x == int(x) else x


def task_of_cell(grade_id: str) -> str | None:
    """The rubric task of a test cell id (`test_forward_mode_paper`: forward_mode)."""
    return next((t for t in sorted(TASKS, key=len, reverse=True)
                 if grade_id.startswith(f"test_{t}_")), None)


def with_points(cells: list[Cell], tasks: dict[str, float], where: str) -> list[Cell]:
    """`cells` with the rubric's points: each test cell its share of its task's points (the
    `rest` cell what the task's other cells leave, over all notebooks), and `{points:TASK}`
    in markdown the task's points."""
    out = []
    for cell in cells:
        if cell.kind == "markdown":
            def points_of(match: re.Match[str]) -> str:
                if match["task"] not in tasks:
                    raise TemplateError(f"{where}: {{points:{match['task']}}} names no rubric "
                                        f"task ({', '.join(tasks)})")
                return f"{_number(tasks[match['task']]):g}"
            cell = Cell(cell.kind, [POINTS_HERE.sub(points_of, x) for x in cell.lines],
                        cell.grade_id, cell.points, cell.share)
        out.append(cell)
    return out


def cell_points(all_cells: list[Cell], tasks: dict[str, float]) -> dict[str, float | int]:
    """Every test cell's points by its id, from its share of its task's rubric points: a
    `N%` cell that share (two decimals), the task's one `rest` cell the remainder."""
    found: dict[str, float | int] = {}
    for task in tasks:
        mine = [c for c in all_cells if c.kind == "test" and task_of_cell(c.grade_id) == task]
        rest = [c for c in mine if c.share == "rest"]
        if len(rest) != 1:
            raise TemplateError(f"task {task}: {len(rest)} test cells say points=rest; "
                                "exactly one must (it gets what the others leave)")
        shares = [c for c in mine if c.share != "rest"]
        spent = 0.0
        for c in shares:
            found[c.grade_id] = _number(tasks[task] * float(c.share.rstrip("%")) / 100)
            spent += found[c.grade_id]
        if spent > tasks[task] + 1e-9:
            raise TemplateError(f"task {task}: its test cells' shares add up to more than "
                                "100%")
        found[rest[0].grade_id] = _number(tasks[task] - spent)
    strays = [c.grade_id for c in all_cells if c.kind == "test" and c.grade_id not in found]
    if strays:
        raise TemplateError(f"test cell(s) {', '.join(strays)} name no rubric task: write "
                            f"id=test_TASK_... with a task of {', '.join(tasks)}")
    return found


def points_table(notebooks: dict[str, list[Cell]], tasks: dict[str, float]) -> str:
    """docs/course.md's table: each notebook, what the student writes, the rubric's points."""
    rows = [TABLE_BEGIN, "| notebook | what the student writes (task) | points |",
            "|---|---|---|"]
    for name, cells in notebooks.items():
        mine = list(dict.fromkeys(t for t in (task_of_cell(c.grade_id) for c in cells
                                              if c.kind == "test") if t))
        words = "; ".join(f"{TASK_WORDS.get(t, t)} (`{t}`)" for t in mine)
        worth = " + ".join(f"{_number(tasks[t]):g}" for t in mine)
        rows.append(f"| `{name}` | {words} | {worth} |")
    rows += [f"| all | | {_number(sum(tasks.values())):g} |", TABLE_END]
    return "\n".join(rows)


def docs_text(table: str, docs: Path = DOCS) -> str:
    """docs/course.md with its points table replaced by `table`."""
    text = docs.read_text(encoding="utf-8")
    begin, end = text.find(TABLE_BEGIN), text.find(TABLE_END)
    if begin < 0 or end < begin:
        raise TemplateError(f"{docs}: no points table; put the lines {TABLE_BEGIN!r} and "
                            f"{TABLE_END!r} where it goes")
    return text[:begin] + table + text[end + len(TABLE_END):]


# --- notebooks -----------------------------------------------------------------------------
def _nbgrader(cell: Cell) -> dict:
    meta = {"grade": cell.kind == "test", "grade_id": cell.grade_id,
            "locked": cell.kind != "answer", "schema_version": 3,
            "solution": cell.kind == "answer", "task": False}
    if cell.kind == "test":
        meta["points"] = cell.points
    return meta


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def notebook(cells: list[Cell]) -> dict:
    """An nbformat 4.5 notebook: stable cell ids, no outputs, no execution counts."""
    out = []
    counts: dict[str, int] = {}
    for cell in cells:
        if cell.grade_id:
            cell_id = cell.grade_id
        else:
            counts[cell.kind] = counts.get(cell.kind, 0) + 1
            cell_id = f"{cell.kind}-{counts[cell.kind]}"
        if cell.kind == "markdown":
            out.append({"cell_type": "markdown", "id": cell_id, "metadata": {},
                        "source": _lines(cell.source)})
            continue
        metadata = {"nbgrader": _nbgrader(cell)} if cell.grade_id else {}
        out.append({"cell_type": "code", "execution_count": None, "id": cell_id,
                    "metadata": metadata, "outputs": [], "source": _lines(cell.source)})
    return {
        "cells": out,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "file_extension": ".py",
                              "mimetype": "text/x-python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def dumps(nb: dict) -> str:
    """Serialized as nbformat writes it, so that saving in Jupyter changes nothing."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def paper_tables() -> str:
    """paper_tables.py: the reference's tables and drawing, which hold no task, as one module."""
    imports: set[str] = set()
    bodies: list[str] = []
    for name in TABLES_MODULES:
        source = (PACKAGE / name).read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        if find_regions(PACKAGE / name, source):
            raise TemplateError(f"{name} holds solution regions; it cannot be given to students")
        for stmt in tree.body:
            first, last = _span(stmt, lines)
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                kit_or_future = isinstance(stmt, ast.ImportFrom) and (
                    stmt.level or stmt.module == "__future__")
                if not kit_or_future:
                    imports.add("\n".join(lines[first - 1:last]))
            elif not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
                bodies.append("\n".join(lines[_with_comments_above(lines, first) - 1:last]))
    plain = sorted(i for i in imports if i.startswith("import "))
    froms = sorted(i for i in imports if i.startswith("from "))
    return "\n".join([
        '"""The paper\'s tables and drawings for any graph of Nodes (given code, no task in it).',
        "",
        "Generated from reference/simpleautodiff/" + ", ".join(TABLES_MODULES)
        + " by `make course-generate`; do not edit.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *plain, *froms, "", "",
        "\n\n\n".join(bodies), "", "",
        SHOW_GRAPH.strip(), "",
    ])


SHOW_GRAPH = '''
def show_graph(output, show=("value",)):
    """Draw the graph in the notebook: SVG when Graphviz is installed, else the DOT text."""
    source = to_dot(output, show)
    dot = shutil.which("dot")
    if dot is not None:
        svg = subprocess.run([dot, "-Tsvg"], input=source, capture_output=True, text=True)
        if svg.returncode == 0:
            from IPython.display import SVG, display

            display(SVG(svg.stdout))
            return
    print("(Graphviz is not installed here: the graph as DOT source)")
    print(source)
'''


def generated(directory: Path = TEMPLATES, rubric: Path = DEFAULT_RUBRIC,
              docs: Path = DOCS) -> tuple[dict[str, str], str]:
    """Every file of source/autodiff/, by name, with the text it must hold; and the text
    docs/course.md must hold. Points come from `rubric`."""
    shared = snippets(directory)
    tasks = rubric_points(rubric)
    cells = {f"{t.stem}.ipynb": with_points(notebook_cells(t, shared), tasks, str(t))
             for t in templates(directory)}
    points = cell_points([c for nb in cells.values() for c in nb], tasks)
    for nb in cells.values():
        for cell in nb:
            cell.points = points.get(cell.grade_id, 0)
    files = {name: dumps(notebook(nb)) for name, nb in cells.items()}
    files["paper_tables.py"] = paper_tables()
    return files, docs_text(points_table(cells, tasks), docs)


def expected_files(directory: Path = TEMPLATES) -> dict[str, str]:
    """Every file of source/autodiff/, by name, with the text it must hold."""
    return generated(directory)[0]


def source_dir(course_dir: Path = COURSE) -> Path:
    return course_dir / "source" / ASSIGNMENT


def stale_files(course_dir: Path = COURSE) -> list[str]:
    """Files of the course's source folder, and docs/course.md, that differ from what the
    generator writes."""
    target = source_dir(course_dir)
    expected, docs = generated()
    problems = [name for name, text in expected.items()
                if not (target / name).is_file()
                or (target / name).read_text(encoding="utf-8") != text]
    if target.is_dir():
        problems += [f"{p.name} (not generated)" for p in sorted(target.iterdir())
                     if p.is_file() and p.name not in expected]
    if DOCS.read_text(encoding="utf-8") != docs:
        problems.append(f"{DOCS} (its points table)")
    return problems


def write(course_dir: Path = COURSE) -> list[Path]:
    """Write the source notebooks (and, for a new course directory, its config)."""
    target = source_dir(course_dir)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in COURSE_FILES:
        if not (course_dir / name).exists():
            shutil.copy(COURSE / name, course_dir / name)
            written.append(course_dir / name)
    expected, docs = generated()
    for name, text in expected.items():
        path = target / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    if DOCS.read_text(encoding="utf-8") != docs:
        DOCS.write_text(docs, encoding="utf-8")
        written.append(DOCS)
    return written


# --- what nbgrader's generate_assignment does to a cell (shared with the extractor) ------
def clear_solutions(source: str) -> tuple[str, bool]:
    """Replace each solution region by a stub; returns the new text and whether any was.

    A region inside a function gets nbgrader's stub, which raises; a region outside any
    function (helpers, tables, a class body) gets a comment only, so the released cell
    still runs. Regions are found by `adkit.authoring.regions`, which also checks their task tags.
    """
    lines = source.split("\n")
    try:
        regions = {r.begin: r for r in find_regions(Path("<cell>"), source)}
    except SyntaxError:  # not Python: treat every region as a function body
        regions = {}
    out: list[str] = []
    inside = replaced = False
    for number, line in enumerate(lines, start=1):
        if "BEGIN SOLUTION" in line:
            if inside:
                raise ValueError(f"line {number}: BEGIN SOLUTION inside another region")
            inside = replaced = True
            indent = re.match(r"\s*", line).group(0)
            region = regions.get(number)
            stub = HELPER_STUB if region is not None and not region.in_function else FUNCTION_STUB
            out.extend(indent + s for s in stub)
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("a BEGIN SOLUTION is never closed by END SOLUTION")
    return "\n".join(out), replaced


def clear_hidden_tests(source: str) -> str:
    out, inside = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def released(nb: dict) -> dict:
    """What students get from a source notebook (as nbgrader releases it, in short)."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            text = clear_solutions(text)[0]
        if meta.get("grade"):
            text = clear_hidden_tests(text)
        cell["source"] = _lines(text)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only check that the source notebooks are up to date")
    parser.add_argument("--course-dir", type=Path, default=COURSE,
                        help="the nbgrader course directory (default: assignments/)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_files(args.course_dir)
            if stale:
                print(f"{source_dir(args.course_dir)} is stale; run `make course-generate` "
                      "and commit the result:", *stale, sep="\n  ", file=sys.stderr)
                return 1
            print(f"{source_dir(args.course_dir)} is up to date with reference/ and "
                  "graders/rubric.toml")
            return 0
        args.course_dir.mkdir(parents=True, exist_ok=True)
        written = write(args.course_dir)
    except (TemplateError, RubricError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{source_dir(args.course_dir)}: {len(written)} file(s) written" if written
          else f"{source_dir(args.course_dir)}: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
