"""A correct package whose replies carry integers of 400 digits where numbers belong.

Each derivative grad(f) returns, and the first index of each tape.nodes answer, goes on
the channel as 10**400 - 1 (a JSON integer): float() of it overflows. It lied in the
operators task (grad) and the tape task only: zero for those answers, full marks elsewhere,
and never a grader error.
"""

from . import _forge
from ._correct import *  # noqa: F403

BIG = "9" * 400


def _lie(results, encode):
    if not any(type(r) is dict and ("grad" in r or "recorded" in r) for r in results):
        return None
    texts = []
    for r in results:
        if type(r) is dict and r.get("grad"):
            r = dict(r, grad=["BIG"] + r["grad"][1:])
        elif type(r) is dict and r.get("recorded"):
            r = dict(r, recorded=["BIG"] + r["recorded"][1:])
        texts.append(encode(r).replace('"BIG"', BIG))
    return texts


_forge.install(_lie)
