"""Winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003), the algorithm of Stanford's MOSS.

A program becomes a list of normalized tokens (identifiers are all `V`, strings `S`, numbers
`N`; keywords and operators stay; comments and blank lines go), so renaming variables,
re-wording comments or re-spacing the code changes nothing. Every k tokens in a row (a
k-gram) get a hash; in each window of w consecutive hashes the smallest one is kept (the
rightmost on a tie): the fingerprints. Any copied run of k + w - 1 tokens or more shares at
least one fingerprint; runs shorter than k never match. Hashes that also occur in the
boilerplate (the skeleton's given code) are dropped.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

K = 15  # tokens in a k-gram: shorter common runs never count
W = 8  # hashes in a window: copied runs of K + W - 1 = 22 tokens are always found

_DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING_START = getattr(tokenize, "FSTRING_START", -1)  # Python 3.12 and later
_FSTRING = {getattr(tokenize, n) for n in ("FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}
# The rest of a file that tokenize rejects: words, numbers, one other character. Linear.
_FALLBACK = re.compile(r"[^\W\d]\w*|\d[\w.]*|\S")


@dataclass(frozen=True, slots=True)
class Token:
    """A normalized token and where it is in the document's text (character offsets)."""

    text: str
    start: int
    end: int


def _normal(kind: int, text: str) -> str | None:
    if kind in _DROPPED or kind in _FSTRING:
        return None
    if kind == tokenize.NAME:
        return text if keyword.iskeyword(text) else "V"
    if kind == tokenize.STRING or kind == _FSTRING_START:
        return "S"
    if kind == tokenize.NUMBER:
        return "N"
    if kind == tokenize.NEWLINE:
        return ";"
    if kind == tokenize.INDENT:
        return "{"
    if kind == tokenize.DEDENT:
        return "}"
    return text


def tokens(source: str, offset: int = 0) -> list[Token]:
    """The normalized tokens of the Python text `source`, at `offset` in a larger document.

    Text that does not tokenize (a syntax error, an unterminated string) is not an error:
    from where tokenize stopped, words and single characters are taken as tokens.
    """
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    found: list[Token] = []
    done = 0  # characters of `source` fully tokenized
    try:
        for kind, text, (row, col), (end_row, end_col), _ in tokenize.generate_tokens(
                io.StringIO(source).readline):
            start, end = starts[row - 1] + col, starts[end_row - 1] + end_col
            normal = _normal(kind, text)
            if normal is not None and kind not in (tokenize.INDENT, tokenize.DEDENT):
                found.append(Token(normal, offset + start, offset + end))
            elif normal is not None:  # no text of its own: mark where the line starts
                found.append(Token(normal, offset + end, offset + end))
            done = max(done, end)
    except (tokenize.TokenError, SyntaxError, ValueError):
        for match in _FALLBACK.finditer(source, done):
            word = match.group()
            normal = word if keyword.iskeyword(word) else \
                "V" if word[0].isalpha() or word[0] == "_" else "N" if word[0].isdigit() else word
            found.append(Token(normal, offset + match.start(), offset + match.end()))
    return found


def _token_id(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def kgram_hashes(found: list[Token], k: int = K) -> list[int]:
    """One hash per k-gram (the same on every run: no salted str hash)."""
    ids = [_token_id(t.text) for t in found]
    return [hash(tuple(ids[i:i + k])) for i in range(len(ids) - k + 1)]


def winnow(hashes: list[int], w: int = W) -> list[int]:
    """The positions of the hashes kept: the rightmost minimum of each window of `w`, each
    position once (robust winnowing)."""
    if len(hashes) <= w:
        return [hashes.index(min(hashes))] if hashes else []
    kept: list[int] = []
    for start in range(len(hashes) - w + 1):
        window = hashes[start:start + w]
        low = min(window)
        position = start + w - 1 - window[::-1].index(low)
        if not kept or kept[-1] != position:
            kept.append(position)
    return kept


@dataclass
class Fingerprints:
    """A document's tokens, and its fingerprints: hash -> the k-gram positions it was kept at."""

    found: list[Token]
    where: dict[int, list[int]] = field(default_factory=dict)
    k: int = K
    firsts: set[int] = field(default_factory=set)  # where each segment (file) starts

    @property
    def counted(self) -> int:
        """How many tokens the fingerprints cover (the denominator of a match's share)."""
        return _coverage([p for ps in self.where.values() for p in ps], self.k)


def _coverage(positions: list[int], k: int) -> int:
    """How many tokens the k-grams at `positions` cover together."""
    total, end = 0, -1
    for p in sorted(positions):
        stop = p + k
        if stop > end:
            total += k if p >= end else stop - end
            end = stop
    return total


def _covered(positions: Iterable[int], k: int) -> set[int]:
    return {p + i for p in positions for i in range(k)}


def fingerprint(segments: list[list[Token]], boilerplate: frozenset[int] = frozenset(),
                k: int = K, w: int = W) -> Fingerprints:
    """The winnowed fingerprints of a document made of `segments` (its files), without the
    hashes in `boilerplate`. No k-gram spans two segments: files joined in the same order
    would otherwise share k-grams at their seams."""
    result = Fingerprints([t for segment in segments for t in segment], k=k)
    base = 0
    for segment in segments:
        result.firsts.add(base)
        hashes = kgram_hashes(segment, k)
        for position in winnow(hashes, w):
            value = hashes[position]
            if value not in boilerplate:
                result.where.setdefault(value, []).append(base + position)
        base += len(segment)
    return result


def boilerplate_hashes(sources: Iterable[str], k: int = K) -> frozenset[int]:
    """Every k-gram hash of the given code (all of them, not only the winnowed ones, so that
    given code is discounted wherever a student's windows fall)."""
    return frozenset(h for text in sources for h in kgram_hashes(tokens(text), k))


@dataclass(frozen=True)
class Match:
    """What two documents share: their common fingerprints and the tokens these cover."""

    shared: frozenset[int]
    tokens_a: int
    tokens_b: int


def compare(a: Fingerprints, b: Fingerprints) -> Match | None:
    """The code `a` and `b` share (by their common fingerprints), or None."""
    if a.k != b.k:
        raise ValueError(f"fingerprints of different k ({a.k}, {b.k}) cannot be compared")
    shared = frozenset(a.where.keys() & b.where.keys())
    if not shared:
        return None
    return Match(shared, _coverage([p for h in shared for p in a.where[h]], a.k),
                 _coverage([p for h in shared for p in b.where[h]], b.k))


def spans(document: Fingerprints, shared: frozenset[int]) -> list[tuple[int, int]]:
    """The character ranges of `document` that the fingerprints `shared` cover: one range
    per run of consecutive covered tokens of one segment."""
    covered = _covered((p for h in shared for p in document.where.get(h, ())), document.k)
    found, ranges = document.found, []
    for i in sorted(covered):
        if ranges and (i - 1) in covered and i not in document.firsts:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], found[i].end))
        else:
            ranges.append((found[i].start, found[i].end))
    return ranges
