"""Preprocessors that close nbgrader's traps for this course (see docs/course.md).

nbgrader_config.py puts them in nbgrader's pipelines; they need nbgrader and the kit.
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor

from adkit.authoring.course import HIDDEN_BEGIN, clear_solutions
from adkit.platforms.sandboxed_cells import SandboxedExecute

__all__ = ["ClearSolutionsInScope", "HideHiddenTestTracebacks", "SandboxedExecute",
           "StderrIsNotAFailure"]


class ClearSolutionsInScope(ClearSolutions):
    """nbgrader's ClearSolutions, but a region outside any function (a helper, a table, a
    class body) becomes a comment instead of `raise NotImplementedError()`, which would
    stop the released cell from running at all."""

    def _replace_solution_region(self, cell, language):
        if cell.cell_type != "code" or language != "python":
            return super()._replace_solution_region(cell, language)
        cell.source, replaced = clear_solutions(cell.source)
        return replaced


class StderrIsNotAFailure(NbGraderPreprocessor):
    """Turn stderr output into stdout after execution, before grading.

    nbgrader gives 0 to a test cell with any stderr output, so a warning from a correct
    solution (or a stray debug print) would cost the task. A failing test raises, and
    errors are kept as they are, so this changes no failing cell into a passing one.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
        return cell, resources


class HideHiddenTestTracebacks(NbGraderPreprocessor):
    """In feedback, cut the traceback of a cell holding hidden tests to its last line.

    ClearHiddenTests removes the hidden code from the cell, but a failing hidden test's
    traceback quotes the hidden lines; only the error's type and message stay.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and HIDDEN_BEGIN in cell.source:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
                    output["traceback"] = [message + "  (in a hidden test)"]
        return cell, resources
