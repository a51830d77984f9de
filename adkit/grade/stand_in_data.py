"""What the worker's stand-ins hand out, computed here and sent as data for one scenario.

The worker runs the student's `forward` with a stand-in `topological_order`, their
`backward` with a stand-in `reverse_topological_order`, and their `grad` with a stand-in
`backward`. None of those stand-ins may hold an algorithm in the student's process (it
could call it to answer a graded question of its own: docs/sandbox.md, "Why nothing inside
the sandbox is worth taking"). So the walks and the backward pass run here, on the wiring
the grader made, and each scenario carries only its answers: the order from each start it
will use, as indices, and the adjoints its output's backward sets. The handler maps indices
to the student's nodes and nothing more.

`supply(scenario)` adds that data (and the packed wiring of a generated graph) to a
scenario just before it is sent; the grader's session and the reference both call it, so
the two sides answer the same question.
"""

from __future__ import annotations

import binascii
import functools
from array import array
from typing import Any

from adkit.grade import builders
from adkit.model.scenarios import Wiring

Scenario = dict[str, Any]

TRIAL = ("chain", 2_000, 0)  # the small chain the worker times a student's Tape on


def order_from(parents: list[list[int]], start: int, reverse: bool) -> list[int]:
    """Indices of a wiring reachable from `start`, in creation order (reversed if `reverse`).

    Creation order is a topological order (a node's parents come before it), so this is a
    valid order, found in one pass over integers.
    """
    mark = bytearray(len(parents))
    mark[start] = 1
    if reverse:
        out = []
        for i in range(start, -1, -1):
            if mark[i]:
                out.append(i)
                for p in parents[i]:
                    mark[p] = 1
        return out
    for i in range(start + 1, len(parents)):
        for p in parents[i]:
            if mark[p]:
                mark[i] = 1
                break
    return [i for i in range(start, len(parents)) if mark[i]]


def adjoints_from(wired: Wiring, start: int) -> list[list[float]]:
    """[index, adjoint] of every wiring entry `start` depends on, by its local derivatives
    (what the reference's backward(start) sets: d start / d node)."""
    adjoint = {start: 1.0}
    for i in range(start, -1, -1):
        a = adjoint.get(i)
        if a is not None:
            for p, g in zip(wired["parents"][i], wired["grads"][i], strict=True):
                adjoint[p] = adjoint.get(p, 0.0) + a * g
    return [[k, adjoint[k]] for k in sorted(adjoint)]


def pack_ints(values: list[int]) -> dict[str, str]:
    """A list of indices as base64 of 32-bit integers (100,000 of them cost less so)."""
    return {"int32": binascii.b2a_base64(array("i", values).tobytes(), newline=False).decode()}


def pack_floats(values: list[float]) -> dict[str, str]:
    return {"float64": binascii.b2a_base64(array("d", values).tobytes(), newline=False).decode()}


def pack_wiring(wired: Wiring) -> dict[str, Any]:
    """A wiring as columns of packed numbers (the handler's `unpack_wiring` reads it back):
    the big chain's 100,003 nodes travel in about 4 MB and unpack in milliseconds."""
    names = sorted(set(wired["ops"]))
    code = {name: k for k, name in enumerate(names)}
    return {
        "names": names,
        "ops": binascii.b2a_base64(bytes(code[op] for op in wired["ops"]),
                                   newline=False).decode(),
        "values": pack_floats(wired["values"]),
        "counts": binascii.b2a_base64(bytes(len(ps) for ps in wired["parents"]),
                                      newline=False).decode(),
        "parents": pack_ints([p for ps in wired["parents"] for p in ps]),
        "grads": pack_floats([g for gs in wired["grads"] for g in gs]),
    }


def generated_wiring(kind: str, size: int, seed: int) -> Wiring:
    """The wiring of a generated graph (the big chain, the star, the Tape's trial chain),
    made here from the table; cached per grading job."""
    return builders.generated_graph(kind, size, seed)[1]


# Packed data of the generated graphs, the same for every student: a few long strings,
# kept per grading job (not through reference.cached, whose collection per new key costs
# a second or more under load, for objects that hold no cycles).
@functools.cache
def _packed_generated(kind: str, size: int, seed: int) -> dict[str, Any]:
    return pack_wiring(generated_wiring(kind, size, seed))


@functools.cache
def _packed_order(kind: str, size: int, seed: int, start: int, reverse: bool) -> dict[str, str]:
    return pack_ints(order_from(generated_wiring(kind, size, seed)["parents"], start, reverse))


def _orders(wired: Wiring, starts: list[int], reverse: bool, spec: Any) -> list[Any]:
    """The stand-in's order from each start (one entry per distinct start, in turn)."""
    out: list[Any] = []
    for start in dict.fromkeys(starts):
        if spec is not None:  # a generated graph: the same for every student
            out.append([start, _packed_order(*spec, start, reverse)])
        else:
            out.append([start, order_from(wired["parents"], start, reverse)])
    return out


def supply(scenario: Scenario, wiring: bool = True) -> Scenario:
    """`scenario` with what its stand-ins hand out, and a generated graph's wiring, as data.

    `wiring=False` leaves out a kept graph's wiring (the worker most likely holds the graph
    already; if not, it answers `graphs.WIRING_NEEDED` and the session sends it again with).
    """
    kind = scenario.get("kind")
    spec = scenario.get("generate")
    extra: dict[str, Any] = {}
    if spec is not None and (wiring or not scenario.get("keep")):
        extra["packed"] = _packed_generated(*spec)
        if scenario.get("record_if_fit"):
            extra["trial"] = _packed_generated(*TRIAL)
    wired = generated_wiring(*spec) if spec is not None else scenario.get("wiring")
    if wired is None:  # not a graph scenario: nothing to hand out
        pass
    elif kind in ("forward", "backward"):
        starts = scenario["roots"] if kind == "forward" else scenario["outputs"]
        extra["orders"] = _orders(wired, starts, kind == "backward",
                                  None if spec is None else tuple(spec))
    elif kind == "grad":
        output = scenario["positions"][-1]
        extra["adjoints"] = adjoints_from(wired, output)
        extra["orders"] = [[output, order_from(wired["parents"], output, True)]]
    return dict(scenario, **extra) if extra else scenario
