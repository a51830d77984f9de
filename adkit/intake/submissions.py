"""Finding the students in SUBMISSIONS (a folder or a cohort's archive), and their code.

Entries are student folders, a student's archive (`s1.zip`), or the files and folders of
Canvas's and Moodle's bulk downloads (adkit/intake/lms.py); archives are unpacked safely
(adkit/intake/archives.py) into a private folder.

A folder's name is its student id, and names the student's files in OUT, so only names of a
safe shape are used, and none that could be confused with the kit's own outputs. Student
folders are never followed through symbolic links; their files are read only through a
capped copy (adkit/intake/staging.py).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import stat
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from adkit.intake import archives
from adkit.intake.lms import Named, named
from adkit.intake.staging import (
    MAX_DEPTH,
    MAX_FILES,
    NOTEBOOK_BYTES,
    TOTAL_BYTES,
    NoRoom,
    UnsafeFile,
    no_room,
    open_folder,
    read_file,
    remove_partial,
    shown,
    stage,
)

# Linear (no nested repetition) and applied to names of at most a few hundred characters.
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")
RESERVED = frozenset({"gradebook.csv", "report.html"})  # OUT's own files
REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "simpleautodiff"


@dataclass(frozen=True)
class Submission:
    """A student: their id, the folder of their files, and the archive members refused while
    unpacking them (named in their feedback)."""

    student_id: str
    folder: Path
    refused: tuple[str, ...] = ()
    submitted_at: str | None = None  # ISO 8601 with its UTC offset, where the LMS said
    marked_late: bool | None = None  # the LMS's own late mark, where it gives one
    handed_in: str | None = None  # digest() when the run began (stored with the result)

    def code(self, staged: Path) -> tuple[Path | None, list[Path], str | None]:
        """(folder to import `simpleautodiff` from, notebooks, problem) for this student.

        `staged` is the safe copy of the student's folder (adkit.intake.staging.stage): it
        holds only regular files and folders, so plain Path calls are safe on it. The
        package may be a `simpleautodiff/` folder or one `simpleautodiff.py`, at the top,
        or its modules handed in loose (`__init__.py`, `node.py`, ...: an LMS upload without
        the folder), which are put into a `simpleautodiff/` folder of the copy; else the
        student's notebooks (*.ipynb) are graded.
        """
        if (staged / "simpleautodiff" / "__init__.py").is_file() or \
                (staged / "simpleautodiff.py").is_file():
            return staged, [], None
        if (staged / "simpleautodiff").is_dir():
            return staged, [], None  # a namespace package: let the import say what is wrong
        if _package_loose(staged):
            return staged, [], None
        notebooks = sorted(p for p in staged.rglob("*.ipynb") if p.is_file())
        if notebooks:
            return None, notebooks, None
        listing = sorted(shown(p.name, 40) for p in staged.iterdir())[:8]
        found = (f"; it holds {', '.join(listing)}" if listing else
                 "; nothing in it could be read (see the files left out below)"
                 if self.refused else "; it is empty")
        return None, [], (
            "no simpleautodiff package found: hand in a `simpleautodiff/` folder or a "
            "`simpleautodiff.py` file (or your notebooks) at the top of your submission"
            + found)

    def digest(self) -> str:
        """A fingerprint of everything handed in: every name, kind, size and content under
        the folder (links not followed), the files refused and the LMS's time and late
        mark. Any file added, changed, renamed or deleted changes it. Bounded like staging:
        content is read up to the caps, past them a file counts by its size and time."""
        digest = hashlib.sha256(repr((self.refused, self.submitted_at,
                                      self.marked_late)).encode())
        budget, seen = TOTAL_BYTES, 0
        stack = [("", str(self.folder))]
        while stack:
            relative, path = stack.pop()
            try:
                with os.scandir(path) as listing:
                    entries = sorted(itertools.islice(listing, 4 * MAX_FILES),
                                     key=lambda e: e.name)
            except OSError as error:
                digest.update(f"{relative}\0unreadable {error.errno}\0".encode())
                continue
            for entry in entries:
                seen += 1
                name = relative + entry.name
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if seen > 10 * MAX_FILES:
                    digest.update(f"{name}\0{time.time()}".encode())  # too many: changed
                    return digest.hexdigest()
                digest.update(f"{name}\0{stat.S_IFMT(info.st_mode)}\0{info.st_size}\0"
                              .encode("utf-8", "backslashreplace"))
                if stat.S_ISDIR(info.st_mode):
                    if name.count("/") < MAX_DEPTH:
                        stack.append((name + "/", entry.path))
                elif stat.S_ISREG(info.st_mode):
                    budget -= _hash_content(entry.path, info, budget, digest)
        return digest.hexdigest()

    def newest_change(self) -> float:
        """The latest modification time of anything in the submission (links not followed).

        The walk is bounded like staging is (depth, entries); a folder past the bounds
        counts as changed now, so it is regraded rather than the walk running for ever.
        """
        newest = os.lstat(self.folder).st_mtime
        stack, seen = [(str(self.folder), 0)], 0
        while stack:
            path, depth = stack.pop()
            with os.scandir(path) as listing:
                for entry in listing:
                    seen += 1
                    if seen > 10 * MAX_FILES or depth >= MAX_DEPTH:
                        return time.time()
                    info = entry.stat(follow_symlinks=False)
                    newest = max(newest, info.st_mtime)
                    if stat.S_ISDIR(info.st_mode):
                        stack.append((entry.path, depth + 1))
        return newest


def _hash_content(path: str, info: os.stat_result, budget: int, digest: Any) -> int:
    """Add a regular file's content to `digest` (its time when over the caps, or when it
    cannot be opened as a regular file); the bytes read."""
    if info.st_size <= min(NOTEBOOK_BYTES, budget):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    data = os.read(fd, info.st_size + 1)
                    digest.update(hashlib.sha256(data).digest())
                    return len(data)
            except OSError:
                pass
            finally:
                os.close(fd)
    digest.update(f"\0{info.st_mtime_ns}\0".encode())
    return 0


def package_modules() -> frozenset[str]:
    """The file names of the package's modules (`node.py`, `order.py`, ...): the
    reference's, so a module added there is known here too."""
    return frozenset(p.name for p in REFERENCE.glob("*.py"))


def _package_loose(staged: Path) -> bool:
    """Put the loose modules at the top of the copy `staged` into a `simpleautodiff/`
    folder when they are the package's (an `__init__.py` among them, or, without notebooks,
    a module named like one of the package's); whether it did."""
    loose = [p for p in staged.glob("*.py") if p.is_file()]
    names = {p.name for p in loose}
    notebooks = any(staged.rglob("*.ipynb"))
    if (staged / "simpleautodiff").exists() or not (
            "__init__.py" in names or (names & package_modules() and not notebooks)):
        return False
    package = staged / "simpleautodiff"
    package.mkdir()
    for path in loose:
        path.rename(package / path.name)
    return True


@dataclass(frozen=True)
class Skipped:
    """An entry of SUBMISSIONS that is not graded, and why (for the console and the report)."""

    name: str
    reason: str
    plain_file: bool = False  # a README or a spreadsheet beside the submissions


NOT_A_SUBMISSION = ("a file, not a student folder nor an archive (.zip, .tar, .tar.gz) named "
                    "by a student id or by Canvas's or Moodle's naming: not graded")


def _problem(name: str, mode: int) -> str | None:
    """Why the entry `name` cannot be a student folder, or None if it can."""
    if stat.S_ISLNK(mode):
        return "a symbolic link, not a folder (copy the student's folder in instead)"
    return _id_problem(name)


def _id_problem(name: str) -> str | None:
    if not STUDENT_ID.fullmatch(name):
        return ("not a usable student id (letters, digits and . _ @ + -, starting with a "
                "letter or digit, at most 128 characters): rename the folder")
    if name.lower() in RESERVED:
        return f"the name of the kit's own output OUT/{name.lower()}: rename the folder"
    return None


@dataclass(frozen=True)
class _Entry:
    """One entry of SUBMISSIONS, or of a bulk download in it, that belongs to a student."""

    path: Path
    name: str  # as shown in messages: `submissions.zip/smithjohn_12345_67890_graph.py`
    is_folder: bool
    lms: Named | None = None
    stamp: tuple[int, ...] | None = None  # its zip member's date and time, if from a zip
    source: str = ""  # the bulk download inside SUBMISSIONS it came from ("": none)


@dataclass
class _Scan:
    """What one scan of SUBMISSIONS collects."""

    unpacked: Path | None
    zone: tzinfo
    skipped: list[Skipped] = field(default_factory=list)
    students: dict[str, list[_Entry]] = field(default_factory=dict)
    stamps: dict[Path, tuple[int, ...]] = field(default_factory=dict)
    bulk: int = 0  # bulk downloads unpacked so far (each gets a folder of its own)
    opened: list[str] = field(default_factory=list)  # "NAME: N students", for the console


def scan_submissions(source: Path, unpacked: Path | None = None, zone: tzinfo = UTC,
                     opened: list[str] | None = None,
                     ) -> tuple[list[Submission], list[Skipped]]:
    """Every student (sorted by id) in the folder or cohort archive `source`, and every entry
    that is not graded, with why.

    Archives (a cohort's, a student's, a bulk download's, or one in a student's folder) are
    unpacked into `unpacked`, a private folder the caller removes; without it they are
    skipped. `zone`: the time zone a zip's member times are read in (zips carry none).
    Each bulk download found inside `source` is added to `opened` ("NAME: N students"), so
    that the run can say what it took as one (a student's archive shaped like one, too).
    """
    scan = _Scan(unpacked, zone)
    folder = Path(source)
    if not folder.is_dir():
        if unpacked is None or not archives.is_archive(folder.name):
            return [], [Skipped(shown(folder.name), "not a folder nor a zip or tar archive")]
        label = shown(folder.name)
        try:
            result = archives.unpack(folder, unpacked / ".cohort", archives.COHORT)
        except NoRoom as error:  # nobody can be graded: say why, grade nobody
            return [], [Skipped(label, error.reason.split(": a grader error")[0]
                                 + ": make room and run the command again")]
        scan.skipped += [Skipped(label, _sentence(why, label)) for why in result.refused]
        scan.stamps.update({result.folder / k: v for k, v in result.stamps.items()})
        folder = _inner(result.folder)
    _gather(folder, "", scan, nested=False)
    if opened is not None:
        opened += scan.opened
    found: dict[str, Submission] = {}
    for student_id, entries in sorted(scan.students.items()):
        entries = _one_source(student_id, entries, scan.skipped)
        if not entries:
            continue
        submission = _build(student_id, entries, scan)
        if isinstance(submission, str):
            scan.skipped += [Skipped(e.name, submission) for e in entries]
        else:
            found[student_id] = submission
    return _without_case_twins(found, scan.skipped)


def _one_source(student_id: str, entries: list[_Entry], skipped: list[Skipped],
                ) -> list[_Entry]:
    """The entries of `student_id` from one source only. A bulk download found inside
    SUBMISSIONS may be a student's own archive made to look like one, so its entries never
    join, nor replace, a student's entries from elsewhere: SUBMISSIONS' own entries win,
    and between two bulk downloads the TA chooses (both are named, neither is graded)."""
    sources = sorted({e.source for e in entries})
    if len(sources) == 1:
        return entries
    if "" in sources:
        kept = [e for e in entries if e.source == ""]
        skipped += [Skipped(e.name, f"also handed in for {student_id} outside {e.source}: "
                                    "not graded from here (the entries outside it are)")
                    for e in entries if e.source]
        return kept
    skipped += [Skipped(e.name, f"{student_id} is in more than one bulk download "
                                f"({', '.join(sources)}): keep one of them in SUBMISSIONS and "
                                "run the command again") for e in entries]
    return []


def _sentence(why: str, label: str) -> str:
    """A refusal of the cohort's own archive, without the archive's name in front."""
    return why.removeprefix(f"{label}: ")


def _gather(folder: Path, prefix: str, scan: _Scan, nested: bool) -> None:
    """The entries of `folder` into `scan.students` by student id; the others go to
    `scan.skipped`, with why. A bulk download found among them (not `nested` in one) is
    opened and its entries gathered the same way."""
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:  # gone since the listing
            continue
        name = prefix + shown(entry.name)
        if not nested and _bulk(Path(entry.path), mode, name, scan):
            continue
        owner = _owner(entry.name, mode)
        if isinstance(owner, Skipped):
            scan.skipped.append(Skipped(prefix + owner.name, owner.reason, owner.plain_file))
            continue
        is_folder = not stat.S_ISREG(mode)
        lms = named(entry.name, is_folder)
        scan.students.setdefault(owner[0], []).append(
            _Entry(Path(entry.path), name, is_folder, lms, scan.stamps.get(Path(entry.path)),
                   prefix.removesuffix("/")))


def _bulk(path: Path, mode: int, name: str, scan: _Scan) -> bool:
    """Whether the entry at `path` is an LMS bulk download (then its students are gathered,
    whatever the entry is called): a folder or an archive whose entries are named in
    Canvas's or Moodle's way, with no code of a student of its own."""
    if named(path.name, stat.S_ISDIR(mode)) is not None:
        return False
    if stat.S_ISDIR(mode):
        try:
            with os.scandir(path) as listing:
                tops = [(e.name, e.is_dir(follow_symlinks=False))
                        for e in itertools.islice(listing, 4 * MAX_FILES)]
        except OSError:
            return False
        if not is_bulk_download(tops):
            return False
        _gather_bulk(path, name, scan)
        return True
    if not (stat.S_ISREG(mode) and archives.is_archive(path.name) and scan.unpacked):
        return False
    tops = archives.top_entries(path)
    if not tops or not is_bulk_download(tops):
        return False
    scan.bulk += 1
    try:
        result = archives.unpack(path, scan.unpacked / f".bulk{scan.bulk}", archives.COHORT)
    except NoRoom as error:
        scan.skipped.append(Skipped(name, error.reason.split(": a grader error")[0]
                                    + ": make room and run the command again"))
        return True
    if result.files == 0 and len(result.refused) == 1 and "not a readable" in result.refused[0]:
        scan.skipped.append(Skipped(name, "a Canvas or Moodle bulk download that cannot be "
                                          "read (damaged or cut short): download it again "
                                          "and run the command again"))
        return True
    scan.skipped += [Skipped(name, _sentence(why, shown(path.name))) for why in result.refused]
    scan.stamps.update({result.folder / k: v for k, v in result.stamps.items()})
    _gather_bulk(_inner(result.folder), name, scan)
    return True


def _gather_bulk(folder: Path, name: str, scan: _Scan) -> None:
    before = {sid: len(entries) for sid, entries in scan.students.items()}
    _gather(folder, name + "/", scan, nested=True)
    students = [sid for sid, entries in scan.students.items()
                if len(entries) > before.get(sid, 0)]
    scan.opened.append(f"{name}: {len(students)} student(s)")


def is_bulk_download(tops: list[tuple[str, bool]]) -> bool:
    """Whether entries (name, is a folder) are those of a Canvas or Moodle bulk download:
    some named in its way, and none of the others a student's code."""
    lms = [named(n, d) is not None for n, d in tops]
    return any(lms) and not any(_is_code(n, d) for (n, d), own in zip(tops, lms) if not own)


def _is_code(name: str, is_folder: bool) -> bool:
    return name == "simpleautodiff" or (not is_folder and name.endswith((".py", ".ipynb")))


def _owner(name: str, mode: int) -> tuple[str, str] | Skipped:
    """(student id, the file's own name) for one entry of SUBMISSIONS, or why it is skipped."""
    is_folder = stat.S_ISDIR(mode) or stat.S_ISLNK(mode)
    lms = named(name, is_folder)
    if lms and lms.not_graded:
        return Skipped(shown(name), lms.not_graded)
    if is_folder:
        problem = _problem(lms.student_id if lms else name, mode)
        return Skipped(shown(name), problem) if problem else (lms.student_id if lms else name,
                                                              "")
    if not stat.S_ISREG(mode):
        return Skipped(shown(name), "not a file nor a folder (a FIFO, socket or device): not "
                                    "graded")
    owner = _file_owner(name, lms)
    if isinstance(owner, str):
        return Skipped(shown(name), owner, owner == NOT_A_SUBMISSION)
    return owner


def _file_owner(name: str, lms: Named | None) -> tuple[str, str] | str:
    """(student id, the file's own name) for a file at the top of SUBMISSIONS, or why not."""
    if lms:
        return _id_problem(lms.student_id) or (lms.student_id, lms.file)
    if archives.is_archive(name):
        student_id = archives.stem(name)
        problem = _id_problem(student_id)
        return problem.replace("rename the folder", "rename the archive") if problem \
            else (student_id, name)
    return NOT_A_SUBMISSION


@dataclass
class _Unit:
    """One version of a student's work: a folder, an archive, or their LMS files together,
    made into one folder of its own; `when` is its newest time."""

    folder: Path
    label: str
    when: float
    submitted_at: str | None = None
    marked_late: bool | None = None


def _build(student_id: str, entries: list[_Entry], scan: _Scan) -> Submission | str:
    """The student's Submission from their entries (docs/grading.md, "A student's several
    entries"): the newest entry is graded; an older one is added when it shares no file
    with what is taken, else it is left out and named in the feedback."""
    if len(entries) == 1 and entries[0].is_folder and not _archives_in(entries[0].path):
        return Submission(student_id, entries[0].path)
    if scan.unpacked is None:
        return "an archive or several entries (these are read only by `python -m adkit.cohort`)"
    target = scan.unpacked / student_id
    refused: list[str] = []
    try:
        try:
            used = _merged(entries, target, refused, scan.zone)
        except OSError as error:  # moving our own copies: only the machine fails here
            no_room(error, "gathering your files")
            raise
    except NoRoom as error:  # the machine's fault: this student only, the run goes on
        remove_partial(target)
        return error.reason
    lms = [u for u in used if u.submitted_at is not None or u.marked_late is not None]
    return Submission(student_id, used[0].folder, tuple(refused),
                      submitted_at=lms[0].submitted_at if lms else None,
                      marked_late=lms[0].marked_late if lms else None)


def _merged(entries: list[_Entry], target: Path, refused: list[str], zone: tzinfo,
            ) -> list[_Unit]:
    """Every entry made a unit in `target`; the units used, newest first: the newest,
    with each older one moved into it when it shares no file with what is taken."""
    units = [_unit(e, target / f"u{k}", refused)
             for k, e in enumerate(e for e in entries if e.is_folder or e.lms is None)]
    loose = [e for e in entries if not e.is_folder and e.lms is not None]
    if loose:
        units.append(_lms_unit(loose, target / "lms", refused, zone))
    units.sort(key=lambda u: (u.when, u.label), reverse=True)
    taken, used = _files(units[0].folder), [units[0]]
    for unit in units[1:]:
        files = _files(unit.folder)
        if _clash(taken, files):
            refused.append(f"{unit.label}: an older entry than {units[0].label} holding the "
                           "same files: not graded (your newest entry is)")
            continue
        for relative in sorted(files):
            (units[0].folder / relative).parent.mkdir(parents=True, exist_ok=True)
            os.rename(unit.folder / relative, units[0].folder / relative)
        taken |= files
        used.append(unit)
    archives.settle_times(target, max(u.when for u in units))
    return used


def _unit(entry: _Entry, target: Path, refused: list[str]) -> _Unit:
    """A folder (a capped copy) or a student's archive as a unit of its own in `target`."""
    newest = 0.0
    if entry.is_folder and not _archives_in(entry.path):
        newest = Submission("", entry.path).newest_change()
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            staged = stage(entry.path, target)
        except OSError as error:  # UnsafeFile (a link, say) or gone meanwhile; NoRoom raises
            refused.append(f"{entry.name}: {shown(error.strerror or 'could not be read')}")
            target.mkdir(parents=True, exist_ok=True)
        else:
            refused += [f"{entry.name}/{why}" for why in staged.refused]
        _set_times(target, newest)
    else:
        paths = [entry.path / n for n in _archives_in(entry.path)] if entry.is_folder \
            else [entry.path]
        target.mkdir(parents=True, exist_ok=True)
        for path in paths:
            result = archives.unpack(path, target)
            refused += result.refused
            newest = max(newest, result.newest)
    return _Unit(_inner(target), entry.name, newest)


def _lms_unit(loose: list[_Entry], target: Path, refused: list[str], zone: tzinfo) -> _Unit:
    """A student's files of a bulk download as one unit: where two give the same file,
    the newest by the LMS's own order wins (Canvas: the higher `-N`, then the later file
    id; then the later time) and the others are named."""
    by_file: dict[str, list[_Entry]] = {}
    for entry in loose:
        assert entry.lms is not None
        by_file.setdefault(entry.lms.file, []).append(entry)
    kept: list[_Entry] = []
    for file, group in sorted(by_file.items()):
        group.sort(key=lambda e: (e.lms.again, e.lms.file_id, _mtime(e.path), e.name),
                   reverse=True)  # type: ignore[union-attr]
        kept.append(group[0])
        refused += [f"{e.name}: an older copy of {shown(file)} ({group[0].name} is newer): not "
                    "graded" for e in group[1:]]
    newest = 0.0
    target.mkdir(parents=True, exist_ok=True)
    for entry in kept:
        assert entry.lms is not None
        if archives.is_archive(entry.lms.file):
            result = archives.unpack(entry.path, target)
            refused += result.refused
            newest = max(newest, result.newest)
        else:
            newest = max(newest, _copy(entry.path, target / entry.lms.file, refused))
    canvas = [e for e in kept if e.lms and e.lms.platform == "Canvas"]
    stamps = [e.stamp for e in canvas if e.stamp is not None]
    when = max(stamps) if stamps else None
    label = kept[0].name + (f" and {len(kept) - 1} more file(s)" if len(kept) > 1 else "")
    return _Unit(_inner(target), label, newest,
                 submitted_at=_iso(when, zone) if when else None,
                 marked_late=any(e.lms.late for e in canvas) if canvas else None)  # type: ignore


def _iso(stamp: tuple[int, ...], zone: tzinfo) -> str | None:
    """A zip member's naive date and time, read in `zone`, as ISO 8601 with its offset."""
    try:
        return datetime(*stamp[:6], tzinfo=zone).isoformat()  # type: ignore[misc]
    except (ValueError, TypeError, OverflowError):
        return None  # a zip's date of month 0: no time at all rather than a wrong one


def _mtime(path: Path) -> float:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return 0.0


def _files(folder: Path) -> set[str]:
    """The files of a unit, as paths relative to it (the units are our own copies)."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and not p.is_symlink()}


def _clash(taken: set[str], files: set[str]) -> bool:
    """Whether two units hold the same file, or the package in both its forms (a
    `simpleautodiff.py` in one, a `simpleautodiff/` folder in the other)."""
    def form(names: set[str]) -> set[str]:
        return {"file" if n == "simpleautodiff.py" else "folder" for n in names
                if n == "simpleautodiff.py" or n.startswith("simpleautodiff/")}

    def folders(names: set[str]) -> set[str]:
        return {str(parent) for n in names for parent in Path(n).parents} - {"."}

    return bool(taken & files or taken & folders(files) or files & folders(taken)) or \
        len(form(taken) | form(files)) > 1


def _set_times(folder: Path, when: float) -> None:
    """Give every file and folder in our copy `folder` the time `when`."""
    for path, _, names in os.walk(folder):
        for name in names:
            os.utime(os.path.join(path, name), (when, when), follow_symlinks=False)
        os.utime(path, (when, when))


def _archives_in(folder: Path) -> list[str]:
    """The archives at the top of a student folder that holds no code besides them."""
    try:
        with os.scandir(folder) as listing:
            entries = [(e.name, e.is_file(follow_symlinks=False)) for e in listing]
    except OSError:
        return []  # staging says what is wrong with it
    code = any(name in ("simpleautodiff", "simpleautodiff.py") or name.endswith(".ipynb")
               for name, _ in entries)
    return [] if code else sorted(n for n, is_file in entries if is_file and
                                  archives.is_archive(n))


def _copy(source: Path, target: Path, refused: list[str]) -> float:
    """Copy one loose file of a bulk download (capped, no link followed); its time."""
    fd = open_folder(source.parent)
    try:
        data = read_file(source.name, fd, NOTEBOOK_BYTES)
        when = os.stat(source.name, dir_fd=fd, follow_symlinks=False).st_mtime
    except UnsafeFile as error:
        refused.append(f"{shown(source.name)}: {error.strerror}")
        return 0.0
    finally:
        os.close(fd)
    try:
        target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        with open(target, "xb") as handle:
            handle.write(data)
    except FileExistsError:
        refused.append(f"{shown(source.name)}: a second file named {shown(target.name)}")
        return 0.0
    except OSError as error:
        no_room(error, f"copying {shown(source.name)}")
        raise
    os.utime(target, (when, when))
    return when


def _inner(folder: Path) -> Path:
    """The one folder an archive often wraps everything in (`hw3/...`), else `folder`."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return folder
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink() \
            and entries[0].name not in ("simpleautodiff", ".cohort"):
        return entries[0]
    return folder

def _without_case_twins(found: dict[str, Submission], skipped: list[Skipped],
                        ) -> tuple[list[Submission], list[Skipped]]:
    """Ids equal ignoring case would share OUT/<id> on some file systems: skip all of them."""
    by_folded: dict[str, list[str]] = {}
    for name in found:
        by_folded.setdefault(name.casefold(), []).append(name)
    for names in by_folded.values():
        if len(names) > 1:
            for name in names:
                others = ", ".join(n for n in names if n != name)
                skipped.append(Skipped(name, f"differs from {others} only in upper and lower "
                                             "case (their outputs would collide): rename one"))
                del found[name]
    return sorted(found.values(), key=lambda s: s.student_id), skipped


def find_submissions(folder: Path) -> list[Submission]:
    """Every usable student folder (see scan_submissions for the ones skipped and why)."""
    return scan_submissions(folder)[0]
