"""Functions as plain data: random ones for grading and testing, and a builder.

A *program* is a JSON-able description of a function, so that the grader can send it to
a student's sandboxed process, which builds the graph with the student's own code, and
build the same graph with the reference in its own process:

    {"inputs": [2.0, 5.0],
     "ops": [{"op": "log", "args": [0]},
             {"op": "mul", "args": [0, 1]},
             {"op": "sin", "args": [1]},
             {"op": "add", "args": [2, 3]},
             {"op": "sub", "args": [5, 4]}]}

Node i is input i for i < len(inputs), else the result of ops[i - len(inputs)]. An
argument is a node index, or {"const": number} for a plain number. `power` carries its
exponent as "p". The last op is the output.

This module is standard library only and imports nothing from the kit: the sandbox
worker carries a copy of it into the student's process.
"""

from __future__ import annotations

import math
import random
from typing import Any

Program = dict[str, Any]

UNARY = ("neg", "log", "exp", "sin", "cos", "power")
BINARY = ("add", "sub", "mul", "div")
PRIMITIVES = BINARY + UNARY
EXPONENTS = (2, 3, -1, 0.5, 1.5, -2)

# Values stay in a range where every derivative is a well-conditioned float.
_LIMIT = 1e4


def paper_example(x1: float = 2.0, x2: float = 5.0) -> Program:
    """y = log(x1) + x1*x2 - sin(x2), the paper's running example."""
    return {
        "inputs": [x1, x2],
        "ops": [
            {"op": "log", "args": [0]},
            {"op": "mul", "args": [0, 1]},
            {"op": "sin", "args": [1]},
            {"op": "add", "args": [2, 3]},
            {"op": "sub", "args": [5, 4]},
        ],
    }


def node_count(program: Program) -> int:
    return len(program["inputs"]) + len(program["ops"])


def build(program: Program, ad: Any) -> list[Any]:
    """Build the program's graph with the module `ad` (reference or submission).

    Returns every node, indexed as in the program (constants are not listed). The inputs
    are named x1, x2, ... so that traces read like the paper.
    """
    nodes = [ad.Node(float(v)) for v in program["inputs"]]
    for i, node in enumerate(nodes, start=1):
        node.name = f"x{i}"
    table = {name: getattr(ad, name) for name in PRIMITIVES}
    for op in program["ops"]:
        args = [a["const"] if isinstance(a, dict) else nodes[a] for a in op["args"]]
        if op["op"] == "power":
            args.append(op["p"])
        nodes.append(table[op["op"]](*args))
    return nodes


def evaluate(program: Program) -> list[float]:
    """Every node's value with plain floats (no graph): the builder's own oracle."""
    values = [float(v) for v in program["inputs"]]
    for op in program["ops"]:
        args = [a["const"] if isinstance(a, dict) else values[a] for a in op["args"]]
        values.append(_apply(op["op"], args, op.get("p")))
    return values


def _apply(name: str, args: list[float], p: float | None = None) -> float:
    a = args[0]
    if name == "add":
        return a + args[1]
    if name == "sub":
        return a - args[1]
    if name == "mul":
        return a * args[1]
    if name == "div":
        return a / args[1]
    if name == "neg":
        return -a
    if name == "power":
        return a**p
    return getattr(math, name)(a)


def _in_domain(name: str, args: list[float], p: float | None) -> bool:
    """Whether the op is safely defined at these values, with a margin."""
    a = args[0]
    if name == "log":
        return a > 0.05
    if name == "div":
        return abs(args[1]) > 0.2
    if name == "exp":
        return abs(a) < 4.0
    if name == "power":
        if float(p).is_integer() and p > 0:
            return abs(a) < 20.0
        return 0.2 < a < 50.0
    return True


def random_program(
    rng: random.Random,
    n_inputs: int = 3,
    n_ops: int = 12,
    const_rate: float = 0.15,
    locality: int | None = None,
) -> Program:
    """A random function of `n_inputs` inputs over every primitive, ending in one output.

    Arguments are drawn from all earlier nodes, so subexpressions are shared (fan-out and
    diamonds); inputs are drawn inside each primitive's domain. Every node ends up on a
    path to the output: nodes nobody uses are summed into it at the end. `locality`
    limits arguments to the last few nodes (deep, narrow graphs for big sizes).
    """
    inputs = [round(rng.uniform(0.3, 3.0) * rng.choice((1, 1, -1)), 3) for _ in range(n_inputs)]
    values = list(inputs)
    used = [False] * n_inputs
    ops: list[dict[str, Any]] = []
    attempts = 0
    while len(ops) < n_ops and attempts < 50 * n_ops:
        attempts += 1
        name = rng.choice(PRIMITIVES)
        p = rng.choice(EXPONENTS) if name == "power" else None
        arity = 2 if name in BINARY else 1
        low = 0 if locality is None else max(0, len(values) - locality)
        args: list[Any] = []
        for _ in range(arity):
            if rng.random() < const_rate:
                args.append({"const": round(rng.uniform(-3.0, 3.0), 2) or 1.5})
            else:
                args.append(rng.randrange(low, len(values)))
        if all(isinstance(a, dict) for a in args):
            args[0] = rng.randrange(low, len(values))
        arg_values = [a["const"] if isinstance(a, dict) else values[a] for a in args]
        if not _in_domain(name, arg_values, p):
            continue
        value = _apply(name, arg_values, p)
        if not math.isfinite(value) or abs(value) > _LIMIT:
            continue
        op: dict[str, Any] = {"op": name, "args": args}
        if p is not None:
            op["p"] = p
        ops.append(op)
        values.append(value)
        used.append(False)
        for a in args:
            if not isinstance(a, dict):
                used[a] = True
    _sum_dangling(ops, values, used, n_inputs)
    return {"inputs": inputs, "ops": ops}


def _sum_dangling(ops: list[dict[str, Any]], values: list[float], used: list[bool],
                  n_inputs: int) -> None:
    """Add every node that feeds nothing (except the last) into the output."""
    dangling = [i for i in range(len(values) - 1) if not used[i]]
    if not ops:  # no op fitted: the output is the sum of the inputs
        dangling, last = list(range(1, n_inputs)), 0
        if not dangling:
            ops.append({"op": "add", "args": [0, {"const": 1.0}]})
            values.append(values[0] + 1.0)
            return
    else:
        last = len(values) - 1
    for i in dangling:
        ops.append({"op": "add", "args": [last, i]})
        values.append(values[last] + values[i])
        last = len(values) - 1


def chain_program(depth: int, rng: random.Random | None = None) -> Program:
    """A chain `depth` ops deep from x1, using x2 and x3 along the way.

    Each op takes the previous node; the cycle keeps values bounded, so the derivatives
    at the end are ordinary numbers: about 1 for x1, a sum for x2 and x3.
    """
    rng = rng or random.Random(0)
    x3 = 1.0 + rng.uniform(-1e-5, 1e-5)
    ops: list[dict[str, Any]] = []
    for k in range(depth):
        prev = 0 if k == 0 else 2 + k  # x1, then the previous op's node
        step = k % 4
        if step == 0:
            ops.append({"op": "add", "args": [prev, 1]})
        elif step == 1:
            ops.append({"op": "mul", "args": [prev, 2]})
        elif step == 2:
            ops.append({"op": "neg", "args": [prev]})
        else:
            ops.append({"op": "sub", "args": [prev, 1]})
    return {"inputs": [round(rng.uniform(0.5, 1.5), 6), round(rng.uniform(0.5, 1.5), 6), x3],
            "ops": ops}


def star_program(size: int) -> Program:
    """x1 = 1.5 with `size` children, each -x1, that have no children of their own."""
    return {"inputs": [1.5], "ops": [{"op": "neg", "args": [0]} for _ in range(size)]}


def wide_program(n_inputs: int, rng: random.Random | None = None) -> Program:
    """A sum of products x_i * x_{i+1} over `n_inputs` inputs: about 3 nodes per input."""
    rng = rng or random.Random(0)
    inputs = [round(rng.uniform(-1.0, 1.0), 6) for _ in range(n_inputs)]
    ops: list[dict[str, Any]] = []
    total = None
    for i in range(n_inputs):
        ops.append({"op": "mul", "args": [i, (i + 1) % n_inputs]})
        product = n_inputs + len(ops) - 1
        if total is None:
            total = product
            continue
        ops.append({"op": "add", "args": [total, product]})
        total = n_inputs + len(ops) - 1
    return {"inputs": inputs, "ops": ops}
