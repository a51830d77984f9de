"""Reading a student-built graph of unknown shape whole, ring by ring, from the grader.

Operators may build any shape (`x - y` as sub, or as add of a negation), so the grader
reads every node connected to the ones it expected. That walk runs here, not in the
student's process (where it would be a general graph walk the student's code could call):
the worker describes the nodes it built and names each unknown neighbour "c<k>"; this
module asks it again for the neighbours it was told about (`neighbours`), until a ring
names no new one. A function's graph is small: most need one or two more rounds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_DESCRIBED = 20_000  # most nodes read for one function built with operators
MAX_ROUNDS = 1_000  # a chain of unknown nodes this long is not an expression's graph

Ask = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def complete(results: list[Any], ask: Ask) -> list[Any]:
    """Each result holding `more` (a token) with all its `others` described in full, and
    the token dropped. `ask(scenarios)` runs `neighbours` scenarios where the results came
    from (the same worker process), one round for all open results at once."""
    results = list(results)
    open_: dict[int, tuple[Any, int]] = {}  # result -> (token, first neighbour not read)
    for k, result in enumerate(results):
        if isinstance(result, dict) and "more" in result and "error" not in result:
            result = dict(result)
            token = result.pop("more")
            result["others"] = list(result.get("others", []))
            results[k] = result
            open_[k] = (token, 0)
    rounds = 0
    while open_:
        rounds += 1
        order = list(open_)
        answers = ask([{"kind": "neighbours", "token": open_[k][0], "start": open_[k][1]}
                       for k in order])
        for k, answer in zip(order, answers, strict=True):
            token, start = open_.pop(k)
            problem = _problem(answer, start, len(results[k]["others"]), rounds)
            if problem:
                results[k] = {"error": problem}
                continue
            rows, total = answer["rows"], answer["total"]
            others = results[k]["others"]
            others[start:start + len(rows)] = rows
            others.extend({} for _ in range(total - len(others)))  # named, not read yet
            if total > start + len(rows):
                open_[k] = (token, start + len(rows))
    return results


def _problem(answer: Any, start: int, known: int, rounds: int) -> str | None:
    """Why a `neighbours` answer cannot be used, or None."""
    if not isinstance(answer, dict):
        return "the worker's answer about the graph's nodes was damaged"
    if "error" in answer:
        return str(answer["error"])
    rows, total = answer.get("rows"), answer.get("total")
    if not isinstance(rows, list) or type(total) is not int or start + len(rows) > total \
            or total < known or start + len(rows) < known:
        return "the worker's answer about the graph's nodes was damaged"
    if total > MAX_DESCRIBED:
        return (f"the graph of this function holds more than {MAX_DESCRIBED:,} nodes (are "
                "unrelated graphs joined?)")
    if rounds > MAX_ROUNDS:
        return "the graph of this function is too deep to read"
    return None
