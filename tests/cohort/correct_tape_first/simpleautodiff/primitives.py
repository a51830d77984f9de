"""Primitives from one table of (value, partials) rules, and the Node operators from a
table of dunder names."""

from __future__ import annotations

import math

from .core import Node


def _lift(x):
    return x if isinstance(x, Node) else Node(x, operator="const")


def primitive(function, *partials, name=None):
    op = name or function.__name__

    def apply(*args):
        if len(args) != len(partials):
            raise TypeError(f"{op} needs {len(partials)} argument(s), got {len(args)}")
        parents = [_lift(a) for a in args]
        xs = [p.value for p in parents]
        node = Node(function(*xs), parents, op)
        node.grad_wrt_parents = [d(*xs) for d in partials]
        for p in parents:
            p.child_nodes.append(node)
        return node

    apply.__name__ = op
    return apply


RULES = {
    "add": (lambda a, b: a + b, lambda a, b: 1.0, lambda a, b: 1.0),
    "sub": (lambda a, b: a - b, lambda a, b: 1.0, lambda a, b: -1.0),
    "mul": (lambda a, b: a * b, lambda a, b: b, lambda a, b: a),
    "div": (lambda a, b: a / b, lambda a, b: 1.0 / b, lambda a, b: -a / (b * b)),
    "neg": (lambda a: -a, lambda a: -1.0),
    "log": (math.log, lambda a: 1.0 / a),
    "exp": (math.exp, math.exp),
    "sin": (math.sin, math.cos),
    "cos": (math.cos, lambda a: -math.sin(a)),
}
_made = {op: primitive(rule[0], *rule[1:], name=op) for op, rule in RULES.items()}
add, sub, mul, div = _made["add"], _made["sub"], _made["mul"], _made["div"]
neg, log, exp, sin, cos = _made["neg"], _made["log"], _made["exp"], _made["sin"], _made["cos"]


def power(a, p):
    if isinstance(p, Node):
        raise TypeError("power(a, p): p must be a number, not a Node")
    p = float(p)
    return primitive(lambda x: x**p, lambda x: p * x ** (p - 1), name="power")(a)


def _pow(self, other):
    if isinstance(other, Node):
        return exp(mul(other, log(self)))
    return power(self, other)


def _rpow(self, other):
    return exp(mul(self, log(other)))


# dunder name -> function(self, other); the reflected ones swap their arguments
DUNDERS = {
    "__add__": lambda s, o: add(s, o),
    "__radd__": lambda s, o: add(o, s),
    "__sub__": lambda s, o: sub(s, o),
    "__rsub__": lambda s, o: sub(o, s),
    "__mul__": lambda s, o: mul(s, o),
    "__rmul__": lambda s, o: mul(o, s),
    "__truediv__": lambda s, o: div(s, o),
    "__rtruediv__": lambda s, o: div(o, s),
    "__pow__": _pow,
    "__rpow__": _rpow,
    "__neg__": lambda s: neg(s),
}
for _dunder, _method in DUNDERS.items():
    setattr(Node, _dunder, _method)
