"""Points by kind of behaviour: a hidden test's points are split evenly over the kinds of
behaviour it checks, and a kind's share is earned when every case of that kind passes.

So an algorithm wrong on one kind (a breadth-first order where paths of different lengths
meet) loses that kind's points every time, however few cases of that kind random draws
would hold, and the split is the same for every student (docs/grading.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from adkit.grade.builders import FIXED
from adkit.grade.verdicts import Judge
from adkit.model import programs
from adkit.model.messages import cause_of
from adkit.model.scenarios import Program

# The hand-picked graphs of builders.FIXED, by the kind each shows: x*x and x-x; a
# diamond and fan-out.
_FIXED_KINDS = {"repeated_inputs": FIXED[:2], "fan_out": FIXED[2:]}


def by_kind(judge: Judge, runs: dict[str, Callable[[Judge], None]]) -> None:
    """Run each kind's checks on a judge of its own; each kind is then one case of `judge`
    (all of its cases passed, or not), and its reasons are `judge`'s, named by the kind.
    An error already reported for an earlier kind is not repeated: its first report names
    the other kinds it failed."""
    first: dict[str, int] = {}  # cause -> its report in judge.problems
    again: dict[str, list[str]] = {}
    for kind, run in runs.items():
        part = Judge()
        # Shrink the first failing kind's example only: each shrink may take 2 s of the
        # test's time limit, which later kinds need to run at all, on any machine.
        part.shrink = judge.passed == judge.total
        run(part)
        judge.case(part.passed == part.total and not part.problems)
        judge.notes += [note for note in part.notes if note not in judge.notes]
        for problem in part.problems:
            cause = cause_of(problem)
            if cause is not None and cause in first:
                again.setdefault(cause, []).append(kind)
                continue
            if cause is not None:
                first[cause] = len(judge.problems)
            judge.problems.append(f"{kind[:1].upper()}{kind[1:]}: {problem}")
    for cause, kinds in again.items():
        judge.problems[first[cause]] += (" The same error failed these too: "
                                         + ", ".join(dict.fromkeys(kinds)) + ".")


def graphs(rng: random.Random, kinds: tuple[str, ...],
           names: tuple[str, ...] = programs.TAME) -> dict[str, list[Program]]:
    """The graphs of each kind (programs.KINDS), by the sentence a student reads; the hand-
    picked graphs of a kind come first."""
    out = {}
    for kind in kinds:
        sentence, make = programs.KINDS[kind]
        if kind == "random" and names is programs.TAME:
            names_here = None  # random functions draw from every primitive, as they did
        else:
            names_here = names
        made = make(rng, names_here)
        out[sentence] = [*_FIXED_KINDS.get(kind, []), *made]
    return out


def split(rng: random.Random, kinds: tuple[str, ...],
          check: Callable[[Judge, list[Program]], None],
          names: tuple[str, ...] = programs.TAME) -> dict[str, Callable[[Judge], None]]:
    """`by_kind`'s runs: `check(judge, programs)` on each kind's graphs."""
    return {sentence: (lambda j, cases=cases: check(j, cases))
            for sentence, cases in graphs(rng, kinds, names).items()}


def one(kind: str, cases: list[Program],
        check: Callable[[Judge, list[Program]], None]) -> dict[str, Callable[[Judge], None]]:
    """A single kind of behaviour (a test that checks one thing)."""
    return {kind: lambda j: check(j, cases)}
