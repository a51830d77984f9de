"""A backend that runs nothing: it records what the grader hands it (the staged folder's
files and links) and answers every call with a lying, huge import error."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace


class _FakeBox:
    """The open sandbox: records the staged folder when opened."""

    def __init__(self, seen: dict, folder: Path) -> None:
        seen["folder"] = folder
        seen["files"] = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
        seen["links"] = [p for p in folder.rglob("*") if p.is_symlink()]

    def call(self, request: dict, timeout: float | None = None) -> SimpleNamespace:
        huge = type("Lying", (str,), {"__len__": lambda self: 3})("E" * 5_000_000)
        return SimpleNamespace(ok=True, value={"import_error": huge}, output="", problem=None)

    def close(self) -> None:
        pass

    def __enter__(self) -> _FakeBox:
        return self

    def __exit__(self, *_: object) -> None:
        pass


class FakeBackend:
    """Records in `seen` what the grader staged; see the module's docstring."""

    name, isolating = "fake", False

    def __init__(self) -> None:
        self.seen: dict = {}

    def describe(self) -> str:
        return "fake"

    def open(self, submission, handler, support, limits):
        return _FakeBox(self.seen, Path(submission))
