"""Solution regions in the reference: the one place where the students' work is written.

A region is marked with nbgrader's own delimiters and tagged with its rubric task:

    ### BEGIN SOLUTION forward_mode
    ...
    ### END SOLUTION

A region inside a function body is that body's solution; a region outside any function
holds whole definitions (helpers, tables) that the skeleton leaves out.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from adkit.model.rubric import TASKS

BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION(?:\s+(?P<task>\w+))?\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")


class RegionError(ValueError):
    """A malformed solution region: says which file and line, and what to fix."""


@dataclass(frozen=True)
class Region:
    path: Path
    task: str
    begin: int  # 1-based line of the BEGIN marker
    end: int  # 1-based line of the END marker
    indent: str
    function: str | None  # qualified name of the enclosing function, None outside any
    solution: str  # the lines between the markers

    @property
    def in_function(self) -> bool:
        return self.function is not None


def find_regions(path: Path, source: str | None = None) -> list[Region]:
    """Every solution region of one Python file, checked for well-formedness."""
    source = path.read_text(encoding="utf-8") if source is None else source
    lines = source.splitlines()
    functions = _function_spans(ast.parse(source, filename=str(path)))
    regions: list[Region] = []
    open_at: tuple[int, str, str] | None = None
    for number, line in enumerate(lines, start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_at:
                raise RegionError(f"{path}:{number}: BEGIN SOLUTION inside the region "
                                  f"opened at line {open_at[0]}; close that one first")
            task = begin.group("task")
            if task not in TASKS:
                raise RegionError(f"{path}:{number}: region needs a rubric task after "
                                  f"'### BEGIN SOLUTION', one of {', '.join(TASKS)}; "
                                  f"got {task!r}")
            open_at = (number, task, begin.group("indent"))
        elif end:
            if not open_at:
                raise RegionError(f"{path}:{number}: END SOLUTION without a BEGIN SOLUTION")
            start, task, indent = open_at
            regions.append(Region(
                path=path, task=task, begin=start, end=number, indent=indent,
                function=_enclosing(functions, start),
                solution="\n".join(lines[start:number - 1]),
            ))
            open_at = None
    if open_at:
        raise RegionError(f"{path}:{open_at[0]}: BEGIN SOLUTION is never closed; "
                          "add '### END SOLUTION' after the solution")
    return regions


def _function_spans(tree: ast.Module) -> list[tuple[int, int, str]]:
    """(def line, last line, qualified name) of every function, outermost first."""
    spans: list[tuple[int, int, str]] = []
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, prefix = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                stack.append((child, name + "."))
    return spans


def _enclosing(spans: list[tuple[int, int, str]], line: int) -> str | None:
    """The innermost function whose body holds `line`."""
    inside = [s for s in spans if s[0] <= line <= s[1]]
    return max(inside, key=lambda s: s[0])[2] if inside else None


def package_regions(package: Path) -> dict[Path, list[Region]]:
    """Regions of every module of a package, by module path (modules without any omitted)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        regions = find_regions(path)
        if regions:
            found[path] = regions
    return found
