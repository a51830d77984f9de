"""Copies of the kit's own files, for tests that change them (a primitive, the rubric)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from tests.helpers import ROOT

BUILT = ("__pycache__", ".pytest_cache", "*.pyc")  # never copied: made by running the kit


def copy_project(dest: Path, names: Sequence[str], *skip: str) -> Path:
    """`names` (folders or files at the kit's root) copied into `dest`, without what the kit
    builds and without `skip` patterns; `dest`."""
    ignore = shutil.ignore_patterns(*BUILT, *skip)
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = ROOT / name
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore)
        else:
            shutil.copy2(source, dest / name)
    return dest
