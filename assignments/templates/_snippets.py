# Snippets shared by the notebook templates: `@@include NAME` in a cell inserts one.
# This file is read by adkit/authoring/course.py; it is not a module (see docs/course.md).

# %% snippet name=earlier_work
# Given: runs the given cells and YOUR answer cells of the earlier notebooks of this
# assignment, so that this notebook builds on your own work. Save those notebooks first.
import __future__
import json
from pathlib import Path


def run_earlier_notebooks(*names: str) -> None:
    for name in names:
        if not Path(name).is_file():
            print(f"{name} is missing: keep the assignment's notebooks in one folder")
            continue
        cells = json.loads(Path(name).read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            if cell["cell_type"] != "code" or not grade_id.startswith(("given_", "answer_")):
                continue
            source = cell["source"]
            source = source if isinstance(source, str) else "".join(source)
            try:
                code = compile(source, f"{name} [{grade_id}]", "exec",
                               flags=__future__.annotations.compiler_flag, dont_inherit=True)
                exec(code, globals())
            except Exception as error:  # report and go on: later cells may still work
                print(f"{name}, cell {grade_id}: {type(error).__name__}: {error}")

# %% snippet name=quiet_warnings
# Warnings go to the output, not to stderr: nbgrader fails any test cell that writes to
# stderr, and a correct solution that warns must still earn its points.
import sys
import warnings


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(warnings.formatwarning(message, category, filename, lineno, line), file=sys.stdout)


warnings.showwarning = _show_warning

# %% snippet name=test_helpers
# Given: helpers for the tests below. `link` builds one node by hand, the way a primitive
# would, so that a task's tests do not depend on your other tasks.
import math
from contextlib import contextmanager

X1, X2 = 2.0, 5.0
Y = math.log(X1) + X1 * X2 - math.sin(X2)  # 11.652071...
DY_DX1 = 1 / X1 + X2  # 5.5
DY_DX2 = X1 - math.cos(X2)  # 1.716338...


def close(a, b, tol=1e-9):
    return isinstance(a, (int, float)) and math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def link(value, parents, grads, operator):
    node = Node(value, parents, operator)
    node.grad_wrt_parents = list(grads)
    for parent in parents:
        parent.child_nodes.append(node)
    return node


def paper_graph_by_hand():
    """y = log(x1) + x1*x2 - sin(x2) at (2, 5), built without any primitive."""
    x1, x2 = Node(X1, name="x1"), Node(X2, name="x2")
    v1 = link(math.log(X1), [x1], [1 / X1], "log")
    v2 = link(X1 * X2, [x1, x2], [X2, X1], "mul")
    v3 = link(math.sin(X2), [x2], [math.cos(X2)], "sin")
    v4 = link(v1.value + v2.value, [v1, v2], [1.0, 1.0], "add")
    y = link(v4.value - v3.value, [v4, v3], [1.0, -1.0], "sub")
    return x1, x2, [v1, v2, v3, v4], y


@contextmanager
def known_orders(orders):
    """Give forward() and backward() known orders ({start node: list}) instead of yours,
    so that a bug in topological_order costs only that task's points."""
    saved = topological_order, reverse_topological_order
    lookup = {id(start): list(order) for start, order in orders.items()}

    def given(start):
        return list(lookup[id(start)])

    globals()["topological_order"] = globals()["reverse_topological_order"] = given
    try:
        yield
    finally:
        globals()["topological_order"], globals()["reverse_topological_order"] = saved

# %% snippet name=random_graphs
# Hidden helpers: small seeded random functions, built by hand, checked by finite differences.
import math as _m
import random as _random

_OPS = {  # name: (arity, value, local derivatives)
    "add": (2, lambda a, b: a + b, lambda a, b: [1.0, 1.0]),
    "sub": (2, lambda a, b: a - b, lambda a, b: [1.0, -1.0]),
    "mul": (2, lambda a, b: a * b, lambda a, b: [b, a]),
    "sin": (1, _m.sin, lambda a: [_m.cos(a)]),
    "cos": (1, _m.cos, lambda a: [-_m.sin(a)]),
    "tanh": (1, _m.tanh, lambda a: [1 - _m.tanh(a) ** 2]),
}


def _random_program(seed, inputs=3, ops=25):
    rng = _random.Random(seed)
    program = []
    for i in range(ops):
        name = rng.choice(sorted(_OPS))
        # each op uses the newest node, so the output depends on every op
        args = [inputs + i - 1] + [rng.randrange(inputs + i) for _ in range(_OPS[name][0] - 1)]
        program.append((name, args))
    xs = [rng.uniform(-1.5, 1.5) for _ in range(inputs)]
    return xs, program


def _values(xs, program):
    values = list(xs)
    for name, args in program:
        values.append(_OPS[name][1](*(values[a] for a in args)))
    return values


def _build(xs, program):
    nodes = [Node(x, name=f"x{i + 1}") for i, x in enumerate(xs)]
    for name, args in program:
        parents = [nodes[a] for a in args]
        vals = [p.value for p in parents]
        node = Node(_OPS[name][1](*vals), parents, name)
        node.grad_wrt_parents = _OPS[name][2](*vals)
        for parent in parents:
            parent.child_nodes.append(node)
        nodes.append(node)
    return nodes


def _numeric_tangents(xs, program, i, h=1e-6):
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return [(a - b) / (2 * h) for a, b in zip(_values(up, program), _values(down, program))]


def _reachable_in_creation_order(nodes, start):
    reach = {id(start)}
    for node in nodes:
        if any(id(p) in reach for p in node.parent_nodes):
            reach.add(id(node))
    return [n for n in nodes if id(n) in reach]


def _ancestors_newest_first(nodes, output):
    need = {id(output)}
    for node in reversed(nodes):
        if id(node) in need:
            need.update(id(p) for p in node.parent_nodes)
    return [n for n in reversed(nodes) if id(n) in need]


def _near(a, b, tol=1e-5):
    return isinstance(a, (int, float)) and abs(a - b) <= tol * max(1.0, abs(b))
