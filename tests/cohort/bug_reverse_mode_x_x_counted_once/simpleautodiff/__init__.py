"""simpleautodiff as a package of small modules, with pull-style reverse mode."""

from .graph import reverse_topological_order, topological_order
from .modes import backward, forward, grad
from .node import Node
from .ops import add, cos, div, exp, log, mul, neg, power, primitive, sin, sub
from .tape import Tape

__all__ = [
    "Node", "Tape", "add", "backward", "cos", "div", "exp", "forward", "grad", "log",
    "mul", "neg", "power", "primitive", "reverse_topological_order", "sin", "sub",
    "topological_order",
]
