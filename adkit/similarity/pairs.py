"""Every pair of students, scored: the share of each one's code found in the other's."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from adkit.similarity.students import Student
from adkit.similarity.winnow import Fingerprints, boilerplate_hashes, compare, fingerprint


@dataclass(frozen=True)
class Pair:
    """Two students and how much of their code the other has (0 to 1 each).

    `score` is the mean of the two shares (like JPlag's average similarity): one student's
    small copied part in a large program scores lower than a whole program copied.
    """

    a: str
    b: str
    share_a: float
    share_b: float
    tokens: int  # tokens matched, the larger of the two sides

    @property
    def score(self) -> float:
        return (self.share_a + self.share_b) / 2


def fingerprints(students: list[Student], given: list[str]) -> dict[str, Fingerprints]:
    """Each student's fingerprints, the given code (`given`, the skeleton) left out."""
    boilerplate = boilerplate_hashes(given)
    return {s.student_id: fingerprint(s.segments, boilerplate) for s in students}


def all_pairs(prints: dict[str, Fingerprints]) -> list[Pair]:
    """Every pair of students, the most similar first (then by ids). Pairs keep no
    fingerprints (a cohort has many pairs): the page finds the shown ones' again."""
    counted = {sid: max(p.counted, 1) for sid, p in prints.items()}
    found = []
    for a, b in itertools.combinations(sorted(prints), 2):
        match = compare(prints[a], prints[b])
        if match is None:
            found.append(Pair(a, b, 0.0, 0.0, 0))
            continue
        found.append(Pair(a, b, match.tokens_a / counted[a], match.tokens_b / counted[b],
                          max(match.tokens_a, match.tokens_b)))
    found.sort(key=lambda p: (-p.score, p.a, p.b))
    return found
