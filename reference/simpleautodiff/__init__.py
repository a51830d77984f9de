"""simpleautodiff: automatic differentiation from first principles.

A minimal system following Fang, Lin, Liu and Lin, *A Step-by-step Introduction to the
Implementation of Automatic Differentiation* (arXiv 2402.16020): evaluating a function
builds its computational graph; a topological order of the graph gives forward mode;
the reverse order gives reverse mode (backprop).

    >>> from simpleautodiff import Node, log, mul, sin, add, sub, forward
    >>> x1, x2 = Node(2.0, name="x1"), Node(5.0, name="x2")
    >>> y = sub(add(log(x1), mul(x1, x2)), sin(x2))
    >>> forward(x1); round(y.partial_derivative, 6)
    5.5
"""

from .draw import to_dot, write_svg
from .forward_mode import forward
from .node import Node, as_node
from .order import reverse_topological_order, topological_order
from .primitives import add, cos, div, exp, log, mul, neg, power, primitive, sin, sub
from .reverse_mode import backward, grad
from .tape import Tape
from .trace import adjoint_trace, evaluation_trace, tangent_trace

__all__ = [
    "Node",
    "Tape",
    "add",
    "adjoint_trace",
    "as_node",
    "backward",
    "cos",
    "div",
    "evaluation_trace",
    "exp",
    "forward",
    "grad",
    "log",
    "mul",
    "neg",
    "power",
    "primitive",
    "reverse_topological_order",
    "sin",
    "sub",
    "tangent_trace",
    "to_dot",
    "topological_order",
    "write_svg",
]
