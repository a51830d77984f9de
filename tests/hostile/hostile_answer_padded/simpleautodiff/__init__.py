"""A correct package whose grad(f) answers are padded to more than 60 MB of valid JSON.

Each reply holding derivatives of grad(f) carries the right ones followed, in its first
answer, by 5,000,000 more numbers (65 MB: under the sandbox's former 64 MiB cap, so a
grader without a bound per question reads, decodes and judges it all, call after call).
The grader must stop reading at what the question can need (a few KiB), never decode or
judge the padding: operators loses (its grad tests), full marks elsewhere, and what was
read of each reply stays below a bound (max_reply_bytes).
"""

from . import _forge
from ._correct import *  # noqa: F403

_PAD = ",0.1234567891" * 5_000_000


def _lie(results, encode):
    if not any(type(r) is dict and "grad" in r for r in results):
        return None
    texts = []
    for r in results:
        text = encode(r)
        if type(r) is dict and r.get("grad") and len(texts) == 0:  # 65 MB per reply
            text = text[:-2] + _PAD + "]}"
        texts.append(text)
    return texts


_forge.install(_lie)
