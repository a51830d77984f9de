"""The checks that show each bug of the test cohort (tests/cohort), run inside the
submission's own process so that it imports as `simpleautodiff`:

    python tests/helpers/bug_checks.py FOLDER CHECK...   # prints {check: verdict} as JSON

BUG_CHECKS maps each bug folder to the correct solution it was copied from and a check its
bug fails (docs/cohort.md). Never run a hostile submission here: only the sandbox may.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.helpers import ROOT  # run as a script, the checkout is on PYTHONPATH (run_checks)

CORRECT = ("correct_kahn", "correct_pull_modules", "correct_tape_first",
           "correct_operators_other_shapes")


def _close(a: float, b: float) -> bool:
    return isinstance(a, (int, float)) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _link(ad, value, parents, grads, operator):
    """One node wired by hand, the way a primitive would."""
    node = ad.Node(value, parents, operator)
    node.grad_wrt_parents = list(grads)
    for parent in parents:
        parent.child_nodes.append(node)
    return node


def _paper(ad):
    """log(x1) + x1*x2 - sin(x2) at (2, 5), wired by hand: x1, x2, (v1, v2, v3, v4), y."""
    x1, x2 = ad.Node(2.0), ad.Node(5.0)
    v1 = _link(ad, math.log(2.0), [x1], [0.5], "log")
    v2 = _link(ad, 10.0, [x1, x2], [5.0, 2.0], "mul")
    v3 = _link(ad, math.sin(5.0), [x2], [math.cos(5.0)], "sin")
    v4 = _link(ad, v1.value + 10.0, [v1, v2], [1.0, 1.0], "add")
    y = _link(ad, v4.value - v3.value, [v4, v3], [1.0, -1.0], "sub")
    return x1, x2, (v1, v2, v3, v4), y


def _chain(ad, depth=5000):
    """x, then `depth` nodes each equal to the previous one plus 1 (derivative 1)."""
    nodes = [ad.Node(0.0)]
    for k in range(depth):
        nodes.append(_link(ad, k + 1.0, [nodes[-1]], [1.0], "add"))
    return nodes


def _square(ad, x):
    return _link(ad, x.value * x.value, [x, x], [x.value, x.value], "mul")


def _valid_order(order, reverse=False):
    position = {id(n): i for i, n in enumerate(order)}
    return len(position) == len(order) and all(
        (position[id(p)] > position[id(n)]) if reverse else (position[id(p)] < position[id(n)])
        for n in order for p in n.parent_nodes if id(p) in position)


def _ids(nodes):
    return {id(n) for n in nodes}


def _mutable_default(ad):
    x, y = ad.Node(1.0), ad.Node(2.0)
    ad.add(x, y)
    b = ad.mul(x, y)
    return len(b.parent_nodes) == 2 and b.parent_nodes[0] is x and b.parent_nodes[1] is y


def _x_times_x(ad):
    x = ad.Node(3.0)
    y = ad.mul(x, x)
    return len(y.parent_nodes) == 2 and [float(g) for g in y.grad_wrt_parents] == [3.0, 3.0]


def _preorder(ad):
    x1, *_ = _paper(ad)
    order = ad.topological_order(x1)
    return order[0] is x1 and _valid_order(order)


def _uneven_paths(ad):
    """x -> a -> b -> y and x -> y: a breadth-first walk lists y before b."""
    x = ad.Node(1.0)
    a = _link(ad, 2.0, [x], [1.0], "add")
    b = _link(ad, 3.0, [a], [1.0], "add")
    _link(ad, 4.0, [x, b], [1.0, 1.0], "add")
    return _valid_order(ad.topological_order(x))


def _forgets_children(ad):
    x1, _, (v1, v2, _, v4), y = _paper(ad)
    return _ids(ad.topological_order(x1)) == _ids([x1, v1, v2, v4, y])


def _reverse_via_inputs(ad):
    _, x2, (_, _, v3, _), y = _paper(ad)
    order = ad.reverse_topological_order(y)
    return (order[0] is y and _valid_order(order, reverse=True)
            and _ids(ad.reverse_topological_order(v3)) == _ids([v3, x2]))


def _indegree(ad):
    x1, _, (_, v2, _, _), _ = _paper(ad)
    return id(v2) in _ids(ad.topological_order(x1))


def _keeps_state(ad):
    x1, x2, _, y = _paper(ad)
    ad.forward(x1)
    ad.forward(x2)
    return _close(y.partial_derivative, 2.0 - math.cos(5.0))  # 1.716, not 7.216


def _forward_chain(ad):
    nodes = _chain(ad)
    ad.forward(nodes[0])
    return _close(nodes[-1].partial_derivative, 1.0)


def _forward_paper(ad):
    x1, _, _, y = _paper(ad)
    ad.forward(x1)
    return _close(y.partial_derivative, 5.5)


def _forward_square(ad):
    x = ad.Node(3.0)
    y = _square(ad, x)
    ad.forward(x)
    return _close(y.partial_derivative, 6.0)


def _backward_twice(ad):
    x1, x2, _, y = _paper(ad)
    ad.backward(y)
    ad.backward(y)
    return _close(x1.adjoint, 5.5) and _close(x2.adjoint, 2.0 - math.cos(5.0))


def _backward_fanout(ad):
    _, x2, _, y = _paper(ad)
    ad.backward(y)
    return _close(x2.adjoint, 2.0 - math.cos(5.0))


def _backward_chain(ad):
    nodes = _chain(ad)
    ad.backward(nodes[-1])
    return _close(nodes[0].adjoint, 1.0)


def _backward_square(ad):
    x = ad.Node(3.0)
    y = _square(ad, x)
    ad.backward(y)
    return _close(x.adjoint, 6.0)


def _backward_inner_after_output(ad):
    _, x2, (_, _, v3, _), y = _paper(ad)
    ad.backward(y)
    ad.backward(v3)
    return _close(x2.adjoint, math.cos(5.0))


def _wrapper_children(ad):
    square = ad.primitive(lambda a: a * a, lambda a: 2 * a, name="square")
    x = ad.Node(3.0)
    y = square(x)
    return len(x.child_nodes) == 1 and x.child_nodes[0] is y


def _wrapper_values(ad):
    square = ad.primitive(lambda a: a * a, lambda a: 2 * a, name="square")
    grads = square(ad.Node(3.0)).grad_wrt_parents
    return type(grads[0]) in (int, float) and grads[0] == 6.0


def _wrapper_name(ad):
    square = ad.primitive(lambda a: a * a, lambda a: 2 * a, name="square")
    return square(ad.Node(3.0)).operator == "square"


def _wrapper_constants(ad):
    hypot = ad.primitive(math.hypot, lambda a, b: a / math.hypot(a, b),
                         lambda a, b: b / math.hypot(a, b), name="hypot")
    y = hypot(ad.Node(3.0), 4.0)
    return _close(y.value, 5.0) and y.parent_nodes[1].operator == "const"


def _tape_records_nodes(ad):
    with ad.Tape() as tape:
        x = ad.Node(1.0)
        y = _link(ad, 2.0, [x], [2.0], "double")
    return len(tape.nodes) == 2 and tape.nodes[0] is x and tape.nodes[1] is y


def _tape_backward(ad):
    with ad.Tape() as tape:
        _, x2, _, y = _paper(ad)
    tape.backward(y)
    return _close(x2.adjoint, 2.0 - math.cos(5.0))


def _tape_stops(ad):
    with ad.Tape() as tape:
        ad.Node(1.0)
    ad.Node(2.0)
    return len(tape.nodes) == 1


def _tape_forward(ad):
    with ad.Tape() as tape:
        x1, _, _, y = _paper(ad)
    tape.forward(x1)
    return _close(y.partial_derivative, 5.5)


def _rsub(ad):
    return _close((2 - ad.Node(0.5)).value, 1.5)


def _rtruediv(ad):
    return _close((1 / ad.Node(4.0)).value, 0.25)


def _pow(ad):
    return _close((ad.Node(3.0) ** 2).value, 9.0)


def _grad_numbers(ad):
    out = ad.grad(lambda a: a * a)(3.0)
    return type(out) is tuple and len(out) == 1 and _close(out[0], 6.0)


def _grad_all(ad):
    out = ad.grad(lambda a, b: a * b)(2.0, 3.0)
    return type(out) is tuple and len(out) == 2 and _close(out[0], 3.0) and _close(out[1], 2.0)


def _primitive_grads(op, args, want):
    def check(ad):
        node = getattr(ad, op)(*[ad.Node(a) for a in args[:1]], *args[1:]) if op == "power" \
            else getattr(ad, op)(*[ad.Node(a) for a in args])
        return len(node.grad_wrt_parents) == len(want) and all(
            _close(g, w) for g, w in zip(node.grad_wrt_parents, want))
    return check


# bug folder -> (the correct solution it was copied from, a check its bug fails)
BUG_CHECKS: dict[str, tuple[str, Callable]] = {
    "bug_graph_cos_derivative_plus_sin": ("correct_kahn",
                                          _primitive_grads("cos", [0.5], [-math.sin(0.5)])),
    "bug_graph_log_partial_is_x": ("correct_kahn", _primitive_grads("log", [2.0], [0.5])),
    "bug_graph_power_partial_p_x_to_p": ("correct_kahn",
                                         _primitive_grads("power", [2.0, 3], [12.0])),
    "bug_graph_constants_not_nodes": ("correct_kahn", lambda ad: ad.add(ad.Node(3.0), 2)
                                      .parent_nodes[1].operator == "const"),
    "bug_graph_mutable_default_parents": ("correct_kahn", _mutable_default),
    "bug_graph_x_op_x_dict_dedupe": ("correct_kahn", _x_times_x),
    "bug_graph_sub_sign_second_partial": ("correct_tape_first",
                                          _primitive_grads("sub", [1.0, 2.0], [1.0, -1.0])),
    "bug_graph_div_partial_wrt_b": ("correct_pull_modules",
                                    _primitive_grads("div", [1.0, 2.0], [0.5, -0.25])),
    "bug_topological_order_recursive_dfs": (
        "correct_pull_modules", lambda ad: len(ad.topological_order(_chain(ad)[0])) == 5001),
    "bug_topological_order_preorder": ("correct_pull_modules", _preorder),
    "bug_topological_order_forgets_other_children": ("correct_kahn", _forgets_children),
    "bug_topological_order_breadth_first": ("correct_kahn", _uneven_paths),
    "bug_topological_order_reverse_via_inputs": ("correct_kahn", _reverse_via_inputs),
    "bug_topological_order_indegree_whole_graph": ("correct_kahn", _indegree),
    "bug_forward_mode_keeps_state": ("correct_pull_modules", _keeps_state),
    "bug_forward_mode_recursive_reach": ("correct_tape_first", _forward_chain),
    "bug_forward_mode_last_parent_only": ("correct_kahn", _forward_paper),
    "bug_forward_mode_distinct_parents": ("correct_kahn", _forward_square),
    "bug_reverse_mode_no_reset": ("correct_kahn", _backward_twice),
    "bug_reverse_mode_overwrite_fanout": ("correct_kahn", _backward_fanout),
    "bug_reverse_mode_recursive_reach": ("correct_tape_first", _backward_chain),
    "bug_reverse_mode_x_x_counted_once": ("correct_pull_modules", _backward_square),
    "bug_reverse_mode_stale_children": ("correct_pull_modules", _backward_inner_after_output),
    "bug_wrapper_forgets_child_nodes": ("correct_kahn", _wrapper_children),
    "bug_wrapper_partials_get_nodes": ("correct_kahn", _wrapper_values),
    "bug_wrapper_ignores_name": ("correct_kahn", _wrapper_name),
    "bug_wrapper_numbers_not_constants": ("correct_kahn", _wrapper_constants),
    "bug_tape_records_only_primitives": ("correct_kahn", _tape_records_nodes),
    "bug_tape_backward_reads_forward": ("correct_pull_modules", _tape_backward),
    "bug_tape_keeps_recording": ("correct_tape_first", _tape_stops),
    "bug_tape_forward_recomputes_root": ("correct_kahn", _tape_forward),
    "bug_operators_rsub_backwards": ("correct_tape_first", _rsub),
    "bug_operators_rtruediv_swapped": ("correct_kahn", _rtruediv),
    "bug_operators_pow_is_mul": ("correct_pull_modules", _pow),
    "bug_operators_grad_returns_nodes": ("correct_tape_first", _grad_numbers),
    "bug_operators_grad_first_only": ("correct_kahn", _grad_all),
}


def run_checks(folder: Path, names: list[str]) -> dict[str, str]:
    """Run the named BUG_CHECKS on the submission in `folder`, in a fresh process.

    Returns "right", "wrong" or "crash: ..." per name.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run([sys.executable, __file__, str(folder), *names], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.splitlines()[-1])


def _main(folder: str, names: list[str]) -> None:
    sys.path.insert(0, folder)
    import simpleautodiff as ad

    where = Path(ad.__file__).resolve()
    assert Path(folder).resolve() in where.parents, f"imported {where}, not from {folder}"
    verdicts = {}
    for name in names:
        try:
            verdicts[name] = "right" if BUG_CHECKS[name][1](ad) else "wrong"
        except Exception as error:  # RecursionError included
            verdicts[name] = f"crash: {type(error).__name__}: {str(error)[:100]}"
    print(json.dumps(verdicts))


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2:])
