# %% [markdown]
# # Automatic differentiation, step by step — 2. Topological order and forward mode
#
# The first cell runs your work from notebook 1 (save it first). Then you find an order
# in which to visit the graph, and use it to push derivatives forward from an input.

# %% setup id=setup_earlier_work
from __future__ import annotations

@@include earlier_work


run_earlier_notebooks("1_graph.ipynb")

# %% setup id=setup_notebook
@@include quiet_warnings

# %% [markdown]
# ## Forward mode, on paper
#
# Fix one input, say $x_1$, and write $\dot v = \partial v / \partial x_1$ (the *tangent*).
# Start from $\dot x_1 = 1$, $\dot x_2 = 0$; each later tangent is one application of the
# chain rule, $\dot v = \sum_{u \text{ parent of } v} \frac{\partial v}{\partial u}\,\dot u$,
# using the local derivatives that the primitives stored:
#
# | node | tangent for $x_1$ | value | tangent for $x_2$ | value |
# |---|---|---|---|---|
# | $v_1 = \log x_1$ | $\dot x_1 / x_1$ | 0.5 | | 0 |
# | $v_2 = x_1 x_2$ | $x_2 \dot x_1 + x_1 \dot x_2$ | 5 | | 2 |
# | $v_3 = \sin x_2$ | $\cos(x_2)\, \dot x_2$ | 0 | | 0.283662 |
# | $v_4 = v_1 + v_2$ | $\dot v_1 + \dot v_2$ | 5.5 | | 2 |
# | $y = v_4 - v_3$ | $\dot v_4 - \dot v_3$ | 5.5 | | 1.716338 |
#
# Check: $\partial y/\partial x_1 = 1/x_1 + x_2 = 5.5$ and
# $\partial y/\partial x_2 = x_1 - \cos x_2 = 1.716338$.
#
# ## Topological order
#
# $\dot v$ can be computed only once every parent's tangent is known, so the nodes must be
# visited in a *topological order*: each node after all of its parents. Only the nodes
# reachable from the input through `child_nodes` matter (the others have tangent 0). The
# reachable part is a directed acyclic graph, so such an order exists. A depth-first search
# from the input that appends a node *after* all of its children (post-order), reversed,
# gives one. Appending a node *before* its children does not work: in the example, `x1`,
# `v1`, `v4`, `y`, `v2` puts `v4` before its parent `v2`.
#
# Graphs in the hidden tests are chains 100,000 deep, at Python's default recursion limit:
# a recursive search would exceed it (raising the limit does not help at that depth), so
# write the search with an explicit stack. A node may also have 30,000 children: a search
# that rescans a node's children from the start each time is too slow there.
#
# ### Task `topological_order` ({points:topological_order} points)
#
# `topological_order(root)` walks `child_nodes` from an input; `reverse_topological_order(
# output)` walks `parent_nodes` back from an output, each node before its parents (notebook
# 3 uses it).

# %% answer id=answer_topological_order
@@ order.py:topological_order


@@ order.py:reverse_topological_order


@@ order.py:_reversed_postorder

# %% setup id=setup_tests
@@include test_helpers


def check_topological(order, root):
    position = {id(n): i for i, n in enumerate(order)}
    assert order[0] is root, "the order must start with the root"
    assert len(position) == len(order), "a node appears twice"
    for node in order:
        for parent in node.parent_nodes:
            if id(parent) in position:
                assert position[id(parent)] < position[id(node)], f"{node!r} comes before its parent {parent!r}"

# %% test id=test_topological_order_paper points=40%
x1, x2, (v1, v2, v3, v4), y = paper_graph_by_hand()
order = topological_order(x1)
check_topological(order, x1)
assert {id(n) for n in order} == {id(n) for n in (x1, v1, v2, v4, y)}, "exactly the nodes reachable from x1"
order = reverse_topological_order(y)
assert order[0] is y, "the reverse order starts with the output"
assert {id(n) for n in order} == {id(n) for n in (x1, x2, v1, v2, v3, v4, y)}
position = {id(n): i for i, n in enumerate(order)}
for node in order:
    for parent in node.parent_nodes:
        assert position[id(node)] < position[id(parent)], f"{node!r} must come before its parent"

# %% test id=test_topological_order_random points=rest
# Hidden tests run here when your work is graded: random graphs, and chains 100,000 deep.
### BEGIN HIDDEN TESTS
@@include random_graphs
for seed in range(8):
    xs, program = _random_program(seed)
    nodes = _build(xs, program)
    for x in nodes[:3]:
        order = topological_order(x)
        check_topological(order, x)
        expected = _reachable_in_creation_order(nodes, x)
        assert {id(n) for n in order} == {id(n) for n in expected}, f"seed {seed}: wrong set of nodes"
    order = reverse_topological_order(nodes[-1])
    assert order[0] is nodes[-1], f"seed {seed}: the reverse order starts with the output"
    expected = _ancestors_newest_first(nodes, nodes[-1])
    assert {id(n) for n in order} == {id(n) for n in expected}, f"seed {seed}: wrong set of nodes"
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(n)] < position[id(p)] for n in order for p in n.parent_nodes), f"seed {seed}"
chain = [Node(0.5)]
for _ in range(100_000):
    chain.append(link(chain[-1].value, [chain[-1]], [1.0], "id"))
assert len(topological_order(chain[0])) == 100_001, "a chain 100,000 deep"
assert len(reverse_topological_order(chain[-1])) == 100_001, "a chain 100,000 deep, backwards"
### END HIDDEN TESTS

# %% [markdown]
# ## Forward mode in code
#
# Along a topological order from `root`, set `partial_derivative` ($\dot v$) on every
# node: 1 for `root`, then $\dot v = \sum (\partial v/\partial u)\,\dot u$ over the parents.
# Careful: a parent that is *not* reachable from `root` does not depend on it, whatever an
# earlier call left in its `partial_derivative`. (The paper's companion code keeps old
# tangents, so asking for $\partial/\partial x_2$ after $\partial/\partial x_1$ on the same
# graph gives 7.216 instead of 1.716.)
#
# ### Task `forward_mode` ({points:forward_mode} points)

# %% answer id=answer_forward_mode
@@ forward_mode.py:forward

# %% [markdown]
# ### The tangent trace of the example
#
# The table above, computed by your code, and the graph with each node's tangent.

# %% demo
from paper_tables import show_graph, tangent_trace

x1, x2 = Node(2.0, name="x1"), Node(5.0, name="x2")
y = sub(add(log(x1), mul(x1, x2)), sin(x2))
forward(x1)
print("tangents for x1:", tangent_trace(y), sep="\n")
forward(x2)
print("tangents for x2:", tangent_trace(y), sep="\n")
show_graph(y, show=("value", "partial_derivative"))

# %% test id=test_forward_mode_paper points=40%
# These tests give forward() a known order (known_orders), so only forward itself is tested.
x1, x2, (v1, v2, v3, v4), y = paper_graph_by_hand()
with known_orders({x1: [x1, v1, v2, v4, y], x2: [x2, v2, v3, v4, y]}):
    forward(x1)
    got = [v.partial_derivative for v in (x1, v1, v2, v4, y)]
    assert all(close(g, e) for g, e in zip(got, [1.0, 0.5, 5.0, 5.5, DY_DX1])), f"tangents for x1: {got}"
    forward(x2)  # the paper's companion code gets 7.216 here
    got = [v.partial_derivative for v in (x2, v2, v3, v4, y)]
    assert all(close(g, e) for g, e in zip(got, [1.0, 2.0, math.cos(X2), 2.0, DY_DX2])), f"tangents for x2: {got}"

# %% test id=test_forward_mode_random points=rest
# Hidden tests run here when your work is graded: random functions, every input in turn,
# checked against finite differences.
### BEGIN HIDDEN TESTS
@@include random_graphs
for seed in range(8):
    xs, program = _random_program(seed)
    nodes = _build(xs, program)
    orders = {x: _reachable_in_creation_order(nodes, x) for x in nodes[:3]}
    with known_orders(orders):
        for i in (0, 1, 2, 1, 0):
            forward(nodes[i])
            expected = _numeric_tangents(xs, program, i)
            for k, node in enumerate(nodes):
                if node in orders[nodes[i]]:
                    assert _near(node.partial_derivative, expected[k]), f"seed {seed}, x{i + 1}: node {k}"
### END HIDDEN TESTS
