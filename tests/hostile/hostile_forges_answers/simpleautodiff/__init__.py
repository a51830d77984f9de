"""Only Node and mul are written; the rest patches the grader's worker to forge answers.

At import it finds the worker's handler (its scenario table, `describe`, and the `handle`
that the sandbox's entry loop holds in a local variable) and makes every graph-building
scenario answer `{"nodes": [], "others": []}` (an empty graph: nothing to disagree with), and
every tape scenario answer with adjoints and tangents computed by the worker's own walks,
without the `recorded` list. Everything else is left to the unfinished package.

Attacks answers trusted without strict validation: it must score 0 everywhere.
"""

import ctypes
import sys

from ._mine import *  # noqa: F403
from ._mine import Node

_EMPTY = {"nodes": [], "others": []}


def _handler_modules():
    for module in list(sys.modules.values()):
        space = getattr(module, "__dict__", None)
        if isinstance(space, dict) and module is not sys.modules[__name__] \
                and ("SCENARIOS" in space or "describe" in space and "handle" in space):
            yield module


def _forged_tape(scenario, handler):
    """Numbers for the tape scenario, by the worker's own walks; no "recorded"."""
    walk = getattr(handler, "_walk", None)
    build = getattr(handler, "_graph", None)
    if walk is None or build is None:
        return {"after": []}
    nodes = build(dict(scenario, record=False), sys.modules[__name__]).nodes
    report = scenario.get("report")
    chosen = range(len(nodes)) if report is None else report
    after = []
    for call, index in scenario.get("calls", []):
        start = nodes[index]
        if call == "forward":
            order = walk(start, "child_nodes")
            for node in order:
                node.partial_derivative = 0.0
            start.partial_derivative = 1.0
            for node in order:
                node.partial_derivative = node.partial_derivative if node is start else sum(
                    g * p.partial_derivative
                    for p, g in zip(node.parent_nodes, node.grad_wrt_parents))
            after.append([float(nodes[i].partial_derivative) for i in chosen])
        else:
            order = walk(start, "parent_nodes")
            for node in order:
                node.adjoint = 0.0
            start.adjoint = 1.0
            for node in order:
                for parent, g in zip(node.parent_nodes, node.grad_wrt_parents):
                    parent.adjoint += node.adjoint * g
            after.append([float(nodes[i].adjoint) for i in chosen])
    return {"after": after}


def _forge(scenario, original, handler):
    kind = scenario.get("kind") if isinstance(scenario, dict) else None
    if kind in ("build", "wrapper"):
        return dict(_EMPTY)
    if kind == "tape":
        try:
            return _forged_tape(scenario, handler)
        except Exception:  # noqa: BLE001
            return {"after": []}
    return original(scenario)


def _patch():
    for handler in _handler_modules():
        table = handler.__dict__.get("SCENARIOS")
        if isinstance(table, dict):
            for kind in ("build", "wrapper", "tape"):
                if kind in table:
                    table[kind] = (lambda s, ad, _h=handler: _forge(s, None, _h))
        if callable(handler.__dict__.get("describe")):
            handler.describe = lambda nodes: dict(_EMPTY)
        _patch_entry_loop(handler)


def _patch_entry_loop(handler):
    """Replace the `handle` local of the sandbox entry's loop with a forging one."""
    frame = sys._getframe()
    while frame is not None:
        held = frame.f_locals.get("handle")
        if callable(held) and frame.f_code.co_name == "main":
            def handle(request, _real=held):
                if isinstance(request, dict) and isinstance(request.get("scenarios"), list):
                    return {"results": [_forge(s, lambda one: _real(
                        dict(request, scenarios=[one]))["results"][0], handler)
                        for s in request["scenarios"]]}
                return _real(request)
            frame.f_locals["handle"] = handle
            ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))
            return
        frame = frame.f_back


try:
    _patch()
except Exception:  # noqa: BLE001 - a grader that moved things: just be a skeleton
    pass

assert Node  # re-exported
