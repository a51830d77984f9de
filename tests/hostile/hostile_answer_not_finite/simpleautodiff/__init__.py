"""A correct package whose numbers after forward and backward calls are not finite.

In every answer holding numbers after calls (forward, backward, tape), the numbers go on
the channel as the JSON literals NaN, Infinity and -Infinity in turn, and every seventh
as a string ("0.5"). Wrong answers, explained as such: zero in forward_mode and
reverse_mode, tape loses (its tests of tape.nodes alone hold no numbers), full marks
elsewhere, never a grader error.
"""

from . import _forge
from ._correct import *  # noqa: F403

_WORDS = ("NaN", "Infinity", "-Infinity")


def _number(k):
    return '"0.5"' if k % 7 == 6 else _WORDS[k % 3]


def _lie(results, encode):
    if not any(type(r) is dict and r.get("after") for r in results):
        return None
    texts = []
    for r in results:
        if type(r) is dict and r.get("after"):
            lists = ["[" + ",".join(_number(k) for k in range(len(numbers))) + "]"
                     for numbers in r["after"]]
            rest = {k: v for k, v in r.items() if k != "after"}
            text = encode(rest)
            text = text[:-1] + ("," if len(rest) else "")
            texts.append(text + '"after":[' + ",".join(lists) + "]}")
        else:
            texts.append(encode(r))
    return texts


_forge.install(_lie)
