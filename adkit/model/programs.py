"""Functions as plain data: random ones for grading and testing, a builder, and wirings.

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
argument is a node index, or {"const": number} for a plain number. An op with a number
carries it under the key its row names: `power` as "p", `rpow` (`base ** x`) as "base".
The last op is the output. What each op computes is in the table, adkit/model/primitives.py.

Standard library only, and nothing from the kit but the table. The worker in the sandbox
imports neither: the grader sends it wirings (`wiring`) and rules as data.
"""

from __future__ import annotations

import functools
import math
import random
from typing import Any

from adkit.model import primitives as table
from adkit.model.scenarios import Program, Wiring

# The table's names, as tuples (in the table's order, which is the random draw order).
PRIMITIVES = tuple(table.PRIMITIVES)
UNARY = tuple(n for n, row in table.PRIMITIVES.items() if row.arity == 1)
BINARY = tuple(n for n, row in table.PRIMITIVES.items() if row.arity == 2)
EXPONENTS = table.PRIMITIVES["power"].numbers

# Values stay in a range where every derivative is a well-conditioned float.
_LIMIT = 1e4


def row(name: str) -> table.Primitive:
    """The table's row for an op; ValueError for an op the table does not have."""
    found = table.OPERATIONS.get(name)
    if found is None:
        raise ValueError(f"unknown operation {name!r}")
    return found


def number(op: dict[str, Any]) -> Any:
    """The op's plain number (power's "p"), or None."""
    key = row(op["op"]).number
    return op[key] if key else None


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
    are named x1, x2, ... so that traces read like the paper. Only the primitives the
    program uses are looked up: a package without `div` still builds the paper's example.
    """
    nodes = [ad.Node(float(v)) for v in program["inputs"]]
    for i, node in enumerate(nodes, start=1):
        node.name = f"x{i}"
    found: dict[str, Any] = {}
    for op in program["ops"]:
        name = op["op"]
        args = [a["const"] if isinstance(a, dict) else nodes[a] for a in op["args"]]
        if row(name).number:
            args.append(number(op))
        if name not in found:
            # A row that is only an operator (`2.0 ** x`) has no function in the package.
            found[name] = (getattr(ad, name) if row(name).role == "primitive"
                           else functools.partial(_by_operator, name))
        nodes.append(found[name](*args))
    return nodes


def _by_operator(name: str, *args: Any) -> Any:
    arity = row(name).arity
    return table.apply_operator(name, list(args[:arity]), args[arity] if row(name).number
                                else None)


def evaluate(program: Program) -> list[float]:
    """Every node's value with plain floats (no graph): the builder's own oracle."""
    values = [float(v) for v in program["inputs"]]
    for op in program["ops"]:
        row(op["op"])
        args = [a["const"] if isinstance(a, dict) else values[a] for a in op["args"]]
        values.append(table.value(op["op"], args, number(op)))
    return values


def wiring(program: Program) -> Wiring:
    """The program's graph as plain data, for wiring it by hand from `Node` alone.

    One entry per node, constants as nodes of their own, in creation order (inputs, then
    each op's constants, then the op), which is a topological order: `values`, `ops`
    (operator names, "input" or "const"), `parents` (indices), `grads` (the local
    derivatives, from the table), `index` (the entry of program node i) and `output`.
    """
    values: list[float] = [float(v) for v in program["inputs"]]
    ops: list[str] = ["input"] * len(values)
    parents: list[list[int]] = [[] for _ in values]
    grads: list[list[float]] = [[] for _ in values]
    index = list(range(len(values)))
    for op in program["ops"]:
        ids: list[int] = []
        for a in op["args"]:
            if isinstance(a, dict):
                values.append(float(a["const"]))
                ops.append("const")
                parents.append([])
                grads.append([])
                ids.append(len(values) - 1)
            else:
                ids.append(index[a])
        name, p = op["op"], number(op)
        arg_values = [values[i] for i in ids]
        values.append(table.value(name, arg_values, p))
        ops.append(name)
        parents.append(ids)
        grads.append(table.partials(name, arg_values, p))
        index.append(len(values) - 1)
    return {"values": values, "ops": ops, "parents": parents, "grads": grads,
            "index": index, "output": index[-1]}


def random_program(
    rng: random.Random,
    n_inputs: int = 3,
    n_ops: int = 12,
    const_rate: float = 0.15,
    locality: int | None = None,
    primitives: tuple[str, ...] | None = None,
) -> Program:
    """A random function of `n_inputs` inputs over the table's primitives, one output.

    Arguments are drawn from all earlier nodes, so subexpressions are shared (fan-out and
    diamonds); inputs are drawn inside each primitive's domain. Every node ends up on a
    path to the output: nodes nobody uses are summed into it at the end. `locality`
    limits arguments to the last few nodes (deep, narrow graphs for big sizes);
    `primitives` limits the draw to those names (default: every primitive of the table).
    """
    names = tuple(table.PRIMITIVES) if primitives is None else tuple(primitives)
    inputs = [round(rng.uniform(0.3, 3.0) * rng.choice((1, 1, -1)), 3) for _ in range(n_inputs)]
    values = list(inputs)
    used = [False] * n_inputs
    ops: list[dict[str, Any]] = []
    attempts = 0
    while len(ops) < n_ops and attempts < 50 * n_ops:
        attempts += 1
        name = rng.choice(names)
        rule = row(name)
        p = rng.choice(rule.numbers) if rule.number else None
        low = 0 if locality is None else max(0, len(values) - locality)
        args: list[Any] = []
        for _ in range(rule.arity):
            if rng.random() < const_rate:
                args.append({"const": round(rng.uniform(-3.0, 3.0), 2) or 1.5})
            else:
                args.append(rng.randrange(low, len(values)))
        if all(isinstance(a, dict) for a in args):
            args[0] = rng.randrange(low, len(values))
        arg_values = [a["const"] if isinstance(a, dict) else values[a] for a in args]
        if not table.in_domain(name, arg_values, p):
            continue
        try:
            value = table.value(name, arg_values, p)
        except (ArithmeticError, ValueError):  # a domain that lets too much through
            continue
        if not isinstance(value, float) or not math.isfinite(value) or abs(value) > _LIMIT:
            continue
        op: dict[str, Any] = {"op": name, "args": args}
        if rule.number:
            op[rule.number] = p
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



# --- graphs built for one kind of behaviour ----------------------------------------------
# The hidden tests split their points over kinds of behaviour (docs/grading.md). Each kind
# is checked on graphs built to show it, never left to what random draws happen to hold:
# every graph of `uneven_paths` has a node reached from its input by a short path and by a
# longer one, every graph of `repeated_inputs` an op whose two arguments are one node.

# Ops whose values stay tame along chains (bounded, or growing slowly).
TAME = ("add", "sub", "mul", "neg", "sin", "cos")


class _Maker:
    """Appends ops to a program, drawing each op's name among `names` of the right arity
    and skipping draws outside the domain or too large."""

    def __init__(self, rng: random.Random, n_inputs: int, names: tuple[str, ...]) -> None:
        self.rng = rng
        self.names = names
        self.inputs = [round(rng.uniform(0.4, 1.6), 3) for _ in range(n_inputs)]
        self.values = list(self.inputs)
        self.ops: list[dict[str, Any]] = []

    def op(self, *args: Any, name: str | None = None) -> int:
        """A new node on `args` (node indices or {"const": x}); its index."""
        pool = [n for n in self.names if row(n).arity == len(args) and row(n).role == "primitive"]
        fallback = "add" if len(args) == 2 else "neg"
        for attempt in range(60):
            if name and attempt < 10:  # the op asked for, else any that fits
                pick = name
            else:
                pick = self.rng.choice(pool) if pool and attempt < 50 else fallback
            rule = row(pick)
            p = self.rng.choice(rule.numbers) if rule.number else None
            arg_values = [a["const"] if isinstance(a, dict) else self.values[a] for a in args]
            if not table.in_domain(pick, arg_values, p):
                continue
            try:
                value = table.value(pick, arg_values, p)
            except (ArithmeticError, ValueError):
                continue
            if not math.isfinite(value) or abs(value) > _LIMIT:
                continue
            op: dict[str, Any] = {"op": pick, "args": list(args)}
            if rule.number:
                op[rule.number] = p
            self.ops.append(op)
            self.values.append(value)
            return len(self.values) - 1
        raise ValueError(f"no op fits {args!r} among {self.names!r}")

    def program(self) -> Program:
        return {"inputs": list(self.inputs), "ops": list(self.ops)}


def chains(rng: random.Random, names: tuple[str, ...] = TAME) -> list[Program]:
    """Chains: each op takes the node before it (and sometimes an input), depths 3 to 60."""
    out = []
    for depth, n_inputs in ((3, 1), (8, 2), (20, 1), (60, 2)):
        m = _Maker(rng, n_inputs, names)
        last = 0
        for _ in range(depth):
            if n_inputs > 1 and rng.random() < 0.4:
                last = m.op(last, rng.randrange(n_inputs), name="mul" if "mul" in names
                            else None)
            else:
                last = m.op(last)
        out.append(m.program())
    return out


def _balanced_sum(m: _Maker, nodes: list[int]) -> int:
    """Join `nodes` pairwise, level by level (every node the same number of steps away)."""
    while len(nodes) > 1:
        nodes = [m.op(a, b) for a, b in zip(nodes[::2], nodes[1::2], strict=True)]
    return nodes[0]


def fan_out(rng: random.Random, names: tuple[str, ...] = TAME) -> list[Program]:
    """A node used by 2, 4 or 8 others (an input, or a node inside), joined again in a
    balanced tree, so every path from it to the output is equally long."""
    out = []
    for width, inner in ((2, False), (4, True), (8, False), (4, False)):
        m = _Maker(rng, 1 + (width == 4 and not inner), names)
        shared = m.op(0) if inner else 0
        children = [m.op(shared) if k % 2 else m.op(shared, len(m.inputs) - 1)
                    for k in range(width)]
        _balanced_sum(m, children)
        out.append(m.program())
    return out


def uneven_paths(rng: random.Random, names: tuple[str, ...] = TAME) -> list[Program]:
    """Paths of different lengths that meet: a node `a` reaches the output `y = op(b, a)`
    directly and through a chain a -> ... -> b of 2 to 6 ops (a breadth-first order lists y
    before the chain's end). The chain is made first, so it comes first among a's
    children; `a` is an input or a node inside; the direct argument comes first or second."""
    out = []
    for length, inner, direct_first in ((2, False, False), (3, True, True), (4, False, True),
                                        (6, True, False), (2, True, False)):
        m = _Maker(rng, 2, names)
        a = m.op(0, 1) if inner else 0
        b = a
        for _ in range(length):
            b = m.op(b)
        y = m.op(a, b) if direct_first else m.op(b, a)
        if length == 2 and inner:  # a second meeting further on: y and the input x2
            extra = m.op(y)
            m.op(m.op(extra), 1)
        out.append(m.program())
    return out


def repeated_inputs(rng: random.Random, names: tuple[str, ...] = TAME) -> list[Program]:
    """Ops whose two arguments are one node: x*x, x-x, x+x, on inputs and inner nodes."""
    binary = tuple(n for n in names if row(n).arity == 2) or ("mul",)
    out = []
    for k, base in enumerate(binary[:4] + ("mul",)):
        m = _Maker(rng, 1 + k % 2, names)
        x = 0 if k % 2 == 0 else m.op(0, 1)
        twice = m.op(x, x, name=base)
        m.op(m.op(twice), twice, name="mul")  # used twice again, one level down
        out.append(m.program())
    return out


def with_constants(rng: random.Random, names: tuple[str, ...] = TAME) -> list[Program]:
    """Plain numbers as arguments, on either side, among ordinary ops."""
    binary = tuple(n for n in names if row(n).arity == 2) or ("add",)
    out = []
    for k in range(4):
        m = _Maker(rng, 1 + k % 2, names)
        last = 0
        for step in range(2 + k):
            c = {"const": round(rng.uniform(0.5, 2.5), 2)}
            args = (c, last) if (step + k) % 2 else (last, c)
            last = m.op(*args, name=binary[(step + k) % len(binary)])
            if len(m.inputs) > 1:
                last = m.op(last, 1)
        out.append(m.program())
    return out


def random_functions(rng: random.Random, names: tuple[str, ...] | None = None,
                     sizes: tuple[int, ...] = (2, 3, 5, 8, 12, 20, 40, 80)) -> list[Program]:
    """Random functions of every shape at once, one per size (`random_program`)."""
    return [random_program(rng, n_inputs=rng.randint(1, 4), n_ops=n, primitives=names)
            for n in sizes]


# The kinds of graph behaviour, with the sentence students read (skeleton/README.md,
# docs/grading.md) and the generator that builds graphs of that kind.
KINDS: dict[str, tuple[str, Any]] = {
    "fan_out": ("a node used by several others (fan-out)", fan_out),
    "repeated_inputs": ("the same node twice as an argument (x*x, x-x)", repeated_inputs),
    "constants": ("plain numbers as arguments (constant nodes)", with_constants),
    "uneven_paths": ("paths of different lengths that meet", uneven_paths),
    "chains": ("chains (each node uses the one before it)", chains),
    "random": ("random functions of every shape", random_functions),
}
