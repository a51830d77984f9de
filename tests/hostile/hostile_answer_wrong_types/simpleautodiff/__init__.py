"""A correct package whose orders come back as anything but node indices.

Every reply holding an order is rewritten, a different way each call: its indices as
booleans, as strings, as one-item lists, as floats; the order key twice (an empty order
first, the right one last: a parser that keeps the last key sees an honest answer); the
order nested 100,000 lists deep. Orders alone lie: zero in topological_order, full marks
elsewhere, and never a grader error.
"""

from . import _forge
from ._correct import *  # noqa: F403

_calls = []


def _indices(order):
    if type(order) is dict:  # a long order travels packed: send a long list instead
        return list(range(1000))
    return order


def _lie(results, encode):
    if not any(type(r) is dict and "order" in r for r in results):
        return None
    _calls.append(1)
    way = len(_calls) % 6
    texts = []
    for r in results:
        if type(r) is not dict or "order" not in r:
            texts.append(encode(r))
            continue
        order = _indices(r["order"])
        if way == 0:
            texts.append(encode({"order": [i % 2 == 0 for i in order]}))
        elif way == 1:
            texts.append(encode({"order": [str(i) for i in order]}))
        elif way == 2:
            texts.append(encode({"order": [[i] for i in order]}))
        elif way == 3:
            texts.append(encode({"order": [float(i) for i in order]}))
        elif way == 4:
            texts.append('{"order":[],' + encode(r)[1:])
        else:
            texts.append('{"order":' + "[" * 100_000 + "]" * 100_000 + "}")
    return texts


_forge.install(_lie)
