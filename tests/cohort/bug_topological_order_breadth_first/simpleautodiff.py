"""simpleautodiff in one module: Kahn's algorithm (in-degree counting) for both orders.

A student's design, written from the contract: primitives written out one by one,
a forward pass that pulls tangents from parents, and a backward pass that pushes
adjoints to parents through a dict before copying them onto the nodes.
"""

from __future__ import annotations

import collections
import math

# Tapes recording right now; every new Node is appended to each of them.
_active_tapes: list = []


class Node:
    """A variable of the computation: input, constant or the result of a primitive."""

    def __init__(self, value, parent_nodes=None, operator="input", name=""):
        self.value = float(value)
        self.parent_nodes = parent_nodes if parent_nodes is not None else []
        self.child_nodes = []
        self.operator = operator
        self.grad_wrt_parents = []
        self.partial_derivative = 0.0
        self.adjoint = 0.0
        self.name = name
        for tape in _active_tapes:
            tape.nodes.append(self)

    def __repr__(self):
        return f"Node({self.value}, {self.operator})"

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __neg__(self):
        return neg(self)

    def __pow__(self, other):
        if isinstance(other, Node):
            return exp(mul(other, log(self)))
        return power(self, other)

    def __rpow__(self, other):
        # other ** self with a number other > 0
        return exp(mul(self, math.log(other)))


def _node(x):
    if isinstance(x, Node):
        return x
    return Node(x, operator="const")


def _link(value, parents, grads, operator):
    node = Node(value, parents, operator)
    node.grad_wrt_parents = grads
    for parent in parents:
        parent.child_nodes.append(node)
    return node


# ---- primitives, by hand -------------------------------------------------------------

def add(a, b):
    a, b = _node(a), _node(b)
    return _link(a.value + b.value, [a, b], [1.0, 1.0], "add")


def sub(a, b):
    a, b = _node(a), _node(b)
    return _link(a.value - b.value, [a, b], [1.0, -1.0], "sub")


def mul(a, b):
    a, b = _node(a), _node(b)
    return _link(a.value * b.value, [a, b], [b.value, a.value], "mul")


def div(a, b):
    a, b = _node(a), _node(b)
    return _link(a.value / b.value, [a, b],
                 [1.0 / b.value, -a.value / (b.value * b.value)], "div")


def neg(a):
    a = _node(a)
    return _link(-a.value, [a], [-1.0], "neg")


def log(a):
    a = _node(a)
    return _link(math.log(a.value), [a], [1.0 / a.value], "log")


def exp(a):
    a = _node(a)
    e = math.exp(a.value)
    return _link(e, [a], [e], "exp")


def sin(a):
    a = _node(a)
    return _link(math.sin(a.value), [a], [math.cos(a.value)], "sin")


def cos(a):
    a = _node(a)
    return _link(math.cos(a.value), [a], [-math.sin(a.value)], "cos")


def power(a, p):
    if isinstance(p, Node):
        raise TypeError("power(a, p) needs a number p")
    a = _node(a)
    p = float(p)
    return _link(a.value ** p, [a], [p * a.value ** (p - 1)], "power")


# ---- the wrapper ---------------------------------------------------------------------

def primitive(function, *partials, name=None):
    """Make a Node-level function from a float function and its partial derivatives."""
    op_name = name if name is not None else function.__name__

    def wrapped(*args):
        if len(args) != len(partials):
            raise TypeError(f"{op_name} expects {len(partials)} arguments, got {len(args)}")
        parents = [_node(a) for a in args]
        values = [p.value for p in parents]
        node = Node(function(*values), parents, op_name)
        node.grad_wrt_parents = [d(*values) for d in partials]
        for parent in parents:
            parent.child_nodes.append(node)
        return node

    wrapped.__name__ = op_name
    return wrapped


# ---- orders: Kahn's algorithm ------------------------------------------------------

def _kahn(start, edges):
    """Nodes reachable from start along `edges`, each after every predecessor (Kahn)."""
    # 1. the reachable part of the graph
    reachable = {id(start): start}
    todo = [start]
    while todo:
        node = todo.pop()
        for nxt in getattr(node, edges):
            if id(nxt) not in reachable:
                reachable[id(nxt)] = nxt
                todo.append(nxt)
    # 2. in-degrees inside it, counting every edge (x*x has two edges x -> v)
    indegree = dict.fromkeys(reachable, 0)
    for node in reachable.values():
        for nxt in getattr(node, edges):
            indegree[id(nxt)] += 1
    # 3. peel off nodes whose in-degree dropped to zero
    order = []
    ready = [start]
    while ready:
        node = ready.pop()
        order.append(node)
        for nxt in getattr(node, edges):
            if id(nxt) not in indegree:
                continue
            indegree[id(nxt)] -= 1
            if indegree[id(nxt)] == 0:
                ready.append(nxt)
    return order


def topological_order(root):
    # Breadth-first: each node once, in the order it is first reached. Wrong wherever two
    # paths of different lengths meet (the node is listed before its longer path's end).
    order, seen, queue = [], {id(root)}, collections.deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for child in node.child_nodes:
            if id(child) not in seen:
                seen.add(id(child))
                queue.append(child)
    return order


def reverse_topological_order(output):
    return _kahn(output, "parent_nodes")


# ---- forward and reverse mode ------------------------------------------------------

def forward(root):
    order = topological_order(root)
    tangent = {id(root): 1.0}
    for node in order[1:]:
        total = 0.0
        for parent, g in zip(node.parent_nodes, node.grad_wrt_parents):
            total += g * tangent.get(id(parent), 0.0)
        tangent[id(node)] = total
    for node in order:
        node.partial_derivative = tangent[id(node)]


def backward(output):
    order = reverse_topological_order(output)
    adjoints = {id(output): 1.0}
    for node in order:
        a = adjoints.get(id(node), 0.0)
        for parent, g in zip(node.parent_nodes, node.grad_wrt_parents):
            adjoints[id(parent)] = adjoints.get(id(parent), 0.0) + a * g
    for node in order:
        node.adjoint = adjoints.get(id(node), 0.0)


def grad(f):
    def gradient(*xs):
        inputs = [Node(x) for x in xs]
        out = f(*inputs)
        if not isinstance(out, Node):
            return tuple(0.0 for _ in inputs)
        backward(out)
        return tuple(x.adjoint for x in inputs)

    return gradient


# ---- the tape ------------------------------------------------------------------------

class Tape:
    def __init__(self):
        self.nodes = []

    def __enter__(self):
        _active_tapes.append(self)
        return self

    def __exit__(self, *exc):
        _active_tapes.remove(self)
        return False

    def forward(self, root):
        tangent = {id(root): 1.0}
        for node in self.nodes:
            if node is root:
                continue
            total = 0.0
            for parent, g in zip(node.parent_nodes, node.grad_wrt_parents):
                total += g * tangent.get(id(parent), 0.0)
            tangent[id(node)] = total
        root.partial_derivative = 1.0
        for node in self.nodes:
            node.partial_derivative = tangent[id(node)]

    def backward(self, output):
        adjoints = {id(output): 1.0}
        seen_output = False
        for node in reversed(self.nodes):
            if node is output:
                seen_output = True
            if not seen_output:  # created after output: output does not depend on it
                continue
            a = adjoints.get(id(node), 0.0)
            for parent, g in zip(node.parent_nodes, node.grad_wrt_parents):
                adjoints[id(parent)] = adjoints.get(id(parent), 0.0) + a * g
        output.adjoint = 1.0
        for node in self.nodes:
            node.adjoint = adjoints.get(id(node), 0.0)
        # inputs made before the tape started still receive their adjoints
        for node in self.nodes:
            for parent in node.parent_nodes:
                if id(parent) in adjoints:
                    parent.adjoint = adjoints[id(parent)]
