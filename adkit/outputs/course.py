"""The course's policy for one assignment, declared once in a course file (docs/policy.md):
the due date with its time zone, the late penalty, and the CSVs of extensions, overrides
and submission times; where the grades go back (Canvas, Moodle).

The course file is `course/policy.toml` at the kit's root, or the file named by
ADKIT_COURSE_POLICY (`make grade POLICY=...`), or `--policy` of `python -m adkit.outputs`.
It lives apart from `graders/`: every file there is an input of grading, and a change of
policy must never regrade code. Every key is checked; an unknown one is an error.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from adkit.outputs.tables import PolicyError, close, local_time, read_text

KIT = Path(__file__).resolve().parents[2]
DEFAULT = KIT / "course" / "policy.toml"
VARIABLE = "ADKIT_COURSE_POLICY"

# Each table's keys: (type, required). Anything else in the file is an error.
TABLES: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "due": {"date": (str, True), "timezone": (str, True), "grace_minutes": ((int, float), False)},
    "late": {"penalty_percent": ((int, float), True), "per": (str, True),
             "cap_percent": ((int, float), False)},
    "files": {"extensions": (str, False), "overrides": (str, False),
              "submission_times": (str, False)},
    "canvas": {"assignment": (str, True), "assignment_id": (int, True), "export": (str, False)},
    "moodle": {"worksheet": (str, False), "grade_item": (str, False)},
}
UNITS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}


@dataclass(frozen=True)
class Late:
    """`percent` of the points earned taken off per started `per` (day or hour) after the
    due date, at most `cap` percent."""

    percent: float
    per: str
    cap: float

    def taken(self, late: timedelta) -> float:
        """The percent taken off for handing in `late` after the due date (past the grace)."""
        unit = UNITS[self.per]
        started = -(-late // unit)  # each started day (hour) counts
        return min(self.cap, started * self.percent)

    def words(self) -> str:
        capped = f", capped at {self.cap:g}%" if self.cap < 100 else ""
        return f"{self.percent:g}% per started {self.per}{capped}"


@dataclass(frozen=True)
class Canvas:
    assignment: str
    assignment_id: int
    export: Path | None  # Canvas's own gradebook export, to fill in


@dataclass(frozen=True)
class Moodle:
    worksheet: Path | None  # the assignment's own "grading worksheet", to fill in
    grade_item: str | None  # the gradebook's item, for "Import grades from CSV"


@dataclass(frozen=True)
class Course:
    """One assignment's policy, as the course file declares it (see the module's doc)."""

    path: Path
    due: datetime | None = None
    zone: ZoneInfo | None = None
    grace: timedelta = timedelta(0)
    late: Late | None = None
    extensions: Path | None = None
    overrides: Path | None = None
    submission_times: Path | None = None
    canvas: Canvas | None = None
    moodle: Moodle | None = None

    def when(self, moment: datetime) -> str:
        """A moment as the course reads it: `2026-10-15 23:59 Europe/Berlin`."""
        zone = self.zone or ZoneInfo("UTC")
        return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


def course_file(given: Path | None = None) -> Path | None:
    """The course file in use: `given`, else ADKIT_COURSE_POLICY's, else course/policy.toml
    when it exists, else None (no policy: raw scores are final)."""
    if given is not None:
        return Path(given)
    named = os.environ.get(VARIABLE, "").strip()
    if named:
        return Path(named)
    return DEFAULT if DEFAULT.is_file() else None


def load_course(path: Path) -> Course:
    """The course file at `path`, checked key by key; PolicyError says what is wrong."""
    text = read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{path}: not valid TOML ({error})") from None
    for table, value in data.items():
        if table not in TABLES:
            raise PolicyError(f"{_at(path, text, table)}: unknown table [{table}]"
                              f"{close(table, TABLES)}; the tables are "
                              f"{', '.join(f'[{t}]' for t in TABLES)}")
        if not isinstance(value, dict):
            raise PolicyError(f"{_at(path, text, table)}: {table} must be a table ([{table}])")
        _check(path, text, table, value)
    due, zone, grace = _due(path, text, data.get("due"))
    late = _late(path, text, data.get("late"))
    if late and not due:
        raise PolicyError(f"{path}: [late] needs a due date: add [due] with date and timezone")
    files = {k: _beside(path, v) for k, v in data.get("files", {}).items()}
    return Course(path, due, zone, grace, late, files.get("extensions"),
                  files.get("overrides"), files.get("submission_times"),
                  _canvas(path, data.get("canvas")), _moodle(path, data.get("moodle")))


def _check(path: Path, text: str, table: str, value: dict[str, Any]) -> None:
    keys = TABLES[table]
    for key, item in value.items():
        if key not in keys:
            raise PolicyError(f"{_at(path, text, key)}: unknown key {key} in [{table}]"
                              f"{close(key, keys)}; its keys are {', '.join(keys)}")
        kind = keys[key][0]
        if isinstance(item, bool) or not isinstance(item, kind):
            want = "a number" if kind == (int, float) else \
                "a whole number" if kind is int else "a quoted text"
            raise PolicyError(f"{_at(path, text, key)}: [{table}] {key} must be {want}")
    missing = [k for k, (_, required) in keys.items() if required and k not in value]
    if missing:
        raise PolicyError(f"{_at(path, text, table)}: [{table}] needs {', '.join(missing)}")


def _at(path: Path, text: str, key: str) -> str:
    """`file:line` of the first line that starts `key` (tomllib gives no lines)."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip().lstrip("[").strip()
        if stripped.startswith(key) and stripped[len(key):].lstrip()[:1] in ("=", "]"):
            return f"{path}:{number}"
    return str(path)


def _due(path: Path, text: str, due: dict[str, Any] | None,
         ) -> tuple[datetime | None, ZoneInfo | None, timedelta]:
    if due is None:
        return None, None, timedelta(0)
    name = due["timezone"]
    try:
        zone = ZoneInfo(name) if "/" in name or name == "UTC" else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None:
        raise PolicyError(f"{_at(path, text, 'timezone')}: unknown time zone {name!r}"
                          f"{close(name, available_timezones())}; write an IANA name such as "
                          "Europe/Berlin or America/New_York")
    moment = local_time(due["date"], zone, _at(path, text, "date"))
    grace = due.get("grace_minutes", 0)
    if grace < 0:
        raise PolicyError(f"{_at(path, text, 'grace_minutes')}: grace_minutes must be 0 or "
                          "more")
    return moment, zone, timedelta(minutes=grace)


def _late(path: Path, text: str, late: dict[str, Any] | None) -> Late | None:
    if late is None:
        return None
    if late["per"] not in UNITS:
        raise PolicyError(f"{_at(path, text, 'per')}: per = {late['per']!r}; write "
                          "per = \"day\" or per = \"hour\"")
    percent, cap = late["penalty_percent"], late.get("cap_percent", 100)
    for key, value in (("penalty_percent", percent), ("cap_percent", cap)):
        if not 0 <= value <= 100:
            raise PolicyError(f"{_at(path, text, key)}: {key} must be between 0 and 100")
    return Late(float(percent), late["per"], float(cap))


def _beside(path: Path, name: str) -> Path:
    """A file the course file names, relative to the course file."""
    return (path.parent / name) if not Path(name).is_absolute() else Path(name)


def _canvas(path: Path, canvas: dict[str, Any] | None) -> Canvas | None:
    if canvas is None:
        return None
    if canvas["assignment_id"] <= 0:
        raise PolicyError(f"{path}: [canvas] assignment_id must be the number in the "
                          "assignment's address (.../assignments/4242)")
    export = canvas.get("export")
    return Canvas(canvas["assignment"], canvas["assignment_id"],
                  _beside(path, export) if export else None)


def _moodle(path: Path, moodle: dict[str, Any] | None) -> Moodle | None:
    if moodle is None:
        return None
    sheet = moodle.get("worksheet")
    return Moodle(_beside(path, sheet) if sheet else None, moodle.get("grade_item"))
