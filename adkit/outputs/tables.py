"""The teaching assistants' CSV files (extensions, overrides, submission times, an LMS's own
export), read strictly: every bad row stops with `file:line: what is wrong; what to write
instead`, never a traceback and never a silent default. Also the course's time stamps."""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from adkit.model.text import shown

MOST_BYTES = 8 * 1024 * 1024  # a course's CSV (a Canvas export of 2,000 students is ~1 MB)


class PolicyError(ValueError):
    """A course file or one of its CSVs is wrong: the message says where, what, and what to
    write instead."""


@dataclass(frozen=True)
class Row:
    """One row of a CSV: its line number and its cells by (lower-case) column name."""

    line: int
    cells: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")


def where(path: Path, line: int | None = None) -> str:
    """`file:line` as shown in every message."""
    return f"{path}:{line}" if line else str(path)


def read_text(path: Path) -> str:
    """A course file's text (UTF-8, a BOM allowed: Excel writes one), at most MOST_BYTES."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MOST_BYTES + 1)
    except FileNotFoundError:
        raise PolicyError(f"{path}: no such file (the course file names it; create it or "
                          "remove its line from the course file)") from None
    except OSError as error:
        raise PolicyError(f"{path}: cannot be read ({error.strerror})") from None
    if len(data) > MOST_BYTES:
        raise PolicyError(f"{path}: larger than {MOST_BYTES // 2**20} MiB: not a course file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise PolicyError(f"{where(path, line)}: not UTF-8 text; save the file as "
                          "\"CSV UTF-8\"") from None


def read_rows(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> list[Row]:
    """The rows of the CSV at `path`, whose header names every `required` column and no
    column outside `required` and `optional` (names compared without case and spaces)."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    try:
        header = [_name(c) for c in next(reader, [])]
        if not any(header):
            raise PolicyError(f"{where(path, 1)}: no header; the first line must be "
                              f"{','.join(required)}")
        known = [*required, *optional]
        for name in header:
            if name not in known:
                raise PolicyError(f"{where(path, 1)}: unknown column {shown(name, 60, True)!r}"
                                  f"{close(name, known)}; the columns are "
                                  f"{', '.join(known)}")
        missing = [c for c in required if c not in header]
        if missing:
            raise PolicyError(f"{where(path, 1)}: no column {', '.join(missing)}; the first "
                              f"line must name {', '.join(required)}")
        if len(set(header)) != len(header):
            raise PolicyError(f"{where(path, 1)}: a column is named twice")
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) != len(header):
                raise PolicyError(f"{where(path, reader.line_num)}: {len(cells)} cells, the "
                                  f"header has {len(header)} ({','.join(header)}); quote a "
                                  "cell that holds a comma")
            rows.append(Row(reader.line_num, {h: c.strip() for h, c in zip(header, cells)}))
    except csv.Error as error:
        raise PolicyError(f"{where(path, reader.line_num)}: not valid CSV ({error})") from None
    return rows


def read_cells(path: Path) -> list[list[str]]:
    """Every row of an LMS's own CSV (its export, its worksheet), as it wrote them."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    try:
        return list(reader)
    except csv.Error as error:
        raise PolicyError(f"{where(path, reader.line_num)}: not valid CSV ({error}); "
                          "download the file again") from None


def _name(column: str) -> str:
    return re.sub(r"[\s-]+", "_", column.strip().lower())


def close(word: str, known: Collection[str]) -> str:
    """`: did you mean X?` for the known word closest to `word`, or ""."""
    found = difflib.get_close_matches(word, list(known), 1, 0.6) or \
        [k for k in sorted(known) if len(word) >= 3 and k.startswith(word)][:1]
    return f" (did you mean {found[0]}?)" if found else ""


def student_of(row: Row, path: Path, known: Collection[str]) -> str:
    """The row's student id, which must be one of `known` (the cohort's)."""
    sid = row["student"]
    if not sid:
        raise PolicyError(f"{where(path, row.line)}: no student id; write the id as in "
                          "gradebook.csv's first column")
    if sid not in known:
        raise PolicyError(f"{where(path, row.line)}: no student {shown(sid, 80, True)!r} in "
                          f"this cohort{close(sid, known)}; write the id as in gradebook.csv's "
                          "first column")
    return sid


def number(text: str, path: Path, line: int, what: str, example: str) -> float:
    """A finite number written in a cell."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise PolicyError(f"{where(path, line)}: {what} {shown(text, 40, True)!r} is not a "
                          f"number; write e.g. {example}")
    return value


_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")


def local_time(text: str, zone: ZoneInfo, place: str) -> datetime:
    """A wall-clock time at the course (`2026-10-15 23:59`), in `zone`. A time that does not
    exist there (the hour skipped when clocks go forward) or happens twice (the hour repeated
    when they go back) is refused: which one was meant cannot be guessed."""
    if not _LOCAL.fullmatch(text):
        raise PolicyError(f"{place}: {shown(text, 40, True)!r} is not a date and time; write "
                          f"e.g. 2026-10-15 23:59 (the course's local time, {zone.key})")
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise PolicyError(f"{place}: {text!r} is not a real date; write e.g. "
                          "2026-10-15 23:59") from None
    early, late = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        back = early.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
        if back != naive:
            raise PolicyError(f"{place}: {text} does not exist in {zone.key} (the clocks "
                              "skip that hour); write a time outside it")
        raise PolicyError(f"{place}: {text} happens twice in {zone.key} (the clocks go back "
                          "that hour); write a time outside it")
    return early


def instant(text: str, place: str) -> datetime:
    """A moment written with its UTC offset (`2026-10-15T23:59:00+02:00`, or `...Z`)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise PolicyError(f"{place}: {shown(text, 40, True)!r} is not a time with its UTC "
                          "offset; write e.g. 2026-10-15T23:59:00+02:00 or "
                          "2026-10-15T21:59:00Z")
    return moment


def duration(delta: timedelta) -> str:
    """`26 h 5 min`, `3 min`, `2 days 4 h` for a lateness."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days >= 2:
        parts.append(f"{days} days")
        mins = 0
    else:
        hours += 24 * days
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return " ".join(parts)
