"""Verdicts on the worker's answers: None when right, else one sentence; and the `Judge`.

Every answer is first checked for its shape (types, every expected key, lengths): the
worker runs in the student's process, so a short or missing answer is a failed check with
a sentence, never a pass by default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adkit.grade import checks


class Judge:
    """A test's cases: the share that passed is its credit; each failure says why."""

    def __init__(self) -> None:
        self.passed = 0
        self.total = 0
        self.problems: list[str] = []
        self.notes: list[str] = []

    def case(self, ok: bool, problem: str | None = None) -> None:
        self.total += 1
        if ok:
            self.passed += 1
        elif problem:
            self.problems.append(problem)

    def problem(self, text: str) -> None:
        self.problems.append(text)

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else (0.0 if self.problems else 1.0)

    def finish(self) -> None:
        """Fail the test (with every reason) unless every case passed."""
        if self.passed < self.total or self.problems:
            shown = self.problems[:3]
            more = len(self.problems) - len(shown)
            lines = [*self.notes, *shown]
            if more > 0:
                lines.append(f"(and {more} more like this)")
            if not lines:
                lines = ["some cases failed"]
            raise AssertionError("\n".join(lines))


# --- the shape of an answer ----------------------------------------------------------------

def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_index(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _indices(x: Any, n_nodes: int) -> bool:
    """A list of node indices, -1 standing for an object that is not a node of the graph."""
    return isinstance(x, list) and all(_is_index(i) and -1 <= i < n_nodes for i in x)


def _numbers(x: Any, length: int | None) -> bool:
    return (isinstance(x, list) and (length is None or len(x) == length)
            and all(_is_number(v) for v in x))


def _described_problem(got: dict[str, Any], n_nodes: int) -> str | None:
    nodes, others = got.get("nodes"), got.get("others")
    if not isinstance(nodes, list) or not isinstance(others, list):
        return "no `nodes` or `others` list"
    if len(nodes) != n_nodes:
        return f"{len(nodes)} nodes described instead of {n_nodes}"

    def ref_ok(r: Any) -> bool:
        if _is_index(r):
            return 0 <= r < n_nodes
        return (isinstance(r, str) and r[:1] == "c" and r[1:].isdigit()
                and int(r[1:]) < len(others))

    for node in nodes:
        if not (isinstance(node, dict) and _is_number(node.get("value"))
                and isinstance(node.get("operator"), str) and _numbers(node.get("grads"), None)
                and all(isinstance(node.get(k), list) and all(ref_ok(r) for r in node[k])
                        for k in ("parents", "children"))):
            return "a node's description lacks a field or holds a wrong type"
    for other in others:
        if not (isinstance(other, dict) and _is_number(other.get("value"))
                and isinstance(other.get("operator"), str) and _is_index(other.get("n_parents"))):
            return "a constant's description lacks a field or holds a wrong type"
    return None


def answer_problem(scenario: dict[str, Any], got: Any, n_nodes: int) -> str | None:
    """Whether `got` has the shape the handler gives this scenario's answers.

    `n_nodes`: the nodes described (build, wrapper) or wired (orders, derivatives).
    """
    if not isinstance(got, dict):
        problem: str | None = "not a dict"
    elif "error" in got:
        problem = None if isinstance(got["error"], str) else "an error that is not a sentence"
    else:
        kind = scenario["kind"]
        if kind in ("build", "wrapper"):
            problem = _described_problem(got, n_nodes)
        elif kind == "order":
            problem = None if _indices(got.get("order"), n_nodes) else "no order of node indices"
        elif kind == "grad":
            problem = None if _numbers(got.get("grad"), None) else "no list of derivatives"
        else:
            problem = _derivatives_shape(scenario, got, n_nodes)
    if problem is None:
        return None
    return (f"the answer to this check came back incomplete or damaged ({problem}); did "
            "your code change the grader's worker?")


def _derivatives_shape(scenario: dict[str, Any], got: dict[str, Any], n_nodes: int,
                       ) -> str | None:
    kind = scenario["kind"]
    calls = {"forward": scenario.get("roots"), "backward": scenario.get("outputs"),
             "tape": scenario.get("calls")}[kind]
    width = len(scenario["report"]) if scenario.get("report") is not None else n_nodes
    after = got.get("after")
    if not isinstance(after, list) or len(after) != len(calls):
        return "not one list of numbers per call"
    if not all(_numbers(row, width) for row in after):
        return f"a list of numbers is not {width} long"
    if kind == "tape" and scenario.get("recorded", True):
        if not _indices(got.get("recorded"), n_nodes):
            return "no list of the nodes on the tape"
    return None


# --- verdicts --------------------------------------------------------------------------------

def _fmt(x: Any) -> str:
    return f"{x:.10g}" if isinstance(x, float) else repr(x)


def compare_build(want: dict[str, Any], got: dict[str, Any], names: list[str],
                  scenario: dict[str, Any] | None = None) -> str | None:
    """Values, operators, parents, local derivatives and children of built nodes."""
    problem = answer_problem(scenario or {"kind": "build"}, got, len(want["nodes"]))
    if problem is not None or "error" in got:
        return problem or got["error"]

    def canon(refs: list[Any], side: dict[str, Any]) -> list[str]:
        out = []
        for r in refs:
            if isinstance(r, int):
                out.append(names[r] if 0 <= r < len(names) else "?")
                continue
            other = side["others"][int(r[1:])]
            if other["operator"] == "const" and other["n_parents"] == 0:
                out.append(f"a constant node {other['value']:g}")
            else:
                out.append(f"a node made inside the primitive (operator {other['operator']!r})")
        return out

    for i, (w, g) in enumerate(zip(want["nodes"], got["nodes"], strict=True)):
        name = names[i]
        if not checks.close(w["value"], g["value"]):
            return f"{name} has value {_fmt(g['value'])}, expected {_fmt(w['value'])}"
        if g["operator"] != w["operator"]:
            return f"{name} has operator {g['operator']!r}, expected {w['operator']!r}"
        wp, gp = canon(w["parents"], want), canon(g["parents"], got)
        if wp != gp:
            return f"{name} has parent_nodes [{', '.join(gp)}], expected [{', '.join(wp)}]"
        if len(g["grads"]) != len(w["grads"]) or not all(
                checks.close(a, b) for a, b in zip(w["grads"], g["grads"])):
            return (f"{name} has grad_wrt_parents {[_fmt(v) for v in g['grads']]}, expected "
                    f"{[_fmt(v) for v in w['grads']]} (∂{name}/∂ each parent, in order)")
    for i, (w, g) in enumerate(zip(want["nodes"], got["nodes"], strict=True)):
        wc, gc = set(canon(w["children"], want)), set(canon(g["children"], got))
        if wc != gc:
            return (f"{names[i]}.child_nodes holds {{{', '.join(sorted(gc)) or 'nothing'}}}, "
                    f"expected {{{', '.join(sorted(wc)) or 'nothing'}}}")
    return None


def compare_numbers(want: list[float], got: list[float], chosen: list[int] | range,
                    label: Callable[[int], str]) -> str | None:
    """The first of the chosen positions where `got` differs from `want`."""
    for i in chosen:
        if not checks.close(want[i], got[i]):
            return f"{label(i)} should be {_fmt(want[i])} but is {_fmt(got[i])}"
    return None


def compare_grad(want: dict[str, Any], got: dict[str, Any], scenario: dict[str, Any],
                 ) -> str | None:
    """The derivatives grad(f) returned, one per input."""
    problem = answer_problem(scenario, got, 0)
    if problem is not None or "error" in got:
        return problem or got["error"]
    w, g = want["grad"], got["grad"]
    if len(g) != len(w):
        return f"grad(f) returned {len(g)} derivatives, expected {len(w)} (one per input)"
    for i, (a, b) in enumerate(zip(w, g)):
        if not checks.close(a, b):
            return f"∂y/∂x{i + 1} from grad(f) should be {a:.10g} but is {b:.10g}"
    return None


def order_verdict(scenario: dict[str, Any], got: dict[str, Any], wired: dict[str, Any],
                  names: list[str], children: list[list[int]] | None = None) -> str | None:
    """Whether the returned order is a valid (reverse) topological order from the start."""
    problem = answer_problem(scenario, got, len(wired["values"]))
    if problem is not None or "error" in got:
        return problem or got["error"]
    problem = checks.check_order(got["order"], scenario["start"], wired["parents"],
                                 reverse=scenario["reverse"], children=children, names=names)
    if problem is None:
        return None
    call = "reverse_topological_order" if scenario["reverse"] else "topological_order"
    return f"{call}({names[scenario['start']]}): {problem}"


def _derivative_label(names: list[str], root: int, reverse: bool) -> Callable[[int], str]:
    if reverse:
        return lambda i: f"the adjoint ∂{names[root]}/∂{names[i]}"
    return lambda i: f"∂{names[i]}/∂{names[root]} (partial_derivative of {names[i]})"


def _history(calls: list[str], k: int) -> str:
    call = calls[k]
    if k == 0:
        return f"after {call}"
    return f"after {call} (called after {', '.join(calls[:k])} on the same graph)"


def calls_of(scenario: dict[str, Any]) -> list[tuple[str, int]]:
    """(call, node index) for each forward/backward call the scenario makes, in order."""
    if scenario["kind"] == "forward":
        return [("forward", r) for r in scenario["roots"]]
    if scenario["kind"] == "backward":
        return [("backward", o) for o in scenario["outputs"]]
    return [(c, i) for c, i in scenario["calls"]]


def derivative_verdict(scenario: dict[str, Any], want: dict[str, Any], got: dict[str, Any],
                       wired: dict[str, Any], names: list[str],
                       reach: Callable[[int, bool], set[int]]) -> str | None:
    """Numbers after each forward/backward call, at the nodes the call is responsible for.

    `reach(start, reverse)` is the set of wiring indices a call from `start` reaches.
    """
    problem = answer_problem(scenario, got, len(wired["values"]))
    if problem is not None or "error" in got:
        return problem or got["error"]
    report = scenario.get("report")
    if scenario["kind"] == "tape" and scenario.get("recorded", True):
        n = len(wired["values"])
        if got["recorded"] != list(range(n)):
            return _tape_order_problem(got["recorded"], n, names)
    calls = calls_of(scenario)
    prefix = "tape." if scenario["kind"] == "tape" else ""
    texts = [f"{prefix}{c}({names[i]})" for c, i in calls]
    for k, (call, start) in enumerate(calls):
        reverse = call == "backward"
        chosen = reach(start, reverse)
        label = _derivative_label(names, start, reverse)
        if report is None:
            positions: list[int] = sorted(chosen)
        else:
            positions = [j for j, i in enumerate(report) if i in chosen]
            label = (lambda inner: lambda j: inner(report[j]))(label)
        problem = compare_numbers(want["after"][k], got["after"][k], positions, label)
        if problem:
            return f"{_history(texts, k)}: {problem}"
    return None


def _tape_order_problem(recorded: list[int], n: int, names: list[str]) -> str:
    if any(i < 0 for i in recorded):
        return "tape.nodes holds objects that were not created inside the `with Tape()` block"
    if len(recorded) != n:
        return (f"tape.nodes holds {len(recorded)} nodes, but {n} were created inside the "
                f"`with Tape()` block")
    first = next(k for k, i in enumerate(recorded) if i != k)
    return (f"tape.nodes is not in creation order: position {first} holds "
            f"{names[recorded[first]]}, but {names[first]} was created then")
