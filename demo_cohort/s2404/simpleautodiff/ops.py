"""The primitive wrapper and every primitive defined through it."""

from __future__ import annotations

import math

from .node import Node, constant


def primitive(function, *partials, name=None):
    """function(*values) is the value; partials[i](*values) is d/d argument i."""
    label = name or function.__name__

    def make_node(*args):
        if len(args) != len(partials):
            raise TypeError(f"{label}() takes {len(partials)} arguments ({len(args)} given)")
        parents = [constant(a) for a in args]
        values = [p.value for p in parents]
        node = Node(function(*values), parents, label)
        node.grad_wrt_parents = [float(d(*values)) for d in partials]
        for p in parents:
            p.child_nodes.append(node)
        return node

    make_node.__name__ = label
    return make_node


def _add(a, b):
    return a + b


def _sub(a, b):
    return a - b


def _mul(a, b):
    return a * b


def _div(a, b):
    return a / b


def _neg(a):
    return -a


add = primitive(_add, lambda a, b: 1.0, lambda a, b: 1.0, name="add")
sub = primitive(_sub, lambda a, b: 1.0, lambda a, b: -1.0, name="sub")
mul = primitive(_mul, lambda a, b: b, lambda a, b: a, name="mul")
div = primitive(_div, lambda a, b: 1 / b, lambda a, b: -a / b**2, name="div")
neg = primitive(_neg, lambda a: -1.0, name="neg")
log = primitive(math.log, lambda a: 1 / a, name="log")
exp = primitive(math.exp, math.exp, name="exp")
sin = primitive(math.sin, math.cos, name="sin")
cos = primitive(math.cos, lambda a: -math.sin(a), name="cos")


def power(a, p):
    if isinstance(p, Node):
        raise TypeError("the exponent of power() must be a number")
    p = float(p)
    return primitive(lambda x: x**p, lambda x: p * x ** (p - 1), name="power")(a)
