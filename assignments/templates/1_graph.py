# %% [markdown]
# # Automatic differentiation, step by step — 1. Evaluating a function builds its graph
#
# In this assignment you build a small automatic-differentiation system, `simpleautodiff`,
# following Fang, Lin, Liu and Lin, *A Step-by-step Introduction to the Implementation of
# Automatic Differentiation* (arXiv 2402.16020). Four notebooks, in this order:
#
# 1. **the graph** (this notebook): evaluating a function records its computational graph;
# 2. topological order and forward mode;
# 3. reverse mode (backprop);
# 4. a wrapper for primitives, a tape, and operators.
#
# Write your code in the cells that say `YOUR CODE HERE` (delete the `raise` line).
# The later notebooks run your answer cells from the earlier ones, so keep all four
# notebooks in one folder and save each before moving on. Code you put in other cells
# is not part of your package. The tests you see check the paper's example; hidden
# tests check random functions when your work is graded.
#
# ## The running example
#
# $y = f(x_1, x_2) = \log x_1 + x_1 x_2 - \sin x_2$ at $(x_1, x_2) = (2, 5)$.
# Differentiating it by the chain rule needs the *inner* values ($\partial \log u /
# \partial u = 1/u$ is evaluated at $u = x_1$), so an implementation first evaluates the
# function and keeps every intermediate value $v_i$: the *evaluation trace*.
#
# | node | expression | value |
# |---|---|---|
# | $v_1$ | $\log x_1$ | 0.693147 |
# | $v_2$ | $x_1 \cdot x_2$ | 10 |
# | $v_3$ | $\sin x_2$ | −0.958924 |
# | $v_4$ | $v_1 + v_2$ | 10.693147 |
# | $v_5 = y$ | $v_4 - v_3$ | 11.652071 |

# %% given id=given_imports
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Union

# %% setup id=setup_notebook
@@include quiet_warnings

# %% [markdown]
# ## The computational graph
#
# Draw an edge $u \to v$ when the expression of $v$ uses $u$: $u$ is a *parent* of $v$
# and $v$ a *child* of $u$. Each variable is a `Node` holding its `value`, its
# `parent_nodes`, its `child_nodes` and the `operator` that made it. A `Node` only records
# what it is given; whoever creates a node wires it into the graph. (`_recording` is used
# by the tape of notebook 4.)

# %% given id=given_node
# The tapes recording right now (notebook 4); every new Node is appended to each of them.
_recording: list[Tape] = []

Operand = Union["Node", float, int]


@@ node.py:Node-operators


@@ node.py:as_node

# %% [markdown]
# ## Primitives build the graph as a side effect
#
# A *primitive* is a function such as `log` or `mul` that works on nodes: it computes the
# new value from its parents' values, creates exactly one new `Node`, and appends that node
# to each parent's `child_nodes`. Because the operation is known right then, it also stores
# the *local derivatives* $\partial v / \partial u$ for each parent $u$, in
# `grad_wrt_parents` (in `parent_nodes` order): for `mul` that is `[b, a]`, for `add`
# `[1, 1]`, for `log` `[1/a]`. The nested call
# `sub(add(log(x1), mul(x1, x2)), sin(x2))` then builds the whole graph of the example.
#
# `mul` is given in full as a model. A plain number argument becomes a constant node
# (`as_node`).

# %% given id=given_mul
@@ primitives.py:mul

# %% [markdown]
# ### Task `graph` ({points:graph} points)
#
# Write the other primitives below, each as its docstring says. You may write each one by
# hand like `mul`, or write a helper that builds a node from a value function and its
# partial derivatives and use it for all of them (notebook 4 asks for such a wrapper).

# %% answer id=answer_graph
@@ primitives.py:primitive@graph


@@ primitives.py:_add


@@ primitives.py:add


@@ primitives.py:sub


@@ primitives.py:div


@@ primitives.py:neg


@@ primitives.py:log


@@ primitives.py:exp


@@ primitives.py:sin


@@ primitives.py:cos


@@ primitives.py:power

# %% [markdown]
# ### The evaluation trace and the graph of the example
#
# `evaluation_trace` (from `paper_tables.py`, beside this notebook) prints the table above
# from *your* graph, and `show_graph` draws it (with Graphviz when it is installed,
# otherwise as DOT text). The nodes are numbered the way the paper numbers them.

# %% demo
from paper_tables import evaluation_trace, show_graph

x1, x2 = Node(2.0, name="x1"), Node(5.0, name="x2")
y = sub(add(log(x1), mul(x1, x2)), sin(x2))
print(evaluation_trace(y))
show_graph(y)

# %% setup id=setup_tests
@@include test_helpers

# %% test id=test_graph_paper points=40%
x1, x2 = Node(X1), Node(X2)
v1, v2, v3 = log(x1), mul(x1, x2), sin(x2)
v4 = add(v1, v2)
y = sub(v4, v3)
assert close(y.value, Y), f"y should be {Y}, got {y.value}"
assert close(v1.grad_wrt_parents[0], 1 / X1) and len(v1.grad_wrt_parents) == 1, "log's local derivative"
assert close(v3.grad_wrt_parents[0], math.cos(X2)), "sin's local derivative"
assert [close(g, e) for g, e in zip(y.grad_wrt_parents, [1.0, -1.0])] == [True, True], "sub's"
assert y.parent_nodes == [v4, v3], "sub's parents, in argument order"
assert x1.child_nodes == [v1, v2] and x2.child_nodes == [v2, v3], "each parent lists its children"

a, b = Node(0.7), Node(1.9)
cases = [
    (add(a, b), 0.7 + 1.9, [1.0, 1.0]),
    (sub(a, b), 0.7 - 1.9, [1.0, -1.0]),
    (div(a, b), 0.7 / 1.9, [1 / 1.9, -0.7 / 1.9**2]),
    (neg(a), -0.7, [-1.0]),
    (exp(a), math.exp(0.7), [math.exp(0.7)]),
    (cos(a), math.cos(0.7), [-math.sin(0.7)]),
    (power(b, 3), 1.9**3, [3 * 1.9**2]),
]
for node, value, grads in cases:
    assert close(node.value, value), f"{node.operator}: value"
    assert len(node.grad_wrt_parents) == len(grads), f"{node.operator}: one local derivative per parent"
    assert all(close(g, e) for g, e in zip(node.grad_wrt_parents, grads)), f"{node.operator}: local derivatives"
c = add(Node(3.0), 2)
assert close(c.value, 5.0) and c.parent_nodes[1].operator == "const", "a number becomes a constant node"

# %% test id=test_graph_random points=rest
# Hidden tests run here when your work is graded: every primitive at random points, and
# the graph that nested calls build.
### BEGIN HIDDEN TESTS
import random as _random

_rng = _random.Random(20240216)
_unary = {"neg": (neg, lambda t: -t, lambda t: -1.0),
          "log": (log, math.log, lambda t: 1 / t),
          "exp": (exp, math.exp, math.exp),
          "sin": (sin, math.sin, math.cos),
          "cos": (cos, math.cos, lambda t: -math.sin(t))}
_binary = {"add": (add, lambda s, t: s + t, lambda s, t: [1.0, 1.0]),
           "sub": (sub, lambda s, t: s - t, lambda s, t: [1.0, -1.0]),
           "mul": (mul, lambda s, t: s * t, lambda s, t: [t, s]),
           "div": (div, lambda s, t: s / t, lambda s, t: [1 / t, -s / t**2])}
for _ in range(20):
    s, t = _rng.uniform(0.2, 3.0), _rng.uniform(0.2, 3.0)
    for name, (f, value, dv) in _unary.items():
        a = Node(s)
        n = f(a)
        assert close(n.value, value(s)) and close(n.grad_wrt_parents[0], dv(s)), f"{name}({s})"
        assert n.parent_nodes == [a] and a.child_nodes == [n], f"{name}: wiring"
    for name, (f, value, dv) in _binary.items():
        a, b = Node(s), Node(t)
        n = f(a, b)
        assert close(n.value, value(s, t)), f"{name}({s}, {t}): value"
        assert all(close(g, e) for g, e in zip(n.grad_wrt_parents, dv(s, t))), f"{name}: local derivatives"
        assert n.parent_nodes == [a, b] and a.child_nodes == [n] and b.child_nodes == [n], f"{name}: wiring"
    for p in (2, 3, -1, 0.5, 1.5, -2):
        n = power(Node(s), p)
        assert close(n.value, s**p) and close(n.grad_wrt_parents[0], p * s ** (p - 1)), f"power({s}, {p})"
        assert len(n.parent_nodes) == 1, "power(a, p) has one parent: p is a number"
    for f in (add, sub, mul, div):
        n = f(s, Node(t))
        assert n.parent_nodes[0].operator == "const" and close(n.parent_nodes[0].value, s), "constants"
# the same node used twice is listed twice, with one local derivative per use
a = Node(1.3)
sq = mul(a, a)
assert sq.parent_nodes == [a, a] and all(close(g, 1.3) for g in sq.grad_wrt_parents), "mul(a, a)"
assert a.child_nodes == [sq, sq], "mul(a, a) is a child of a twice"
# separate graphs stay separate (no shared default lists)
p, q = Node(1.0), Node(2.0)
assert p.parent_nodes == [] and p.child_nodes == [] and p.parent_nodes is not q.parent_nodes
add(p, 1)
assert q.child_nodes == [], "a new Node's lists must be its own"
### END HIDDEN TESTS
