"""The reference's answers: the same scenarios run with the reference, in this process.

The handler (adkit/inside/handler.py) runs each scenario here on the pristine reference
exactly as the worker runs it on the student's package (with the same stand-in data,
adkit/grade/stand_in_data.py, and operators' graphs read whole the same way,
adkit/grade/rings.py), so both sides answer the same question with the same code. This
is the one grader-side module that runs the handler: nothing here is sent to, or trusted
from, the student's worker.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adkit.inside import handler, state

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "simpleautodiff"
_REFERENCE_NAME = "_adkit_reference_simpleautodiff"

# Values computed once per grading job and kept for all its students: the big graphs'
# wirings, names, child lists and expected answers. They pay: one answer of the reference
# on the 100,000-op chain takes 1-5 s (measured: building the chain, then running it),
# against 0.1 ms to look it up.
cache: dict[str, Any] = {}


class GraderError(RuntimeError):
    """The grader itself went wrong (not the student): reported as a grader error."""


def load_reference() -> Any:
    """The reference package, under a module name nothing else uses."""
    if _REFERENCE_NAME in sys.modules:
        return sys.modules[_REFERENCE_NAME]
    spec = importlib.util.spec_from_file_location(
        _REFERENCE_NAME, REFERENCE / "__init__.py", submodule_search_locations=[str(REFERENCE)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[_REFERENCE_NAME] = module
    spec.loader.exec_module(module)
    return module


def cached(key: str, make: Callable[[], Any]) -> Any:
    """`make()`, computed once per grading job (for values the same for every student)."""
    if key not in cache:
        cache[key] = make()
        # Kept as long as the process: keep the cyclic collector from walking their
        # millions of objects again for every student.
        gc.collect()
        gc.freeze()
    return cache[key]


_STATE = state.State()  # the reference's worker state (its kept graphs, described graphs)


def _run(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with state.use(_STATE):
        return [handler.run(s, load_reference()) for s in scenarios]


def _answer(scenario: dict[str, Any]) -> dict[str, Any]:
    from adkit.grade import rings, stand_in_data

    result = rings.complete(_run([stand_in_data.supply(scenario)]), _run)[0]
    if "error" in result:
        raise GraderError(f"the reference failed a {scenario['kind']} scenario: "
                          f"{result['error']}")
    return result


# The reference's answers to the small scenarios, by the scenario's JSON: every student is
# asked the same questions (drawn from the course secret alone), so most answers are found
# here after the first student (40-60 ms a student, measured). An answer depends on its
# scenario alone: nothing of a student's is in it. Read-only: the same dict is handed out
# again. Not `cached`, whose collection per new key is made for a few big answers.
_ANSWERS: dict[str, dict[str, Any]] = {}
_ANSWERS_KEPT = 8_192


def expect(scenarios: list[dict[str, Any]], same_for_all: bool = False) -> list[dict[str, Any]]:
    """The reference's answer to each scenario (kept in `cache` when `same_for_all`, in
    `_ANSWERS` otherwise)."""
    if same_for_all:
        return [cached("answer:" + repr(sorted(s.items())), lambda s=s: _answer(s))
                for s in scenarios]
    out = []
    for scenario in scenarios:
        key = json.dumps(scenario)
        answer = _ANSWERS.get(key)
        if answer is None:
            answer = _answer(scenario)
            if len(_ANSWERS) >= _ANSWERS_KEPT:
                _ANSWERS.clear()
            _ANSWERS[key] = answer
        out.append(answer)
    return out
