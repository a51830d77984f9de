"""simpleautodiff, tape first: every node writes itself on the open tapes, both modes
are memoised sums, and the operators come from a table of dunder names."""

from .core import Node, Tape
from .derivatives import backward, forward, grad
from .orders import reverse_topological_order, topological_order
from .primitives import add, cos, div, exp, log, mul, neg, power, primitive, sin, sub

__all__ = [
    "Node", "Tape", "add", "backward", "cos", "div", "exp", "forward", "grad", "log",
    "mul", "neg", "power", "primitive", "reverse_topological_order", "sin", "sub",
    "topological_order",
]
