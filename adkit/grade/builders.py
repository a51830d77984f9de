"""Scenario builders: what the hidden tests ask the worker, as plain data.

Each scenario carries what the handler needs and nothing more: the graph's wiring (values,
parents, local derivatives, computed here from the table of primitives), the program to
build with the student's functions, or, for the wrapper task, the rules of the primitives
that scenario uses as expression strings. A big graph is named by `generate`; its wiring
travels packed (adkit/grade/stand_in_data.py adds it, and what the stand-ins hand out, to
each scenario just before it is sent).
"""

from __future__ import annotations

import functools
import json
import random
from typing import Any

from adkit.grade import checks
from adkit.grade.explain import wired_names
from adkit.grade.reference import cached
from adkit.model import primitives, programs
from adkit.model.scenarios import Program, Wiring

# Hand-picked graphs, the same for every student: x*x (a node listed twice among the
# children), x-x, a diamond, fan-out.
FIXED: list[Program] = [
    {"inputs": [1.5], "ops": [{"op": "mul", "args": [0, 0]}]},
    {"inputs": [1.5], "ops": [{"op": "sub", "args": [0, 0]}, {"op": "exp", "args": [1]}]},
    {"inputs": [0.7], "ops": [{"op": "sin", "args": [0]}, {"op": "cos", "args": [0]},
                              {"op": "mul", "args": [1, 2]}]},
    {"inputs": [0.7, 1.2], "ops": [{"op": "add", "args": [0, 1]}, {"op": "mul", "args": [2, 0]},
                                   {"op": "sub", "args": [2, 3]}, {"op": "mul", "args": [2, 4]},
                                   {"op": "add", "args": [5, {"const": 2.0}]}]},
]


def paper_examples(rng: random.Random, points: int = 3) -> list[Program]:
    """The paper's y = log(x1) + x1*x2 - sin(x2) at x1 = 2, x2 = 5, then at `points` of the
    student's random points (so that the paper's numbers alone do not pass)."""
    out = [programs.paper_example()]
    for _ in range(points):
        out.append(programs.paper_example(round(rng.uniform(0.5, 4.0), 3),
                                          round(rng.uniform(-4.0, 4.0), 3)))
    return out


def wiring_of(program: Program) -> Wiring:
    """programs.wiring(program), remembered for the latest programs: a program's scenario,
    its verdict and its names each need it (some 400 times a student, 0.03-0.05 s).
    Read-only: the same dict is handed out again."""
    return _wiring_of(json.dumps(program))


@functools.lru_cache(maxsize=512)
def _wiring_of(text: str) -> Wiring:
    return programs.wiring(json.loads(text))


def names_of(program: Program) -> list[str]:
    """Names of a hand-wired graph's nodes (x1, v1, ..., y; constants by value)."""
    return _names_of(json.dumps(program))


@functools.lru_cache(maxsize=512)
def _names_of(text: str) -> list[str]:
    return wired_names(json.loads(text), _wiring_of(text))


def children_of_program(program: Program) -> list[list[int]]:
    """The child lists of a hand-wired graph's wiring, remembered like `wiring_of` (an order
    verdict needs them, some 200 times a student). Read-only."""
    return _children_of(json.dumps(program))


@functools.lru_cache(maxsize=512)
def _children_of(text: str) -> list[list[int]]:
    return checks.children_of(_wiring_of(text)["parents"])


def reach_of(program: Program) -> Any:
    """`reach(wiring_of(program))`, each answer remembered like `wiring_of` (a derivative
    verdict asks it once per call of each scenario, some 700 times a student). The sets
    are read-only."""
    return _reach_of(json.dumps(program))


@functools.lru_cache(maxsize=512)
def _reach_of(text: str) -> Any:
    wired = _wiring_of(text)
    children = _children_of(text)
    found: dict[tuple[int, bool], set[int]] = {}

    def of(start: int, reverse: bool) -> set[int]:
        key = (start, reverse)
        if key not in found:
            found[key] = checks.reachable(start, wired["parents"] if reverse else children)
        return found[key]

    return of


def sent_wiring(wired: Wiring) -> Wiring:
    """The part of a wiring the handler uses."""
    return {k: wired[k] for k in ("values", "ops", "parents", "grads")}


def reach(wired: Wiring) -> Any:
    """reach(start, reverse): the indices a forward/backward call from `start` reaches."""
    children: list[list[int]] = []

    def of(start: int, reverse: bool) -> set[int]:
        if not reverse and not children:
            children.extend(checks.children_of(wired["parents"]))
        return checks.reachable(start, wired["parents"] if reverse else children)

    return of


# --- orders, forward, backward, tape on hand-wired graphs --------------------------------

def order_scenarios(program: Program) -> list[dict[str, Any]]:
    """topological_order from every input and an inner node; reverse from output and inner."""
    wired = wiring_of(program)
    n_in = len(program["inputs"])
    inner = wired["index"][n_in + len(program["ops"]) // 2]
    starts = [(wired["index"][i], False) for i in range(n_in)] + [(inner, False)]
    starts += [(wired["output"], True), (inner, True)]
    return [{"kind": "order", "wiring": sent_wiring(wired), "start": s, "reverse": r}
            for s, r in starts]


def forward_scenario(program: Program) -> dict[str, Any]:
    """forward from every input in turn, then from an inner node, on one graph."""
    wired = wiring_of(program)
    n_in = len(program["inputs"])
    roots = [wired["index"][i] for i in range(n_in)]
    roots.append(wired["index"][n_in + len(program["ops"]) // 2])
    return {"kind": "forward", "wiring": sent_wiring(wired), "roots": roots}


def backward_scenario(program: Program) -> dict[str, Any]:
    """backward from the output twice, then from an inner node, then the output again."""
    wired = wiring_of(program)
    inner = wired["index"][len(program["inputs"]) + len(program["ops"]) // 2]
    out = wired["output"]
    return {"kind": "backward", "wiring": sent_wiring(wired), "outputs": [out, out, inner, out]}


def tape_scenario(program: Program) -> dict[str, Any]:
    """The forward calls, then the backward calls, through the tape that recorded the graph."""
    f, b = forward_scenario(program), backward_scenario(program)
    calls = [["forward", r] for r in f["roots"]] + [["backward", o] for o in b["outputs"]]
    return {"kind": "tape", "wiring": f["wiring"], "calls": calls}


# --- built with the student's functions ----------------------------------------------------

def rule(name: str) -> dict[str, Any]:
    """One primitive's rules as expression strings, for the handler to compile."""
    return primitives.TABLE[name].rule()


def build_scenario(program: Program, via: str = "primitives") -> dict[str, Any]:
    """Build `program` with the student's primitives, operators, or primitive() (`wrapper`:
    only the rules of the primitives this program uses are sent)."""
    scenario: dict[str, Any] = {"kind": "build", "program": program, "via": via}
    if via == "wrapper":
        scenario["rows"] = {op["op"]: rule(op["op"]) for op in program["ops"]}
    return scenario


def wrapper_scenario(function: str, name: str | None, args: list[Any]) -> dict[str, Any]:
    """primitive(value, *partials, name=name) of the table's `function`, applied to args."""
    return {"kind": "wrapper", "row": rule(function), "name": name, "args": args}


def grad_scenario(program: Program, via: str = "operators") -> dict[str, Any]:
    """grad(f)(*inputs), f building `program`; backward is fed this wiring."""
    wired = wiring_of(program)
    return {"kind": "grad", "program": program, "via": via, "wiring": sent_wiring(wired),
            "positions": wired["index"]}


# --- the big graphs: the same for every student ----------------------------------------------
# A chain 100,000 deep, which is also a 100,000-node graph: its inputs x2 and x3 each feed
# 50,000 nodes, so it tests fan-out at scale as well as depth; one big graph per student
# keeps grading a cohort fast (docs/grading.md).

BIG = (("chain", 100_000, "a chain of 100,000 operations (100,003 nodes)"),)

# One node with 30,000 children that have no children of their own: a walk that scans a
# node's child list from the start each time it comes back to it takes quadratic time here
# (20 to 40 s, against 0.03 s for a linear walk, so the 5 s limit is far from both).
STAR = ("star", 30_000, 0)


def generated_graph(kind: str, size: int, seed: int) -> tuple[Program, Wiring, list[str]]:
    """(program, wiring, names) of a generated graph (the big graphs, the Tape's trial).

    Cached per grading job: such graphs are the same for everyone, and the chain's wiring
    and names take 1-2 s to compute (measured), against nothing to look up.
    """
    def make() -> tuple[Program, Wiring, list[str]]:
        if kind == "chain":
            program = programs.chain_program(size, random.Random(seed))
        elif kind == "star":
            program = programs.star_program(size)
        else:
            raise ValueError(f"unknown generated graph {kind!r}")
        wired = programs.wiring(program)
        return program, wired, wired_names(program, wired)

    return cached(f"generated:{kind}:{size}:{seed}", make)


def children_of_generated(wired: Wiring) -> list[list[int]]:
    """The child lists of a generated graph's wiring (cached per grading job)."""
    return cached(f"children:{id(wired)}", lambda: checks.children_of(wired["parents"]))


def reach_of_generated(wired: Wiring) -> Any:
    """reach(start, reverse) on a generated graph, each answer cached per grading job."""
    def of(start: int, reverse: bool) -> set[int]:
        return cached(f"reach:{id(wired)}:{start}:{reverse}",
                      lambda: set(reach(wired)(start, reverse)))

    return of


def kept(kind: str, size: int, seed: int, record: bool = False) -> dict[str, Any]:
    """The start of a scenario on a generated graph the worker keeps between calls (keyed
    by `generate`), so that every scenario on the graphs built before the fork
    (`shared_graphs`) finds them. `record`: the scenario needs the tape that recorded the
    graph (the worker records it afresh if the kept graph has none)."""
    return {"generate": [kind, size, seed], "keep": True, "record": record}


def big_graphs(common_seed: int, record: bool = False,
               ) -> list[tuple[dict[str, Any], Wiring, list[str], str]]:
    """(scenario start, wiring, names, description) of each big graph.

    The handler builds each once per task (kept between that task's calls), inside a Tape
    when `record` (the tape task); it builds without the Tape if the student's fails.
    """
    out = []
    for kind, size, text in BIG:
        spec = kept(kind, size, common_seed, record)
        _, wired, names = generated_graph(kind, size, common_seed)
        out.append((spec, wired, names, text))
    return out


def shared_graphs(common_seed: int) -> list[dict[str, Any]]:
    """The generated graphs the worker builds once, before any task forks from it: the big
    chain and the star (`keep`: each task's process then starts from a copy-on-write copy;
    building them per task cost 0.1-0.2 s per student, measured by `make bench`). The chain
    is recorded by the student's Tape when a trial shows that Tape is fit to share
    (`record_if_fit`), so the tape task need not build it again (0.1 s per student)."""
    return ([dict(kept(kind, size, common_seed), record_if_fit=True) for kind, size, _ in BIG]
            + [kept(*STAR)])


def big_report(wired: Wiring) -> list[int]:
    """The nodes whose numbers come back from a big graph: a spread sample and the ends."""
    n = len(wired["values"])
    return sorted({0, 1, 2, n - 1, n - 2, *range(3, n, max(1, n // 300))})
