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


def differences(a: Path, b: Path, detail: bool = False) -> list[str]:
    """What differs between two OUT folders (empty: the same outputs); with `detail`, how."""
    left, right = outputs(a), outputs(b)
    problems = [f"only in {a}: {name}" for name in sorted(set(left) - set(right))]
    problems += [f"only in {b}: {name}" for name in sorted(set(right) - set(left))]
    for name in sorted(set(left) & set(right)):
        if left[name] != right[name]:
            problems.append(f"{name} differs" + (f": {_how(left[name], right[name])}"
                                                 if detail else ""))
    return problems


def _how(left: object, right: object) -> str:
    """The first difference, briefly (a test's outcome, or a line)."""
    if isinstance(left, dict) and isinstance(right, dict):
        tests = {t.get("name"): t for t in left.get("tests", [])}
        for test in right.get("tests", []):
            if tests.get(test.get("name")) != test:
                old = tests.get(test.get("name")) or {}
                return (f"{test.get('name')}: {old.get('score')} vs {test.get('score')}: "
                        f"{str(old.get('output'))[:300]!r} vs {str(test.get('output'))[:300]!r}")
        return "other fields"
    lines = zip(str(left).splitlines(), str(right).splitlines(), strict=False)
    return next((f"{x[:200]!r} vs {y[:200]!r}" for x, y in lines if x != y), "length")
