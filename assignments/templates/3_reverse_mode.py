# %% [markdown]
# # Automatic differentiation, step by step — 3. Reverse mode (backprop)
#
# The first cell runs your work from notebooks 1 and 2 (save them first).

# %% setup id=setup_earlier_work
from __future__ import annotations

@@include earlier_work


run_earlier_notebooks("1_graph.ipynb", "2_forward_mode.ipynb")

# %% setup id=setup_notebook
@@include quiet_warnings

# %% [markdown]
# ## Reverse mode, on paper
#
# Forward mode gives the derivatives with respect to *one input* per sweep. Reverse mode
# turns the question around: fix the output $y$ and write $\bar v = \partial y/\partial v$
# (the *adjoint*). Start from $\bar y = 1$ and go back from the output to the inputs; one
# sweep gives $\partial y/\partial x_1$ and $\partial y/\partial x_2$ at once.
#
# | node | adjoint | value |
# |---|---|---|
# | $\bar v_5 = \bar y$ | | 1 |
# | $\bar v_4$ | $\bar v_5 \cdot \partial v_5/\partial v_4$ | 1 |
# | $\bar v_3$ | $\bar v_5 \cdot \partial v_5/\partial v_3$ | −1 |
# | $\bar v_2$ | $\bar v_4 \cdot \partial v_4/\partial v_2$ | 1 |
# | $\bar v_1$ | $\bar v_4 \cdot \partial v_4/\partial v_1$ | 1 |
# | $\bar x_2$ | $\bar v_2 \cdot \partial v_2/\partial x_2 + \bar v_3 \cdot \partial v_3/\partial x_2$ | 1.716338 |
# | $\bar x_1$ | $\bar v_1 \cdot \partial v_1/\partial x_1 + \bar v_2 \cdot \partial v_2/\partial x_1$ | 5.5 |
#
# When a variable feeds several later ones ($x_2$ feeds $v_2$ and $v_3$), its adjoint is
# the **sum** of their contributions. So a node's adjoint is complete only once every one of
# its children has passed its contribution on: visit the nodes in *reverse* topological
# order (`reverse_topological_order` from notebook 2), each node before its parents.
#
# ### Task `reverse_mode` ({points:reverse_mode} points)
#
# `backward(output)` sets `adjoint` on every node that `output` depends on. Reset the
# adjoints first: calling `backward` twice must give the same numbers.

# %% answer id=answer_reverse_mode
@@ reverse_mode.py:backward

# %% [markdown]
# ### The adjoint trace of the example

# %% demo
from paper_tables import adjoint_trace, show_graph

x1, x2 = Node(2.0, name="x1"), Node(5.0, name="x2")
y = sub(add(log(x1), mul(x1, x2)), sin(x2))
backward(y)
print(adjoint_trace(y))
show_graph(y, show=("value", "adjoint"))

# %% setup id=setup_tests
@@include test_helpers

# %% test id=test_reverse_mode_paper points=40%
# These tests give backward() a known order (known_orders), so only backward itself is tested.
x1, x2, (v1, v2, v3, v4), y = paper_graph_by_hand()
with known_orders({y: [y, v4, v3, v2, v1, x2, x1]}):
    backward(y)
    got = [n.adjoint for n in (y, v4, v3, v2, v1)]
    assert all(close(g, e) for g, e in zip(got, [1.0, 1.0, -1.0, 1.0, 1.0])), f"adjoints {got}"
    assert close(x1.adjoint, DY_DX1) and close(x2.adjoint, DY_DX2), f"{x1.adjoint}, {x2.adjoint}"
    backward(y)
    assert close(x1.adjoint, DY_DX1) and close(x2.adjoint, DY_DX2), "backward twice: same numbers"

# %% test id=test_reverse_mode_random points=rest
# Hidden tests run here when your work is graded: random functions, every node's adjoint
# checked against finite differences, repeated calls, and a node used twice.
### BEGIN HIDDEN TESTS
@@include random_graphs
for seed in range(8):
    xs, program = _random_program(seed)
    nodes = _build(xs, program)
    output = nodes[-1]
    with known_orders({output: _ancestors_newest_first(nodes, output)}):
        for _ in range(2):
            backward(output)
            for i in range(3):
                slope = _numeric_tangents(xs, program, i)[-1]
                assert _near(nodes[i].adjoint, slope), f"seed {seed}: dy/dx{i + 1}"
        inner = nodes[len(nodes) // 2]
        ancestors = _ancestors_newest_first(nodes, inner)
        with known_orders({inner: ancestors}):
            backward(inner)
            for i in range(3):
                if nodes[i] in ancestors:
                    slope = _numeric_tangents(xs, program, i)[len(nodes) // 2]
                    assert _near(nodes[i].adjoint, slope), f"seed {seed}: an inner output"
a = Node(1.5)
sq = link(2.25, [a, a], [1.5, 1.5], "mul")
with known_orders({sq: [sq, a]}):
    backward(sq)
assert close(a.adjoint, 3.0), "d(a*a)/da = 2a: both uses of a count"
### END HIDDEN TESTS
