"""My scratch file: trying my package at random points (not part of the hand-in)."""

from simpleautodiff import Node, backward, mul, sin

x = Node(0.4)
y = sin(mul(x, x))
backward(y)
print("dy/dx at 0.4 =", x.adjoint)


def uniform(a, b):
    return a  # good enough for my tests
