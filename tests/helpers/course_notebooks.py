"""The course's source notebooks (assignments/source), and released copies of them."""

from __future__ import annotations

import json
from pathlib import Path

from adkit.authoring import course

SOURCE = course.source_dir()


def notebooks(folder: Path = SOURCE) -> list[Path]:
    """The notebooks in `folder`, sorted."""
    return sorted(folder.glob("*.ipynb"))


def grade_id(cell: dict) -> str:
    """nbgrader's id of a cell ("" if it has none)."""
    return cell["metadata"].get("nbgrader", {}).get("grade_id", "")


def released_copy(tmp_path: Path) -> list[Path]:
    """The source notebooks as students get them (solutions cleared), in tmp_path/released."""
    folder = tmp_path / "released"
    folder.mkdir()
    for path in notebooks():
        nb = course.released(json.loads(path.read_text(encoding="utf-8")))
        (folder / path.name).write_text(course.dumps(nb), encoding="utf-8")
    return notebooks(folder)


TEST = {"grade": True, "solution": False, "grade_id": "test_secret", "points": 1}  # a test cell


def notebook_of(*cells: tuple[str, str, dict]):
    """A notebook of (kind, source, nbgrader metadata) cells: "code" or "markdown"."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for kind, source, grading in cells:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        cell = make(source)
        if grading:
            cell.metadata["nbgrader"] = grading
        nb.cells.append(cell)
    return nb
