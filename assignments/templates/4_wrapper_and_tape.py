# %% [markdown]
# # Automatic differentiation, step by step — 4. A wrapper, a tape, and operators
#
# The first cell runs your work from notebooks 1 to 3 (save them first). This notebook
# completes what the paper sketches: a reusable wrapper for primitives, a tape that
# records nodes as they are created, and operators so that `x1 * x2` builds a graph.

# %% setup id=setup_earlier_work
from __future__ import annotations

@@include earlier_work


run_earlier_notebooks("1_graph.ipynb", "2_forward_mode.ipynb", "3_reverse_mode.ipynb")

# %% setup id=setup_notebook
@@include quiet_warnings

# %% [markdown]
# ## The wrapper
#
# Every primitive of notebook 1 does the same four things: turn numbers into constant
# nodes, compute the value, store one local derivative per parent, and append the new node
# to its parents' children. Only the value function and its partial derivatives differ.
# `primitive(function, *partials, name=None)` does the four things once: it returns a
# function on nodes, so that for instance
# `square = primitive(lambda a: a * a, lambda a: 2 * a, name="square")` is a new primitive.
#
# ### Task `wrapper` ({points:wrapper} points)

# %% answer id=answer_wrapper
@@ primitives.py:primitive

# %% setup id=setup_tests
@@include test_helpers

# %% test id=test_wrapper_paper points=40%
square = primitive(lambda a: a * a, lambda a: 2 * a, name="square")
x = Node(3.0)
y = square(x)
assert close(y.value, 9.0) and len(y.grad_wrt_parents) == 1 and close(y.grad_wrt_parents[0], 6.0)
assert y.parent_nodes == [x] and x.child_nodes == [y], "the wrapper wires the new node in"
assert y.operator == "square", "the operator is the name given"

# %% test id=test_wrapper_random points=rest
# Hidden tests run here when your work is graded: random functions of one to three
# arguments, numbers as arguments, and wrong numbers of arguments.
### BEGIN HIDDEN TESTS
import random as _random

_rng = _random.Random(7)
hyp = primitive(math.hypot, lambda a, b: a / math.hypot(a, b), lambda a, b: b / math.hypot(a, b), name="hypot")
fma = primitive(lambda a, b, c: a * b + c, lambda a, b, c: b, lambda a, b, c: a, lambda a, b, c: 1.0, name="fma")
for _ in range(20):
    s, t, u = (_rng.uniform(0.5, 3.0) for _ in range(3))
    a, b = Node(s), Node(t)
    n = hyp(a, b)
    assert close(n.value, math.hypot(s, t)) and n.operator == "hypot"
    assert all(close(g, e) for g, e in zip(n.grad_wrt_parents, [s / math.hypot(s, t), t / math.hypot(s, t)]))
    assert n.parent_nodes == [a, b] and a.child_nodes == [n] and b.child_nodes == [n]
    m = fma(a, t, Node(u))
    assert close(m.value, s * t + u) and m.parent_nodes[1].operator == "const", "numbers become constants"
    assert all(close(g, e) for g, e in zip(m.grad_wrt_parents, [t, s, 1.0]))
    assert a.child_nodes == [n, m]
try:
    hyp(Node(1.0))
except TypeError:
    pass
else:
    raise AssertionError("a primitive of two arguments called with one must raise TypeError")
### END HIDDEN TESTS

# %% [markdown]
# ## The tape
#
# A node is always created after its parents, so the order of creation is a topological
# order. The paper calls methods built on such an order *tape-based*: record the nodes as
# they are created, and read the record front to back for forward mode and back to front
# for reverse mode, without searching the graph. Inside `with Tape() as tape:`, every new
# `Node` is appended to `tape.nodes` (the given `Node.__init__` appends it to every tape in
# `_recording`). Tapes may be nested.
#
# ### Task `tape` ({points:tape} points)

# %% answer id=answer_tape
@@ tape.py:Tape

# %% test id=test_tape_paper points=40%
with Tape() as tape:
    x1, x2, _, y = paper_graph_by_hand()
assert len(tape.nodes) == 7 and tape.nodes[0] is x1 and tape.nodes[-1] is y, "seven nodes, in creation order"
tape.forward(x2)
assert close(y.partial_derivative, DY_DX2), f"tape.forward(x2): {y.partial_derivative}"
tape.backward(y)
assert close(x1.adjoint, DY_DX1) and close(x2.adjoint, DY_DX2), f"tape.backward: {x1.adjoint}, {x2.adjoint}"
assert Node(1.0) not in tape.nodes, "the tape stops recording when the with block ends"

# %% test id=test_tape_random points=rest
# Hidden tests run here when your work is graded: random functions on a tape, repeated
# calls, nested tapes, and a tape left by an exception.
### BEGIN HIDDEN TESTS
@@include random_graphs
for seed in range(6):
    xs, program = _random_program(seed)
    with Tape() as outer:
        with Tape() as inner:
            nodes = _build(xs, program)
        extra = link(nodes[-1].value, [nodes[-1]], [1.0], "id")
    assert [id(n) for n in inner.nodes] == [id(n) for n in nodes], f"seed {seed}: inner tape"
    assert [id(n) for n in outer.nodes] == [id(n) for n in nodes + [extra]], f"seed {seed}: outer tape"
    for i in (0, 2, 1):
        slopes = _numeric_tangents(xs, program, i)
        inner.forward(nodes[i])
        assert _near(nodes[-1].partial_derivative, slopes[-1]), f"seed {seed}: tape.forward(x{i + 1})"
    for _ in range(2):
        inner.backward(nodes[-1])
        for i in range(3):
            assert _near(nodes[i].adjoint, _numeric_tangents(xs, program, i)[-1]), f"seed {seed}: adjoint"
try:
    with Tape() as broken:
        raise KeyError("inside the tape")
except KeyError:
    pass
Node(0.0)
assert broken.nodes == [], "a tape stops recording when its block ends by an exception"
### END HIDDEN TESTS

# %% [markdown]
# ## Operators and `grad`
#
# With operators on `Node`, the example reads as it does on paper:
# `log(x1) + x1 * x2 - sin(x2)`. Each operator calls a primitive; a plain number may be on
# either side (`2 * x`, `1 - x`), `x ** 3` is `power(x, 3)`, and `2 ** x` is
# $e^{x \log 2}$. The methods are written as functions here and attached to `Node` in the
# next cell. Then `grad(f)(*floats)` returns every $\partial f/\partial x_i$ by reverse mode.
#
# ### Task `operators` ({points:operators} points)

# %% answer id=answer_operators
@@ node.py:Node+operators


@@ reverse_mode.py:grad

# %% given id=given_operators
# Attach the operators above to Node.
Node.__add__, Node.__radd__ = __add__, __radd__
Node.__sub__, Node.__rsub__ = __sub__, __rsub__
Node.__mul__, Node.__rmul__ = __mul__, __rmul__
Node.__truediv__, Node.__rtruediv__ = __truediv__, __rtruediv__
Node.__neg__, Node.__pow__, Node.__rpow__ = __neg__, __pow__, __rpow__

# %% [markdown]
# ### The example, written as on paper

# %% demo
from paper_tables import adjoint_trace, show_graph


def f(x1, x2):
    return log(x1) + x1 * x2 - sin(x2)


print("grad f(2, 5) =", grad(f)(2.0, 5.0))
with Tape() as tape:
    x1, x2 = Node(2.0, name="x1"), Node(5.0, name="x2")
    y = f(x1, x2)
tape.backward(y)
print(f"{len(tape.nodes)} nodes on the tape;", adjoint_trace(y), sep="\n")
show_graph(y, show=("value", "adjoint"))

# %% test id=test_operators_paper points=40%
f = lambda x1, x2: log(x1) + x1 * x2 - sin(x2)  # noqa: E731
x1, x2 = Node(X1), Node(X2)
assert close(f(x1, x2).value, Y), "operators on the example"
got = grad(f)(X1, X2)
assert len(got) == 2 and close(got[0], DY_DX1) and close(got[1], DY_DX2), f"grad(f)(2, 5) = {got}"
z = 1 - (2 * x1) / x2 + x1 ** 2 - -x2
assert close(z.value, 1 - 4 / 5 + 4 + 5), "numbers on either side"

# %% test id=test_operators_random points=rest
# Hidden tests run here when your work is graded: random expressions with operators,
# and grad checked against finite differences.
### BEGIN HIDDEN TESTS
import random as _random

_rng = _random.Random(11)


def _expr(a, b, c):
    return (a * b - c / (1 + a ** 2)) * (2 - b) + 3 / (c + 4) - -a + 2 ** b + c ** 0.5


def _fd(g, xs, i, h=1e-6):
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (g(*up) - g(*down)) / (2 * h)


for _ in range(10):
    xs = [_rng.uniform(0.5, 2.0) for _ in range(3)]
    n = _expr(*(Node(x) for x in xs))
    assert isinstance(n, Node) and close(n.value, _expr(*xs)), "operators build the expression"
    got = grad(_expr)(*xs)
    assert len(got) == 3 and all(abs(g - _fd(_expr, xs, i)) < 1e-5 for i, g in enumerate(got)), "grad"
assert grad(lambda a, b: a * 0 + 1)(1.0, 2.0)[1] == 0.0, "grad: an input that is not used has derivative 0"
### END HIDDEN TESTS
