"""`make similarity`'s pairs as data: OUT/similarity.csv written and read back.

adkit/similarity/ computes the pairs and writes them here; the report renders the pairs it
reads back (`read_similarity`), so the report is always made whole from stored data.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from adkit.model.text import escape_controls

CSV_HEADER = ["student_a", "student_b", "score", "share_a", "share_b", "matched_tokens",
              "above_threshold"]


@dataclass(frozen=True)
class SimilarPair:
    """One row of similarity.csv: two students, the pair's score and each one's share (in
    percent), the tokens matched, and whether the pair reached the threshold."""

    a: str
    b: str
    score: float
    share_a: float
    share_b: float
    tokens: int
    above: bool


@dataclass(frozen=True)
class Similarity:
    """similarity.csv as read: its pairs and when it was written (seconds since the epoch),
    or, when it could not be read, why (`problem`) and no pairs."""

    pairs: list[SimilarPair]
    written: float = 0.0
    problem: str = ""
    name: str = "similarity.csv"


def similarity_csv(pairs: Sequence[SimilarPair]) -> str:
    """Every pair, in the order given; scores and shares in percent to 0.1."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for p in pairs:
        writer.writerow([escape_controls(p.a, keep_newlines=False),
                         escape_controls(p.b, keep_newlines=False), f"{p.score:.1f}",
                         f"{p.share_a:.1f}", f"{p.share_b:.1f}", p.tokens, int(p.above)])
    return buffer.getvalue()


def read_similarity(folder: Path) -> Similarity | None:
    """The pairs of `folder`/similarity.csv, None when there is none, or a Similarity that
    says why the file could not be read."""
    path = Path(folder) / "similarity.csv"
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
            written = os.fstat(handle.fileno()).st_mtime
        pairs = [SimilarPair(r["student_a"], r["student_b"], float(r["score"]),
                             float(r["share_a"]), float(r["share_b"]),
                             int(r["matched_tokens"]), r["above_threshold"] == "1")
                 for r in rows]
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, csv.Error, KeyError, TypeError, ValueError) as error:
        return Similarity([], problem=type(error).__name__)
    return Similarity(pairs, written)
