"""The plan of a sharded run, written once: who is graded, with what, in which shard.

A manifest names the cohort (sorted student ids, each submission's content digest, the
entries that are not graded), the rubric and the graders (fingerprints), the OUT folder and
the number of shards K. Shard i grades ids[i::K] (striding spreads the slow and the fast
students over the shards); every node checks the manifest against what it sees.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from adkit.cohort import runner
from adkit.intake.submissions import Skipped, Submission
from adkit.model.rubric import Rubric
from adkit.outputs.atomic import write_atomic

FORMAT = 1
FOLDER = ".cluster"  # OUT/.cluster: not a possible student id (ids start with a letter or digit)
DIGEST_FILE_BYTES = 16 * 1024**2  # staging refuses far smaller files: their head and size do
DIGEST_ENTRIES = 20_000


class ManifestError(ValueError):
    """The manifest is missing, malformed, or does not match what this node sees."""


@dataclass(frozen=True)
class Manifest:
    submissions: Path
    out: Path
    shards: int
    students: dict[str, str]  # student id -> content digest, sorted by id
    skipped: list[tuple[str, str, bool]]  # (entry, why, plain file) as the scan found them
    rubric: Path
    rubric_fingerprint: str
    graders_fingerprint: str
    trusted: bool
    secret_file: Path | None
    private: bool = False  # shards refuse to run while others could read the kit's secrets
    again: str = ""  # the command that submits the whole run again, if a driver wrote it

    def shard(self, index: int) -> list[str]:
        """The ids shard `index` grades."""
        return list(self.students)[index::self.shards]

    def shards_of(self) -> dict[str, int]:
        """Each student's shard."""
        return {i: n % self.shards for n, i in enumerate(self.students)}

    def shard_out(self, index: int) -> Path:
        """The folder shard `index` grades into (per-student folders, like any OUT)."""
        return self.out / FOLDER / f"shard-{index}"

    def everyone(self) -> list[Submission]:
        return [Submission(i, self.submissions / i) for i in self.students]

    def skipped_entries(self) -> list[Skipped]:
        return [Skipped(name, why, plain) for name, why, plain in self.skipped]

    def to_json(self) -> str:
        data = {"format": FORMAT, "submissions": str(self.submissions), "out": str(self.out),
                "shards": self.shards, "students": self.students,
                "skipped": [list(s) for s in self.skipped], "rubric": str(self.rubric),
                "rubric_fingerprint": self.rubric_fingerprint,
                "graders_fingerprint": self.graders_fingerprint, "trusted": self.trusted,
                "secret_file": str(self.secret_file) if self.secret_file else None,
                "private": self.private, "again": self.again}
        return json.dumps(data, indent=1) + "\n"


def default_path(out: Path) -> Path:
    return out / FOLDER / "manifest.json"


def plan(everyone: list[Submission], skipped: list[Skipped], submissions: Path, out: Path,
         shards: int, rubric: Rubric, trusted: bool, secret_file: Path | None,
         private: bool = False, again: str = "") -> Manifest:
    """The manifest of a cohort already scanned (archives unpacked)."""
    if shards < 1:
        raise ManifestError("the number of shards must be at least 1")
    return Manifest(
        submissions=submissions.resolve(), out=out.resolve(), shards=shards,
        students={s.student_id: content_digest(s.folder)
                  for s in sorted(everyone, key=lambda s: s.student_id)},
        skipped=[(s.name, s.reason, s.plain_file) for s in skipped],
        rubric=rubric.path.resolve(), rubric_fingerprint=runner.fingerprint(rubric),
        graders_fingerprint=graders_fingerprint(), trusted=trusted,
        secret_file=secret_file.resolve() if secret_file else None, private=private,
        again=again)


def write(manifest: Manifest, path: Path) -> None:
    write_atomic(path, manifest.to_json())


def load(path: Path) -> Manifest:
    """Read a manifest; ManifestError with one clear sentence if it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"manifest {path} not found (write it with `python -m "
                            "adkit.cluster plan`)") from None
    except (OSError, ValueError) as error:
        raise ManifestError(f"manifest {path} cannot be read: {error}") from None
    try:
        if data["format"] != FORMAT:
            raise ManifestError(f"manifest {path} has format {data['format']!r}; this kit "
                                f"reads format {FORMAT}: plan again with this kit")
        students = data["students"]
        if not (isinstance(students, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in students.items())):
            raise TypeError("students")
        shards = data["shards"]
        if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
            raise TypeError("shards")
        secret = data["secret_file"]
        return Manifest(
            submissions=Path(data["submissions"]), out=Path(data["out"]), shards=shards,
            students=dict(sorted(students.items())),
            skipped=[(str(a), str(b), bool(c)) for a, b, c in data["skipped"]],
            rubric=Path(data["rubric"]), rubric_fingerprint=str(data["rubric_fingerprint"]),
            graders_fingerprint=str(data["graders_fingerprint"]),
            trusted=data["trusted"] is True, secret_file=Path(secret) if secret else None,
            private=data["private"] is True, again=str(data["again"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ManifestError(f"manifest {path} is malformed ({error}): plan again") from None


def graders_fingerprint() -> str:
    """A digest of every file a grade depends on besides the submission and the rubric."""
    digest = hashlib.sha256()
    kit = runner.KIT.parent
    for path in runner.grader_files():
        if path.exists():
            digest.update(str(path.relative_to(kit)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def content_digest(folder: Path) -> str:
    """A digest of a submission folder: names, kinds and contents; links not followed.

    Bounded like staging: a file's first DIGEST_FILE_BYTES and its size; past
    DIGEST_ENTRIES entries the rest is left out (staging refuses such folders anyway)."""
    digest = hashlib.sha256()
    stack, seen = [Path(folder)], 0
    while stack and seen < DIGEST_ENTRIES:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            digest.update(f"unreadable {current.relative_to(folder)}: {error.errno}".encode())
            continue
        for entry in entries:
            seen += 1
            name = Path(entry.path).relative_to(folder).as_posix().encode("utf-8",
                                                                           "surrogateescape")
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                digest.update(b"d\0" + name + b"\0")
                stack.append(Path(entry.path))
            elif stat.S_ISREG(info.st_mode):
                digest.update(b"f\0" + name + b"\0%d\0" % info.st_size)
                digest.update(_head(Path(entry.path)))
            elif stat.S_ISLNK(info.st_mode):
                digest.update(b"l\0" + name + b"\0" + os.fsencode(os.readlink(entry.path)))
            else:
                digest.update(b"o\0" + name + b"\0")
    return digest.hexdigest()[:32]


def _head(path: Path) -> bytes:
    """The digest of the file's first DIGEST_FILE_BYTES (a FIFO swapped in is not opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        return f"unreadable {error.errno}".encode()
    digest, left = hashlib.sha256(), DIGEST_FILE_BYTES
    try:
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            digest.update(chunk)
            left -= len(chunk)
    except OSError as error:
        digest.update(f"unreadable {error.errno}".encode())
    finally:
        os.close(fd)
    return digest.digest()
