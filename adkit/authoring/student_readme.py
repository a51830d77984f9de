"""skeleton/README.md, what a student reads first: set-up, running one task's tests, tracing
and drawing, what to hand in, and what the hidden tests check (points from the rubric).

Generated with the skeleton (adkit/authoring/skeleton.py), so `make skeleton --check`
holds it fresh: the points come from graders/rubric.toml, the kinds below name each test's.
"""

from __future__ import annotations

from adkit.model.rubric import load_rubric

# What each hidden test checks, in a student's words: its kinds of behaviour (the points
# of a test are split evenly between them; adkit/grade/behaviours.py). Every test of the
# rubric must be here (tests/unit/test_skeleton.py).
SHAPES = ("fan-out (a node used by several others), the same node twice (`x * x`), plain "
          "numbers (constant nodes)")
MEET = "paths of different lengths that meet (`y = x + sin(cos(x))`), chains, random functions"
KINDS: dict[tuple[str, str], str] = {
    ("graph", "test_paper_example"): "the paper's function at x1 = 2, x2 = 5 and at three "
                                     "other points",
    ("graph", "test_each_primitive"): "each primitive but the given `mul`, on nodes; plain "
                                      "numbers as arguments; the same node twice (11 kinds)",
    ("graph", "test_random_functions"): f"functions of each shape: {SHAPES}, {MEET} (6 kinds)",
    ("graph", "test_larger_function"): "one function of 400 operations",
    ("topological_order", "test_paper_example"): "the paper's graph",
    ("topological_order", "test_shared_nodes"): SHAPES + " (3 kinds)",
    ("topological_order", "test_random_graphs"): MEET + " (3 kinds)",
    ("topological_order", "test_many_children"): "a node with 30,000 children, fast",
    ("topological_order", "test_big_graphs"): "both orders on a chain 100,000 deep (2 kinds)",
    ("forward_mode", "test_paper_example"): "`forward(x1)` then `forward(x2)` on the paper's "
                                            "function, at x1 = 2, x2 = 5 and three other points",
    ("forward_mode", "test_shared_nodes"): SHAPES + " (3 kinds)",
    ("forward_mode", "test_random_graphs"): MEET + " (3 kinds)",
    ("forward_mode", "test_big_graphs"): "a chain 100,000 deep",
    ("reverse_mode", "test_paper_example"): "`backward(y)` again and again on the paper's "
                                            "function, at x1 = 2, x2 = 5 and three other points",
    ("reverse_mode", "test_shared_nodes"): SHAPES + " (3 kinds)",
    ("reverse_mode", "test_random_graphs"): MEET + " (3 kinds)",
    ("reverse_mode", "test_big_graphs"): "a chain 100,000 deep",
    ("wrapper", "test_new_functions"): "new functions made with `name=`, and without (2 kinds)",
    ("wrapper", "test_numbers_become_constants"): "plain numbers as arguments",
    ("wrapper", "test_every_primitive_rewritten"): "each primitive rewritten with "
                                                   "`primitive()`, and functions of all of "
                                                   "them (11 kinds)",
    ("tape", "test_records_creation_order"): "`tape.nodes` on the paper's graph, and on "
                                             "hand-picked and random graphs (2 kinds)",
    ("tape", "test_paper_example"): "`tape.forward` and `tape.backward` on the paper's function",
    ("tape", "test_random_graphs"): f"{SHAPES}, {MEET} (6 kinds)",
    ("tape", "test_inputs_made_before_the_tape"): "inputs made before the `with Tape()` block",
    ("tape", "test_big_graphs"): "a chain 100,000 deep, recorded",
    ("operators", "test_operators_build_primitives"): "a number on the left (`2 + x`, "
                                                      "`2 ** x`), on the right, nodes on both "
                                                      "sides, unary minus and powers (4 kinds)",
    ("operators", "test_random_expressions"): "random expressions",
    ("operators", "test_grad"): "`grad(f)` of random expressions and of the paper's function "
                                "(2 kinds)",
}

TOP = """\
# simpleautodiff: your assignment

You write `simpleautodiff`, a small automatic differentiation package after the paper's
listings: `Node`, the primitives, topological order, forward mode, reverse mode, a wrapper
`primitive`, a `Tape` and operators. `Node` and the worked `mul` are given; every other
piece of work is a `TODO [task]` in `simpleautodiff/`, with a `NotImplementedError` naming
its task until you write it. This file is generated with the skeleton: do not edit it.

## Set up

You need Python 3.10 or newer and pytest:

    python3 -m venv .venv
    .venv/bin/pip install pytest          # Windows: .venv\\Scripts\\pip install pytest
    .venv/bin/pytest                      # in this folder: every public test

## Run one task's tests

    pytest -m graph                       # one task: its public tests only
    pytest -m topological_order -x        # stop at the first failure
    pytest -k deep_chain                  # the tests whose name holds "deep_chain"

The tasks, in the order to do them: {tasks}. A failing test prints a
short traceback (at most 60 lines); a recursive walk that runs out of stack prints one
line saying where and what to do instead.

## Look at your graph

    from simpleautodiff import Node, log, mul, sin, add, sub, evaluation_trace, write_svg
    x1, x2 = Node(2.0), Node(5.0)
    x1.name, x2.name = "x1", "x2"
    y = sub(add(log(x1), mul(x1, x2)), sin(x2))
    print(evaluation_trace(y))            # the paper's table: node, operator, parents, value

`tangent_trace(y)` (after `forward(x1)`) and `adjoint_trace(y)` (after `backward(y)`) print
the other two tables; `to_dot(y)` gives Graphviz source and `write_svg(y, "graph.svg")`
draws it (a `.dot` file when Graphviz's `dot` is not installed).

## What to hand in

One of these, as your course says (a folder, or one archive of it: `.zip`, `.tar`,
`.tar.gz`, `.tgz`, `.tar.bz2`, `.tar.xz`):

- the `simpleautodiff/` folder (the package, as many modules as you like), or
- one file `simpleautodiff.py` holding everything, or
- your filled notebooks (`*.ipynb`), if your course runs on JupyterHub.

Your tests, caches and virtual environment are not needed. Links and files over 4 MiB
(8 MiB for a notebook) are left out, and your feedback names every file left out.
Only the names in the contract are used: `Node` (`value`, `parent_nodes`, `child_nodes`,
`operator`, `grad_wrt_parents`, `partial_derivative`, `adjoint`, `name`), the primitives,
`topological_order`, `reverse_topological_order`, `forward`, `backward`, `primitive`,
`Tape`, the operators and `grad`.

## What the hidden tests check

Your code is graded in a sandbox by hidden tests of the same kinds as the public ones, on
other data: other functions, other points, graphs 100,000 nodes deep. The hidden cases are
the same for every student, so the same code earns the same grade whoever hands it in.
Each test's points are split evenly between the kinds of behaviour it checks, and you earn
a kind's share when your code is right on every case of that kind: a mistake that shows
only on one kind (say, an order that is wrong where paths of different lengths meet) costs
that kind's share, every time. Every kind has a public test here that fails on the same
mistake. Each task is graded through its own functions: a wrong `mul` costs `graph` points,
not `forward_mode`'s (but the operators build with your primitives).

| task | test | points | what it checks |
|---|---|---|---|
"""


def readme() -> str:
    """The text of skeleton/README.md."""
    rubric = load_rubric()
    rows = []
    for (task, test), rule in rubric.tests.items():
        kinds = KINDS.get((task, test), "")
        rows.append(f"| {task} ({rubric.tasks[task]:g}) | {test.removeprefix('test_')} | "
                    f"{rule.points:g} | {kinds} |")
    tasks = ", ".join(f"`{task}`" for task in rubric.tasks)
    return TOP.format(tasks=tasks) + "\n".join(rows) + "\n"
