"""Verdicts on the worker's answers: None when right, else one sentence; and the `Judge`.

Every answer is first checked for its shape (types, every expected key, lengths): the
worker runs in the student's process, so a short or missing answer is a failed check with
a sentence, never a pass by default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adkit.grade import checks
from adkit.model import scenarios
from adkit.model.text import cap, shown


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

def _references_problem(scenario: dict[str, Any], got: dict[str, Any]) -> str | None:
    """Node references inside a well-typed answer must point into it (or into the graph)."""
    kind = scenario["kind"]
    if kind in ("build", "wrapper"):
        # The references an answer may hold: 0..n-1 (its nodes) and "c0".."c<m-1>" (others).
        inside = {*range(len(got["nodes"])), *(f"c{k}" for k in range(len(got["others"])))}
        for node in (*got["nodes"], *got["others"]):
            for key in ("parents", "children"):
                refs = node.get(key, ())
                if not inside.issuperset(refs):
                    r = next(r for r in refs if r not in inside)
                    return f"it refers to a node {_fmt(r)} it does not describe"
    if kind == "tape" and got.get("recorded"):
        n = len(scenario["wiring"]["values"]) if "wiring" in scenario else \
            scenarios.graph_size(scenario)
        if min(got["recorded"]) < -1 or max(got["recorded"]) >= n:
            return "tape.nodes names a node that is not in the graph"
    return None


# Answers `answer_problem` found well formed, by id (held, so no other object takes the id
# while it is here): the session checks each answer as it arrives, and each verdict would
# check the same object again (30 ms a student, measured). Emptied by each new Session.
_CHECKED: dict[int, Any] = {}
_CHECKED_KEPT = 4_096


def forget_checked() -> None:
    """Forget the answers found well formed (a new student's session starts)."""
    _CHECKED.clear()


def answer_problem(scenario: dict[str, Any], got: Any) -> str | None:
    """None if `got` has the shape the handler gives this scenario's answers, else a sentence.

    The shapes and sizes are declared once, in adkit/model/scenarios.py; every number is
    an exact float (NaN and infinities included: judged as wrong numbers, never raised on).
    A grad answer may hold a wrong number of derivatives: that is the student's grad's bug,
    which compare_grad explains.
    """
    if _CHECKED.get(id(got)) is got:
        return None
    kind = scenario["kind"]
    problem = scenarios.validate_answer(scenario, got)
    if problem is not None or "error" in got:
        return problem
    problem = _references_problem(scenario, got)
    if problem is None:
        if len(_CHECKED) >= _CHECKED_KEPT:
            _CHECKED.clear()
        _CHECKED[id(got)] = got
        return None
    return (f"the answer to the grader's {kind} question came back damaged ({problem}); did "
            "your code change the grader's worker or its output?")


# --- verdicts --------------------------------------------------------------------------------

def _fmt(x: Any) -> str:
    """A number or name from an answer as a student reads it: short, controls escaped."""
    if type(x) is float:
        return f"{x:.10g}"
    if type(x) is str:  # quoted; escaping lengthens it: cap again
        return f"'{cap(shown(x, 60, one_line=True), 80)}'"
    return cap(shown(repr(x), 60, one_line=True), 80)


def _fmt_list(xs: list[Any]) -> str:
    """[0.6568191866, 1]: numbers as numbers, not as quoted strings."""
    return "[" + ", ".join(map(_fmt, xs)) + "]"


def compare_build(want: dict[str, Any], got: dict[str, Any], names: list[str],
                  scenario: dict[str, Any]) -> str | None:
    """Values, operators, parents, local derivatives and children of built nodes."""
    problem = answer_problem(scenario, got)
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
                out.append(f"a node made inside the primitive (operator {_fmt(other['operator'])})")
        return out

    for i, (w, g) in enumerate(zip(want["nodes"], got["nodes"], strict=True)):
        name = names[i]
        if not checks.close(w["value"], g["value"]):
            return f"{name} has value {_fmt(g['value'])}, expected {_fmt(w['value'])}"
        if g["operator"] != w["operator"]:
            return f"{name} has operator {_fmt(g['operator'])}, expected {_fmt(w['operator'])}"
        wp, gp = canon(w["parents"], want), canon(g["parents"], got)
        if wp != gp:
            return f"{name} has parent_nodes [{', '.join(gp)}], expected [{', '.join(wp)}]"
        if len(g["grads"]) != len(w["grads"]) or not all(
                checks.close(a, b) for a, b in zip(w["grads"], g["grads"])):
            return (f"{name} has grad_wrt_parents {_fmt_list(g['grads'])}, expected "
                    f"{_fmt_list(w['grads'])} (∂{name}/∂ each parent, in order)")
    for i, (w, g) in enumerate(zip(want["nodes"], got["nodes"], strict=True)):
        wc, gc = set(canon(w["children"], want)), set(canon(g["children"], got))
        if wc != gc:
            return (f"{names[i]}.child_nodes holds {{{', '.join(sorted(gc)) or 'nothing'}}}, "
                    f"expected {{{', '.join(sorted(wc)) or 'nothing'}}}")
    return None


# --- graphs of any shape: judged by what they mean ------------------------------------------

class _Seen:
    """An answer's whole graph by integer: program nodes first, then the others ("c<k>")."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.n = len(answer["nodes"])
        every = [*answer["nodes"], *answer["others"]]
        self.values = [x["value"] for x in every]
        self.operators = [x["operator"] for x in every]
        self.parents = [[self._index(r) for r in x.get("parents", ())] for x in every]
        self.grads = [list(x.get("grads", ())) for x in every]
        self.children = [[self._index(r) for r in x.get("children", ())] for x in every]

    def _index(self, ref: int | str) -> int:
        return ref if isinstance(ref, int) else self.n + int(ref[1:])

    def order(self, start: int, edges: list[list[int]]) -> list[int]:
        """Every node reachable from `start` along `edges`, each before those it leads to
        (reversed depth-first post-order; iterative: a cycle ends the walk, not the grader)."""
        seen, post, path = {start}, [], [(start, 0)]
        while path:
            node, i = path[-1]
            if i < len(edges[node]):
                path[-1] = (node, i + 1)
                nxt = edges[node][i]
                if nxt not in seen:
                    seen.add(nxt)
                    path.append((nxt, 0))
            else:
                post.append(node)
                path.pop()
        return post[::-1]

    def adjoints(self, output: int, through: Callable[[int], bool]) -> dict[int, float]:
        """∂output/∂n along parent_nodes, entering only the nodes `through` allows."""
        def parents(v: int) -> list[int]:
            return self.parents[v] if v == output or through(v) else []

        edges = [parents(v) for v in range(len(self.parents))]
        adjoint = {output: 1.0}
        for v in self.order(output, edges):
            a = adjoint.get(v, 0.0)
            for p, g in zip(edges[v], self.grads[v]):
                adjoint[p] = adjoint.get(p, 0.0) + a * g
        return adjoint

    def tangents(self, root: int) -> dict[int, float]:
        """∂n/∂root along child_nodes, as forward mode computes it."""
        order = self.order(root, self.children)
        reached = set(order)
        tangent = {root: 1.0}
        for v in order[1:]:
            tangent[v] = sum(g * tangent.get(p, 0.0) for p, g in
                             zip(self.parents[v], self.grads[v]) if p in reached)
        return tangent


def compare_meaning(want: dict[str, Any], got: dict[str, Any], names: list[str],
                    scenario: dict[str, Any], n_inputs: int) -> str | None:
    """A graph of any shape (operators): the values of the function's nodes, their local
    derivatives with respect to the function's earlier nodes (through any nodes made in
    between), and ∂/∂ each input by forward mode (along child_nodes) and of the output by
    reverse mode (along parent_nodes), each equal to the reference's."""
    problem = answer_problem(scenario, got)
    if problem is not None or "error" in got:
        return problem or got["error"]
    w, g = _Seen(want), _Seen(got)
    n = g.n
    for i in range(n):
        if not checks.close(w.values[i], g.values[i]):
            return f"{names[i]} has value {_fmt(g.values[i])}, expected {_fmt(w.values[i])}"
    for v in range(len(g.parents)):
        if len(g.grads[v]) != len(g.parents[v]):
            who = names[v] if v < n else f"a node made for it (operator {_fmt(g.operators[v])})"
            return (f"{who} has {len(g.parents[v])} parent_nodes but {len(g.grads[v])} "
                    "grad_wrt_parents (one local derivative per parent)")

    def compare(label: Callable[[int], str], wd: dict[int, float], gd: dict[int, float],
                ) -> str | None:
        for k in range(n):
            a, b = wd.get(k, 0.0), gd.get(k, 0.0)
            if not checks.close(a, b):
                return f"{label(k)} is {_fmt(b)}, expected {_fmt(a)}"
        return None

    for i in range(n_inputs, n):
        problem = compare(lambda k, i=i: f"∂{names[i]}/∂{names[k]}",
                          *(side.adjoints(i, lambda v: v >= n) for side in (w, g)))
        if problem:
            return (f"{problem} (the local derivative along {names[i]}'s parent_nodes and "
                    "grad_wrt_parents, through any nodes made in between)")
    for j in range(n_inputs):
        problem = compare(lambda k, j=j: f"∂{names[k]}/∂{names[j]}",
                          w.tangents(j), g.tangents(j))
        if problem:
            return (f"forward mode from {names[j]} along child_nodes: {problem} (is every "
                    "new node in its parents' child_nodes?)")
    problem = compare(lambda k: f"∂{names[n - 1]}/∂{names[k]}",
                      w.adjoints(n - 1, lambda v: True), g.adjoints(n - 1, lambda v: True))
    if problem:
        return f"reverse mode from {names[n - 1]} along parent_nodes: {problem}"
    return None


def compare_numbers(want: list[float], got: list[float], chosen: list[int] | range,
                    label: Callable[[int], str]) -> str | None:
    """The first of the chosen positions where `got` differs from `want`."""
    for i in chosen:
        if type(got[i]) is str:  # the worker's words for what is there instead
            return (f"{label(i)} should be {_fmt(want[i])} but is "
                    f"{cap(shown(got[i], 70, one_line=True), 80)}, not a number")
        if not checks.close(want[i], got[i]):
            return f"{label(i)} should be {_fmt(want[i])} but is {_fmt(got[i])}"
    return None


def compare_grad(want: dict[str, Any], got: dict[str, Any], scenario: dict[str, Any],
                 ) -> str | None:
    """The derivatives grad(f) returned, one per input."""
    problem = answer_problem(scenario, got)
    if problem is not None or "error" in got:
        return problem or got["error"]
    w, g = want["grad"], got["grad"]
    if len(g) != len(w):
        return f"grad(f) returned {len(g)} derivatives, expected {len(w)} (one per input)"
    for i, (a, b) in enumerate(zip(w, g)):
        if not checks.close(a, b):
            return f"∂y/∂x{i + 1} from grad(f) should be {_fmt(a)} but is {_fmt(b)}"
    return None


def order_verdict(scenario: dict[str, Any], got: dict[str, Any], wired: dict[str, Any],
                  names: list[str], children: list[list[int]] | None = None) -> str | None:
    """Whether the returned order is a valid (reverse) topological order from the start."""
    problem = answer_problem(scenario, got)
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
    problem = answer_problem(scenario, got)
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
