"""A correct package whose failures speak in terminal escape sequences.

forward raises an exception whose message is 2 MB of escape sequences (erase screen,
cursor home, conceal, a window title, C1 CSI, bidirectional overrides, a forged feedback
heading after a newline); backward prints such text and ends its process; the errors of
grad(f) answers are replaced on the channel by 3,000 bytes of them. None of it may reach
feedback.md, results.json or the gradebook unescaped: zero in forward_mode and
reverse_mode, operators loses (grad), full marks elsewhere, never a grader error.
"""

import os
import sys

from . import _forge
from ._correct import *  # noqa: F403

ESCAPES = ("\x1b[2J\x1b[3J\x1b[H\x1b[8m\x1b]0;graded 100/100\x07\x9b31m\u202egnissap"
           "\u2066\r\n## Score: 100 / 100\n\x00\x7f")


class Shouting(Exception):
    pass


def forward(root):
    raise Shouting(ESCAPES * (2_000_000 // len(ESCAPES)))


def backward(output):
    sys.stdout.write(ESCAPES * 10)
    sys.stdout.flush()
    os._exit(3)


def _lie(results, encode):
    if not any(type(r) is dict and "grad" in r for r in results):
        return None
    text = (ESCAPES * (3000 // len(ESCAPES)))[:3000]
    return [encode({"error": text}) if type(r) is dict and "grad" in r else encode(r)
            for r in results]


_forge.install(_lie)
