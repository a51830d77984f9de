"""Comparing two OUT folders as a TA would: every output equal apart from times and timings."""

from __future__ import annotations

import json
import re
from pathlib import Path

# Timings and clock times: the only things a sharded run may change.
_TIMES = [
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?"), "<time>"),
    (re.compile(r"\b\d+(\.\d+)? ?(s|ms|seconds?)\b"), "<seconds>"),
]


def _plain(text: str) -> str:
    for pattern, replacement in _TIMES:
        text = pattern.sub(replacement, text)
    return text


def _results(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["extra_data"].pop("seconds", None)
    data.pop("execution_time", None)
    return data


def outputs(out: Path) -> dict[str, object]:
    """Every output file of OUT (the cluster's own folder left out), comparable."""
    found: dict[str, object] = {}
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out)
        if not path.is_file() or relative.parts[0] == ".cluster" or path.name.startswith("."):
            continue
        if path.name == "results.json":
            found[str(relative)] = _results(path)
        else:
            found[str(relative)] = _plain(path.read_text(encoding="utf-8"))
    return found


def differences(a: Path, b: Path) -> list[str]:
    """What differs between two OUT folders (empty: the same outputs)."""
    left, right = outputs(a), outputs(b)
    problems = [f"only in {a}: {name}" for name in sorted(set(left) - set(right))]
    problems += [f"only in {b}: {name}" for name in sorted(set(right) - set(left))]
    for name in sorted(set(left) & set(right)):
        if left[name] != right[name]:
            problems.append(f"{name} differs")
    return problems
