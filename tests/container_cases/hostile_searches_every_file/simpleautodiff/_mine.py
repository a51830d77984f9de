"""My own work: only Node and mul are done so far."""



class Node:
    def __init__(self, value, parent_nodes=None, operator="input", name=""):
        self.value = float(value)
        self.parent_nodes = parent_nodes if parent_nodes is not None else []
        self.child_nodes = []
        self.operator = operator
        self.grad_wrt_parents = []
        self.partial_derivative = 0.0
        self.adjoint = 0.0
        self.name = name


def mul(a, b):
    node = Node(a.value * b.value, [a, b], "mul")
    node.grad_wrt_parents = [b.value, a.value]
    a.child_nodes.append(node)
    b.child_nodes.append(node)
    return node


def _todo(*args, **kwargs):
    raise NotImplementedError("not done yet")


add = sub = div = neg = log = exp = sin = cos = power = _todo
topological_order = reverse_topological_order = forward = backward = _todo


def primitive(function, *partials, name=None):
    return _todo


def grad(f):
    return _todo


class Tape:
    def __init__(self):
        self.nodes = []

    def __enter__(self):
        raise NotImplementedError("not done yet")

    def __exit__(self, *exc):
        return False

    forward = backward = _todo
