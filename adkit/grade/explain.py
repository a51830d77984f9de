"""Programs as text a student can read, and shrinking a failing program to a small one."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from adkit.model import programs
from adkit.model.primitives import Primitive
from adkit.model.scenarios import Program

# How tightly Python's operators bind (higher binds tighter); 9 is a name or a call.
_BINDING = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}
_PREFIX = 3  # unary minus
_ATOM = 9


def node_names(program: Program) -> list[str]:
    """x1, x2, ... for inputs, v1, v2, ... for ops, y for the output."""
    n = len(program["inputs"])
    names = [f"x{i + 1}" for i in range(n)] + [f"v{k + 1}" for k in range(len(program["ops"]))]
    names[-1] = "y"
    return names


def wired_names(program: Program, wired: dict[str, Any]) -> list[str]:
    """Names for the nodes of a hand-wired graph (constants named by their value)."""
    names = node_names(program)
    out = [f"the constant {v:g}" for v in wired["values"]]
    for i, w in enumerate(wired["index"]):
        out[w] = names[i]
    return out


def _number(x: float) -> str:
    return f"{x:g}" if x >= 0 else f"({x:g})"


def _spell(row: Primitive, op: dict[str, Any], args: list[tuple[str, int]]) -> tuple[str, int]:
    """One op as (text, binding), from its row's operator ("{a} + {b}") or as a call."""
    if row.operator is None:
        return f"{row.name}({', '.join(text for text, _ in args)})", _ATOM
    words = dict(zip(("a", "b", "c"), args))
    if row.number:
        words[row.number] = (_number(op[row.number]), _ATOM)
    parts = row.operator.split()
    if len(parts) == 1:  # a prefix operator: "-{a}"
        symbol, operand = parts[0][: parts[0].index("{")], words["a"]
        return (symbol + (operand[0] if operand[1] >= _PREFIX else f"({operand[0]})"), _PREFIX)
    (left, left_binding), symbol, (right, right_binding) = (
        words[parts[0].strip("{}")], parts[1], words[parts[2].strip("{}")])
    binding = _BINDING[symbol]
    if symbol == "**":  # both sides plain names or numbers: x1**2, 2**x1, (x1 + 1)**2
        left_ok = right_ok = False
    else:  # left-associative; a + (b + c) needs no parentheses, a - (b - c) does
        left_ok = left_binding >= binding
        right_ok = right_binding > binding or (right_binding == binding and symbol in "+*")
    left = left if left_ok or left_binding >= _ATOM else f"({left})"
    right = right if right_ok or right_binding >= _ATOM else f"({right})"
    spaced = f" {symbol} " if binding == 1 else symbol
    return f"{left}{spaced}{right}", binding


def to_text(program: Program, limit: int = 12) -> str:
    """`y = log(x1) + x1*x2 - sin(x2)`; nodes used more than once get their own line."""
    if len(program["ops"]) > 200:
        return (f"a function of {len(program['inputs'])} inputs with "
                f"{len(program['ops'])} operations")
    names = node_names(program)
    n_in = len(program["inputs"])
    uses = [0] * (n_in + len(program["ops"]))
    for op in program["ops"]:
        for a in op["args"]:
            if not isinstance(a, dict):
                uses[a] += 1
    text: list[tuple[str, int]] = [(name, _ATOM) for name in names[:n_in]]
    lines = []
    for k, op in enumerate(program["ops"]):
        args = [(_number(a["const"]), _ATOM) if isinstance(a, dict) else text[a]
                for a in op["args"]]
        expr = _spell(programs.row(op["op"]), op, args)
        index = n_in + k
        if index == len(names) - 1 or uses[index] != 1:
            lines.append(f"{names[index]} = {expr[0]}")
            text.append((names[index], _ATOM))
        else:
            text.append(expr)
    if len(lines) > limit:
        lines = lines[: limit - 1] + [f"... ({len(lines) - limit + 1} more lines)", lines[-1]]
    # Every input is shown, an unused one marked: a check may call forward(x1) on it, and a
    # message must talk only about what the example shows.
    inputs = ", ".join(f"{names[i]} = {program['inputs'][i]:g}"
                       + ("" if uses[i] or n_in == 1 else " (not used)") for i in range(n_in))
    return "; ".join(lines) + f"   at {inputs}"


def remove_ops(program: Program, removed: set[int]) -> Program | None:
    """The program without the ops numbered in `removed`; uses of a removed op read its
    first node argument instead. None if nothing is left or the values leave the domain."""
    ops = program["ops"]
    if len(removed) >= len(ops):
        return None
    n_in = len(program["inputs"])
    new_index = list(range(n_in))  # old node index -> new node index
    new_ops = []
    for k, op in enumerate(ops):
        args = [a if isinstance(a, dict) else new_index[a] for a in op["args"]]
        if k in removed:
            first = next((a for a in args if not isinstance(a, dict)), None)
            if first is None:
                return None
            new_index.append(first)
        else:
            new_ops.append(dict(op, args=args))
            new_index.append(n_in + len(new_ops) - 1)
    candidate = {"inputs": list(program["inputs"]), "ops": new_ops}
    try:
        values = programs.evaluate(candidate)
        derivatives = [g for gs in programs.wiring(candidate)["grads"] for g in gs]
    except (ValueError, ZeroDivisionError, OverflowError, TypeError, KeyError,
            AttributeError):
        return None  # outside a primitive's domain: not a fair question
    if not all(isinstance(v, float) and math.isfinite(v) and abs(v) < 1e6
               for v in values + derivatives):
        return None
    return candidate


def shrink(
    program: Program,
    failing: Callable[[list[Program]], list[bool]],
    more: Callable[[], bool] = lambda: True,
    rounds: int = 40,
    per_round: int = 16,
) -> Program:
    """A smaller program that still fails: remove blocks of ops while it fails.

    Blocks start at half the program and halve when no removal keeps the failure (as in
    delta debugging), down to single ops. `failing` judges a batch of candidates at once
    (one call into the sandbox per round); at most `per_round` candidates per round, while
    `more()` says there is time left (the student's CPU time, not the wall clock's: the
    example shown does not depend on how busy the machine was).
    """
    size = max(1, len(program["ops"]) // 2)
    for _ in range(rounds):
        if not more():
            break
        n = len(program["ops"])
        size = min(size, max(1, n // 2))
        starts = list(range(0, n, size))
        tries = max(2, min(per_round, 4000 // max(n, 1)))  # bound the work of one round
        if len(starts) > tries:  # spread the tries over the whole program
            step = len(starts) / tries
            starts = [starts[int(i * step)] for i in range(tries)]
        candidates = [c for k in starts
                      if (c := remove_ops(program, set(range(k, min(n, k + size))))) is not None]
        smaller = None
        if candidates:
            verdicts = failing(candidates)
            smaller = next((c for c, bad in zip(candidates, verdicts) if bad), None)
        if smaller is not None:
            program = smaller
        elif size == 1:
            break
        else:
            size //= 2
    return program
