"""The handler: runs the grader's named scenarios with the student's package, in the worker.

`handle({"scenarios": [...]})` runs each scenario with `simpleautodiff` (imported from the
submission) and returns `{"results": [...]}`, one plain JSON-able dict per scenario, or
`{"error": "..."}` for a scenario that failed. Nothing here judges the student, knows the
right answers, or holds an algorithm of a graded task: the grader computes each graph's
wiring, the orders and adjoints its stand-ins hand out, and the rules the wrapper task
uses, and sends them as data for that scenario (adkit/grade/stand_in_data.py); it compares
what comes back with the same scenario run here on the reference (adkit/grade/reference.py).

The package holds only what touches the student's objects: `graphs` (wiring their graph by
hand from `Node`, as docs/contract.md's "graph wiring" row says, so a wrong primitive costs
only `graph` points), `building` (with their functions), `stand_ins` (calling their
functions with scenario-bound stand-ins swapped in), `answers` (reading the answers back as
plain data), `problems` (their failures in words) and `state` (what a worker keeps).
Standard library only, and nothing from the rest of the kit.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import Any

from .answers import describe, indices, items, neighbours, number, pack_order, report
from .building import Inputs, build, wrapped
from .graphs import graph
from .problems import ScenarioError, explain, where
from .stand_ins import Built, Scope, sent_orders, stand_in_backward, stand_in_order, swapped
from .state import current

_type, _len = type, len


def _scenario_order(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    built = graph(s, ad)
    function = ad.reverse_topological_order if s.get("reverse") else ad.topological_order
    return {"order": indices(function(built.nodes[s["start"]]), built.known(), "the order")}


def _run_isolated(s: dict[str, Any], ad: Any, call: str, helper: str, reverse: bool,
                  starts: list[int], attribute: str) -> dict[str, Any]:
    """`ad.<call>(node)` for each start, with the stand-in order for `helper` swapped in."""
    built = graph(s, ad)
    nodes, after = built.nodes, []
    scope = Scope()
    known = built.known()
    stand_in = stand_in_order(scope, lambda: (nodes, known), sent_orders(s["orders"]),
                              reverse, call)
    function = getattr(ad, call)
    with swapped(function, ad, {helper: stand_in}, scope):
        for start in starts:
            function(nodes[start])
            after.append(report(nodes, s.get("report"), attribute))
    return {"after": after}


def _scenario_forward(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    return _run_isolated(s, ad, "forward", "topological_order", False, s["roots"],
                         "partial_derivative")


def _scenario_backward(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    return _run_isolated(s, ad, "backward", "reverse_topological_order", True, s["outputs"],
                         "adjoint")


def _scenario_tape(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    built = graph(dict(s, record=True), ad)
    nodes, tape = built.nodes, built.tape
    if isinstance(tape, ScenarioError):
        raise tape
    out: dict[str, Any] = {"after": []}
    if not s.get("keep"):
        ad.Node(1.0)  # made after the `with` block: must not be on the tape
    if s.get("recorded", True):
        out["recorded"] = indices(tape.nodes, built.known(), "tape.nodes")
    for call, index in s["calls"]:
        if call == "forward":
            tape.forward(nodes[index])
            out["after"].append(report(nodes, s.get("report"), "partial_derivative"))
        else:
            tape.backward(nodes[index])
            out["after"].append(report(nodes, s.get("report"), "adjoint"))
    return out


def _scenario_build(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    via = s.get("via", "primitives")
    return describe(build(s["program"], ad, via, s.get("rows")), keep=via == "operators")


def _scenario_neighbours(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    return neighbours(s["token"], s["start"])


def _scenario_wrapper(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    function = wrapped(ad, s["row"], s.get("name"))
    inputs = [ad.Node(float(a)) for a in s["args"] if not isinstance(a, dict)]
    it = iter(inputs)
    args = [a["const"] if isinstance(a, dict) else next(it) for a in s["args"]]
    return describe([*inputs, function(*args)])


def _scenario_grad(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    """grad(f) where f builds the program; backward is the stand-in that sets the adjoints
    the grader sent for f's output."""
    program, via, wired = s["program"], s.get("via", "operators"), s["wiring"]
    positions = s["positions"]
    built = Built()

    def f(*xs: Any) -> Any:
        shaped = dict(program, inputs=[0.0] * len(xs))
        nodes = build(shaped, Inputs(ad, list(xs)), via)
        built.set(nodes, positions)
        return nodes[-1]

    inputs = {k: v for k, (v, op) in enumerate(zip(wired["values"], wired["ops"]))
              if op == "input"}
    scope = Scope()
    replacements = {
        "backward": stand_in_backward(scope, built, inputs, positions[-1], s["adjoints"]),
        "reverse_topological_order": stand_in_order(
            scope, lambda: (built.by_index, built.known), sent_orders(s["orders"]), True,
            "backward"),
    }
    with swapped(ad.grad, ad, replacements, scope):
        result = ad.grad(f)(*[float(v) for v in program["inputs"]])
    values = items(result, "what grad(f)(...) returned")
    return {"grad": [number(v, f"derivative #{i + 1} from grad") for i, v in enumerate(values)]}


SCENARIOS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    "build": _scenario_build,
    "neighbours": _scenario_neighbours,
    "order": _scenario_order,
    "forward": _scenario_forward,
    "backward": _scenario_backward,
    "tape": _scenario_tape,
    "wrapper": _scenario_wrapper,
    "grad": _scenario_grad,
}


def run(scenario: dict[str, Any], ad: Any) -> dict[str, Any]:
    """One scenario with the package `ad`: its result, or {"error": sentence}."""
    try:
        return SCENARIOS[scenario["kind"]](scenario, ad)
    except ScenarioError as error:
        return {"error": str(error)}
    except RecursionError:
        return {"error": "RecursionError: maximum recursion depth exceeded (a recursive walk "
                         "cannot handle deep graphs; use an explicit stack)"
                         + where(sys.exc_info()[2])}
    except BaseException as error:  # noqa: B036 - sys.exit in student code is its failure
        return {"error": explain(error)}


def _student() -> Any:
    state = current()
    if not state.loaded:
        state.loaded = True
        try:
            import simpleautodiff
        except BaseException as error:  # noqa: B036
            state.import_error = explain(error)
        else:
            state.ad = simpleautodiff
    return state.ad


def load_failure() -> str:
    """Why the student's package could not be imported ('' if it was, or was not tried)."""
    return current().import_error


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """The worker's entry point: {"scenarios": [...]} -> {"results": [...]}."""
    # Big graphs are millions of objects: the cyclic collector would walk them again and
    # again for nothing (the process is short-lived and memory-limited).
    gc.disable()
    ad = _student()
    if ad is None:
        return {"import_error": current().import_error}
    if request.get("ping"):
        return {"ok": True}
    return {"results": [_packed(run(s, ad)) for s in request["scenarios"]]}


_PACK_FROM = 1_000  # orders at least this long travel packed


def _packed(result: dict[str, Any]) -> dict[str, Any]:
    """A long order travels as base64 of 32-bit integers (the grader's session unpacks it).

    As JSON, the 100,000 indices of a big graph's order cost more to send and read than
    the student's walk took.
    """
    order = result.get("order")
    if _type(order) is list and _len(order) >= _PACK_FROM:
        result["order"] = pack_order(order)
    return result
