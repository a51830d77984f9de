"""What the hidden tests use: the student's session, the reference, and verdicts with reasons.

A `Session` sends scenarios to the student's sandboxed worker and runs the same scenarios
with the reference in this process. A `Judge` counts a test's cases and collects the
sentences that explain each lost point.
"""

from __future__ import annotations

import gc
import importlib.util
import random
import sys
import time
from pathlib import Path
from typing import Any

from adkit.grade import checks
from adkit.grade.explain import shrink, to_text, wired_names
from adkit.inside import handler as worker

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "simpleautodiff"
_REFERENCE_NAME = "_adkit_reference_simpleautodiff"
# Expected results of scenarios shared by all students (big graphs), per grading process.
_SHARED: dict[str, Any] = {}


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


class Session:
    """One student's grading: their sandbox, their seed, and the current test's time limit."""

    def __init__(self, student_id: str, seed: int, secret_seed: int, sandbox: Any,
                 broken: str | None = None) -> None:
        self.student_id = student_id
        self.seed = seed
        self.secret_seed = secret_seed  # the same for every student: big shared graphs
        self.sandbox = sandbox
        self.broken = broken
        self.deadline = time.monotonic() + 10.0
        # Scenario kinds that crashed or hung, per task: later calls of that kind in the same
        # task are skipped (a hang costs its time limit once), other tasks still try theirs.
        self.failed_kinds: dict[tuple[str, str], str] = {}
        self.task = ""
        self.graph_broken: str | None = None  # set by the graph task, read by operators

    def rng(self, salt: str) -> random.Random:
        """This student's random numbers for one test (stable whatever other tests do)."""
        return random.Random(f"{self.seed}:{salt}")

    def start_test(self, seconds: float, task: str = "") -> None:
        self.deadline = time.monotonic() + seconds
        self.task = task

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def call(self, scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run scenarios in the student's sandbox: one result or {"error": ...} each."""
        if self.broken:
            return [{"error": self.broken} for _ in scenarios]
        kinds = {s["kind"] for s in scenarios}
        skipped = [self.failed_kinds[(self.task, k)] for k in kinds
                   if (self.task, k) in self.failed_kinds]
        if skipped and len(skipped) == len(kinds):
            return [{"error": f"not run: {skipped[0]}"} for _ in scenarios]
        timeout = self.time_left()
        if timeout <= 0.05:
            return [{"error": "not run: this test's time limit was used up by earlier calls"}
                    for _ in scenarios]
        reply = self.sandbox.call({"scenarios": scenarios}, timeout=timeout)
        if not reply.ok:
            problem = reply.problem or "your code stopped the grader's process"
            if reply.output:
                problem += f" Output before that: {_excerpt(reply.output)}"
            for k in kinds:
                self.failed_kinds[(self.task, k)] = problem
            return [{"error": problem} for _ in scenarios]
        value = reply.value
        if not isinstance(value, dict):
            raise GraderError(f"the worker replied {type(value).__name__}")
        if "import_error" in value:
            self.broken = f"your package could not be imported: {value['import_error']}"
            return [{"error": self.broken} for _ in scenarios]
        results = value.get("results")
        if not isinstance(results, list) or len(results) != len(scenarios):
            raise GraderError("the worker's reply does not match the request")
        for k, result in enumerate(results):
            if isinstance(result, dict) and isinstance(result.get("order"), dict):
                order = worker.unpack_order(result["order"])
                results[k] = {"order": order} if order is not None else {
                    "error": "the order came back damaged (did your code change the grader's "
                             "worker?)"}
        return results

    def expect(self, scenarios: list[dict[str, Any]], shared: bool = False) -> list[dict]:
        """The same scenarios run with the reference here (cached when `shared`)."""
        reference = load_reference()
        out = []
        for s in scenarios:
            key = repr(sorted(s.items())) if shared else None
            if key is not None and key in _SHARED:
                out.append(_SHARED[key])
                continue
            result = worker.run(s, reference)
            if "error" in result:
                raise GraderError(f"the reference failed a {s['kind']} scenario: "
                                  f"{result['error']}")
            if key is not None:
                _SHARED[key] = result
                _freeze()
            out.append(result)
        return out


def shared_value(key: str, make: Any) -> Any:
    """A value computed once per grading process (structure of the big graphs)."""
    if key not in _SHARED:
        _SHARED[key] = make()
        _freeze()
    return _SHARED[key]


def _freeze() -> None:
    # Shared values live as long as the process: keep the cyclic collector from walking
    # their millions of objects again for every student.
    gc.collect()
    gc.freeze()


def _excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "...")


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


# --- verdicts: None when the student's result is right, else one sentence -------------------

def _fmt(x: Any) -> str:
    return f"{x:.10g}" if isinstance(x, float) else repr(x)


def compare_build(want: dict[str, Any], got: dict[str, Any], names: list[str]) -> str | None:
    """Values, operators, parents, local derivatives and children of built nodes."""
    if "error" in got:
        return got["error"]

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

    for i, (w, g) in enumerate(zip(want["nodes"], got["nodes"])):
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
    for i, (w, g) in enumerate(zip(want["nodes"], got["nodes"])):
        wc, gc = set(canon(w["children"], want)), set(canon(g["children"], got))
        if wc != gc:
            return (f"{names[i]}.child_nodes holds {{{', '.join(sorted(gc)) or 'nothing'}}}, "
                    f"expected {{{', '.join(sorted(wc)) or 'nothing'}}}")
    return None


def compare_numbers(want: list[float], got: list[float], chosen: list[int] | range,
                    label: Any) -> str | None:
    """The first of the chosen positions where `got` differs from `want`."""
    for i in chosen:
        if not checks.close(want[i], got[i]):
            return f"{label(i)} should be {_fmt(want[i])} but is {_fmt(got[i])}"
    return None


def check_programs(
    session: Session,
    judge: Judge,
    programs_: list[dict[str, Any]],
    scenario_of: Any,
    verdict: Any,
    what: str,
    shrinkable: bool = True,
) -> None:
    """Run one scenario per program (smallest first); explain the smallest failure, shrunk.

    A failure that is a crash of the student's code is reported as it is, not shrunk.
    """
    programs_ = sorted(programs_, key=lambda p: len(p["ops"]))
    scenarios = [scenario_of(p) for p in programs_]
    got = session.call(scenarios)
    want = session.expect(scenarios)
    failures = []
    for program, w, g in zip(programs_, want, got):
        problem = verdict(program, w, g)
        judge.case(problem is None)
        if problem is not None:
            failures.append((program, problem, "error" in g))
    if not failures:
        return
    program, problem, crashed = failures[0]
    if shrinkable and not crashed and session.time_left() > 1.0:
        def failing(candidates: list[dict[str, Any]]) -> list[bool]:
            sc = [scenario_of(c) for c in candidates]
            return [verdict(c, w, g) is not None
                    for c, w, g in zip(candidates, session.expect(sc), session.call(sc))]

        program = shrink(program, failing, seconds=min(2.0, session.time_left() / 2))
        again = session.call([scenario_of(program)])[0]
        problem = verdict(program, session.expect([scenario_of(program)])[0], again) or problem
    judge.problem(f"{what} for {to_text(program)}: {problem}"
                  + (f" ({len(failures)} of {len(programs_)} functions failed)"
                     if len(failures) > 1 else ""))


def reachable_from(wired: dict[str, Any], start: int, reverse: bool) -> list[int]:
    """Sorted indices reachable from `start` (through parents when `reverse`)."""
    edges = wired["parents"] if reverse else checks.children_of(wired["parents"])
    return sorted(checks.reachable(start, edges))


def names_for(program: dict[str, Any]) -> list[str]:
    return wired_names(program, _wired(program))


# --- hand-wired graphs: orders, forward, backward, tape ----------------------------------

# Hand-picked graphs: x*x (a node listed twice among the children), x-x, a diamond, fan-out.
SHARED = [
    {"inputs": [1.5], "ops": [{"op": "mul", "args": [0, 0]}]},
    {"inputs": [1.5], "ops": [{"op": "sub", "args": [0, 0]}, {"op": "exp", "args": [1]}]},
    {"inputs": [0.7], "ops": [{"op": "sin", "args": [0]}, {"op": "cos", "args": [0]},
                              {"op": "mul", "args": [1, 2]}]},
    {"inputs": [0.7, 1.2], "ops": [{"op": "add", "args": [0, 1]}, {"op": "mul", "args": [2, 0]},
                                   {"op": "sub", "args": [2, 3]}, {"op": "mul", "args": [2, 4]},
                                   {"op": "add", "args": [5, {"const": 2.0}]}]},
]


def _wired(program: dict[str, Any]) -> dict[str, Any]:
    """worker.wiring(program), remembered for the last few programs (asked for often)."""
    key = id(program)
    hit = _WIRED.get(key)
    if hit is not None and hit[0] is program:
        return hit[1]
    if len(_WIRED) > 256:
        _WIRED.clear()
    wired = worker.wiring(program)
    _WIRED[key] = (program, wired)
    return wired


_WIRED: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}


def order_scenarios(program: dict[str, Any]) -> list[dict[str, Any]]:
    """topological_order from every input and an inner node; reverse from output and inner."""
    wired = _wired(program)
    n_in = len(program["inputs"])
    inner = wired["index"][n_in + len(program["ops"]) // 2]
    starts = [(wired["index"][i], False) for i in range(n_in)] + [(inner, False)]
    starts += [(wired["output"], True), (inner, True)]
    return [{"kind": "order", "program": program, "start": s, "reverse": r} for s, r in starts]


def order_verdict(
    program: dict[str, Any], scenario: dict[str, Any], got: dict[str, Any],
    wired: dict[str, Any] | None = None, names: list[str] | None = None,
    children: list[list[int]] | None = None,
) -> str | None:
    if "error" in got:
        return got["error"]
    wired = wired or _wired(program)
    names = names or wired_names(program, wired)
    problem = checks.check_order(got["order"], scenario["start"], wired["parents"],
                                 reverse=scenario["reverse"], children=children, names=names)
    if problem is None:
        return None
    call = "reverse_topological_order" if scenario["reverse"] else "topological_order"
    return f"{call}({names[scenario['start']]}): {problem}"


def generated_graph(kind: str, size: int, seed: int,
                    ) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(program, wiring, names) of a graph the worker generates itself (the big graphs).

    Computed once per grading process: such graphs are large, and the same for everyone.
    """
    def make() -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        program = worker.generate({"generate": [kind, size, seed]})
        wired = worker.generated_wiring(kind, size, seed)
        return program, wired, wired_names(program, wired)

    return shared_value(f"generated:{kind}:{size}:{seed}", make)


def shared_children(wired: dict[str, Any]) -> list[list[int]]:
    """The child lists of a shared graph's wiring, computed once per grading process."""
    return shared_value(f"children:{id(wired)}", lambda: checks.children_of(wired["parents"]))


def check_orders(session: Session, judge: Judge, programs_: list[dict[str, Any]],
                 shrinkable: bool = True) -> None:
    """Every order scenario of every program is one case."""
    # One call for all programs: flatten, then judge each program on all of its orders.
    flat = [(p, s) for p in programs_ for s in order_scenarios(p)]
    got = session.call([s for _, s in flat])

    by_program: dict[int, list[str]] = {}
    crashed = False
    for (p, s), g in zip(flat, got):
        problem = order_verdict(p, s, g)
        judge.case(problem is None)
        if problem:
            by_program.setdefault(id(p), []).append(problem)
            crashed = crashed or "error" in g
    failing = [p for p in programs_ if id(p) in by_program]
    if not failing:
        return
    program = min(failing, key=lambda p: len(p["ops"]))
    problem = by_program[id(program)][0]
    if shrinkable and not crashed and session.time_left() > 1.0:
        def fails(candidates: list[dict[str, Any]]) -> list[bool]:
            flat_c = [(c, s) for c in candidates for s in order_scenarios(c)]
            results = session.call([s for _, s in flat_c])
            bad = {id(c): False for c in candidates}
            for (c, s), g in zip(flat_c, results):
                if order_verdict(c, s, g) is not None:
                    bad[id(c)] = True
            return [bad[id(c)] for c in candidates]

        program = shrink(program, fails, seconds=min(2.0, session.time_left() / 2))
        sc = order_scenarios(program)
        for s, g in zip(sc, session.call(sc)):
            problem = order_verdict(program, s, g) or problem
            if order_verdict(program, s, g):
                break
    judge.problem(f"the order for {to_text(program)}: {problem}")


def _derivative_label(names: list[str], root: int, reverse: bool) -> Any:
    if reverse:
        return lambda i: f"the adjoint ∂{names[root]}/∂{names[i]}"
    return lambda i: f"∂{names[i]}/∂{names[root]} (partial_derivative of {names[i]})"


def _history(names: list[str], calls: list[str], k: int) -> str:
    call = calls[k]
    if k == 0:
        return f"after {call}"
    return f"after {call} (called after {', '.join(calls[:k])} on the same graph)"


def forward_scenario(program: dict[str, Any]) -> dict[str, Any]:
    """forward from every input in turn, then from an inner node, on one graph."""
    wired = _wired(program)
    n_in = len(program["inputs"])
    roots = [wired["index"][i] for i in range(n_in)]
    roots.append(wired["index"][n_in + len(program["ops"]) // 2])
    return {"kind": "forward", "program": program, "roots": roots}


def backward_scenario(program: dict[str, Any]) -> dict[str, Any]:
    """backward from the output twice, then from an inner node, then the output again."""
    wired = _wired(program)
    inner = wired["index"][len(program["inputs"]) + len(program["ops"]) // 2]
    out = wired["output"]
    return {"kind": "backward", "program": program, "outputs": [out, out, inner, out]}


def tape_scenario(program: dict[str, Any]) -> dict[str, Any]:
    f, b = forward_scenario(program), backward_scenario(program)
    calls = [["forward", r] for r in f["roots"]] + [["backward", o] for o in b["outputs"]]
    return {"kind": "tape", "program": program, "calls": calls}


def derivative_verdict(program: dict[str, Any], scenario: dict[str, Any], want: dict[str, Any],
                       got: dict[str, Any], wired: dict[str, Any] | None = None,
                       names: list[str] | None = None) -> str | None:
    """Numbers after each forward/backward call, at the nodes the call is responsible for."""
    if "error" in got:
        return got["error"]
    wired = wired or _wired(program)
    names = names or wired_names(program, wired)
    report = scenario.get("report")
    if scenario["kind"] == "forward":
        calls = [("forward", r) for r in scenario["roots"]]
    elif scenario["kind"] == "backward":
        calls = [("backward", o) for o in scenario["outputs"]]
    else:
        calls = [tuple(c) for c in scenario["calls"]]
        if "recorded" in got:
            n = len(wired["values"])
            if got["recorded"] != list(range(n)):
                return _tape_order_problem(got["recorded"], n, names)
    prefix = "tape." if scenario["kind"] == "tape" else ""
    texts = [f"{prefix}{c}({names[i]})" for c, i in calls]
    for k, (call, start) in enumerate(calls):
        reverse = call == "backward"
        if report is None:
            positions: list[int] = reachable_from(wired, start, reverse)
        else:  # a big shared graph: reachability computed once per grading process
            chosen = shared_value(f"reach:{id(wired)}:{start}:{reverse}",
                                  lambda: set(reachable_from(wired, start, reverse)))  # noqa: B023
            positions = [j for j, i in enumerate(report) if i in chosen]
        label = _derivative_label(names, start, reverse)
        if report is not None:
            label = (lambda inner: lambda j: inner(report[j]))(label)
        problem = compare_numbers(want["after"][k], got["after"][k], positions, label)
        if problem:
            return f"{_history(names, texts, k)}: {problem}"
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


def check_derivatives(session: Session, judge: Judge, programs_: list[dict[str, Any]],
                      make: Any, what: str, shrinkable: bool = True) -> None:
    check_programs(session, judge, programs_, make,
                   lambda p, w, g: derivative_verdict(p, make(p), w, g), what, shrinkable)


# --- the big graph: a chain 100,000 deep, which is also a 100,000-node graph -----------------
# Its inputs x2 and x3 each feed 50,000 nodes, so it tests fan-out at scale as well as
# depth; one big graph per student keeps grading a cohort fast (docs/grading.md).

BIG = (("chain", 100_000, "a chain of 100,000 operations (100,003 nodes)"),)


def big_graphs(session: Session) -> list[tuple[dict[str, Any], dict[str, Any], list[str], str]]:
    """(generator spec, wiring, names, description) of the shared big graphs."""
    def make() -> list[Any]:
        out = []
        for kind, size, text in BIG:
            # Built once per student's worker, inside a Tape (so the tape task needs no
            # second build); the worker builds without the Tape if the student's fails.
            spec = {"generate": [kind, size, session.secret_seed], "keep": True, "record": True}
            _, wired, names = generated_graph(kind, size, session.secret_seed)
            out.append((spec, wired, names, text))
        return out

    return shared_value(f"big:{session.secret_seed}", make)


def big_report(wired: dict[str, Any]) -> list[int]:
    """The nodes whose numbers come back from a big graph: a spread sample and the ends."""
    n = len(wired["values"])
    return sorted({0, 1, 2, n - 1, n - 2, *range(3, n, max(1, n // 300))})


def check_big(session: Session, judge: Judge, make: Any, what: str,
              kinds: tuple[str, ...] = ("chain",)) -> None:
    """`make(spec, wired)` gives the scenario; each big graph is one case."""
    for spec, wired, names, text in big_graphs(session):
        if spec["generate"][0] not in kinds:
            continue
        scenario = make(dict(spec), wired)
        got = session.call([scenario])[0]
        if scenario["kind"] == "order":
            problem = _big_order(session, scenario, wired, names, got)
        else:
            want = session.expect([scenario], shared=True)[0]
            problem = derivative_verdict({}, scenario, want, got, wired, names)
        judge.case(problem is None)
        if problem:
            judge.problem(f"{what} on {text}: {problem}")


def _big_order(session: Session, scenario: dict[str, Any], wired: dict[str, Any],
               names: list[str], got: dict[str, Any]) -> str | None:
    if "error" in got:
        return got["error"]
    want = session.expect([scenario], shared=True)[0]
    if got["order"] == want["order"]:  # the common case, checked at C speed
        return None
    return order_verdict({}, scenario, got, wired, names, shared_children(wired))
