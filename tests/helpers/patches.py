"""Unified diffs in pure Python: writing one from two folders, applying one strictly.

The test cohort keeps each bug as the change it makes to a correct submission (docs/cohort.md):
`write(base, edited)` makes that change's diff, `apply(diff, folder, label)` makes it again on
a copy of the base. Bytes throughout, so any encoding (a latin-1 byte is a hostile
submission's point) and any line ending survive. Applying is strict: every context and removed
line must match exactly; a hunk may move (lines added above it in the base), but only to the
one place its lines occur. Anything else is a PatchError that names the diff, the file and the
hunk, and says what to do.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

NO_NEWLINE = b"\\ No newline at end of file"
HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
SKIP = ("__pycache__", ".pytest_cache")


class PatchError(Exception):
    """A diff that does not apply (or is not a diff): the message says which and what to do."""


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not set(SKIP) & set(p.relative_to(folder).parts)}


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _hunk_lines(old: list[bytes], new: list[bytes], context: int) -> list[bytes]:
    out = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(
            context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(b"@@ -%d,%d +%d,%d @@\n" % (i1 + (i2 > i1), i2 - i1, j1 + (j2 > j1), j2 - j1))
        for tag, a1, a2, b1, b2 in group:
            body = [(b" ", line) for line in old[a1:a2]] if tag == "equal" else (
                [(b"-", line) for line in old[a1:a2]] + [(b"+", line) for line in new[b1:b2]])
            for sign, line in body:
                out.append(sign + line)
                if not line.endswith(b"\n"):
                    out += [b"\n", NO_NEWLINE + b"\n"]
    return out


def write(base: Path, edited: Path, context: int = 3) -> bytes:
    """The unified diff that turns the folder `base` into the folder `edited`."""
    before, after = _files(base), _files(edited)
    out: list[bytes] = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        out.append(b"--- " + (b"a/" + name.encode() if old is not None else b"/dev/null") + b"\n")
        out.append(b"+++ " + (b"b/" + name.encode() if new is not None else b"/dev/null") + b"\n")
        out += _hunk_lines(_lines(old or b""), _lines(new or b""), context)
    return b"".join(out)


def _parse(diff: bytes, label: str) -> list[tuple[str | None, str | None, list]]:
    """[(old path, new path, [(old start, old lines, new lines, header)])]; None is /dev/null."""
    lines, files, k = _lines(diff), [], 0

    def path(line: bytes, prefix: bytes) -> str | None:
        name = line[4:].split(b"\t")[0].strip()
        if name == b"/dev/null":
            return None
        if not name.startswith(prefix):
            raise PatchError(f"{label}: {line!r} should name {prefix.decode()}<file>")
        name = name[len(prefix):].decode("utf-8")
        if name.startswith("/") or ".." in name.split("/"):
            raise PatchError(f"{label}: {name!r} is outside the submission's folder")
        return name

    while k < len(lines):
        if not lines[k].startswith(b"--- "):
            k += 1  # text between files (such as `diff -ru`'s command line) is ignored
            continue
        if k + 1 >= len(lines) or not lines[k + 1].startswith(b"+++ "):
            raise PatchError(f"{label}: line {k + 1}: `---` without `+++` after it")
        old, new, hunks = path(lines[k], b"a/"), path(lines[k + 1], b"b/"), []
        k += 2
        while k < len(lines) and lines[k].startswith(b"@@"):
            match = HUNK.match(lines[k])
            if not match:
                raise PatchError(f"{label}: line {k + 1}: not a hunk header: {lines[k]!r}")
            header = lines[k].decode("utf-8", "replace").strip()
            start, want_old, want_new = int(match[1]), int(match[2] or 1), int(match[4] or 1)
            before, after, k = [], [], k + 1
            while (len(before) < want_old or len(after) < want_new) and k < len(lines):
                sign, text = lines[k][:1], lines[k][1:]
                if lines[k] in (b"\n", b"\r\n"):  # an empty context line an editor trimmed
                    sign, text = b" ", lines[k]
                if sign not in (b" ", b"-", b"+"):
                    break
                if sign in (b" ", b"-"):
                    before.append(text)
                if sign in (b" ", b"+"):
                    after.append(text)
                k += 1
                if k < len(lines) and lines[k].rstrip(b"\r\n") == NO_NEWLINE:
                    for side in ([before] if sign == b"-" else [after] if sign == b"+"
                                 else [before, after]):
                        side[-1] = side[-1].removesuffix(b"\n")
                    k += 1
            if (len(before), len(after)) != (want_old, want_new):
                raise PatchError(f"{label}: {new or old}: hunk {header} is cut short "
                                 f"(the diff was edited by hand? write it again)")
            hunks.append((start, before, after, header))
        files.append((old, new, hunks))
    if not files:
        raise PatchError(f"{label}: holds no change (no `--- a/...` `+++ b/...` lines)")
    return files


def _place(text: list[bytes], before: list[bytes], guess: int) -> list[int]:
    """Where `before` occurs in `text`: [guess] if there, else every place it does."""
    size = len(before)
    if text[guess:guess + size] == before:
        return [guess]
    return [i for i in range(len(text) - size + 1) if text[i:i + size] == before]


def apply(diff: bytes, folder: Path, label: str) -> None:
    """Apply the unified diff `diff` to the files under `folder`, in place, strictly.

    Every file is checked before any is written, so a diff that fails leaves `folder` as it
    was. `label` names the diff in errors (the bug's name, its diff file).
    """
    redo = "regenerate the diff from an edited copy (make cohort-edit, then make cohort-diff: " \
           "docs/cohort.md, \"Changing a correct solution\")"
    results: dict[str, bytes | None] = {}
    for old, new, hunks in _parse(diff, label):
        name = new or old
        target = folder / (old or new)
        if old is not None and not target.is_file():
            raise PatchError(f"{label}: {old} is not in the base; {redo}")
        if old is None and (folder / new).exists():
            raise PatchError(f"{label}: {new} would be added but the base has it; {redo}")
        text = _lines(target.read_bytes()) if old is not None else []
        shift = 0
        for start, before, after, header in hunks:
            guess = max(start - 1 + shift, 0) if before else start + shift
            places = _place(text, before, guess) if before else [min(guess, len(text))]
            if len(places) != 1:
                why = "its lines are not in the file" if not places else \
                    f"its lines occur {len(places)} times and not where it says"
                raise PatchError(f"{label}: {name}: hunk {header} does not apply ({why}): the "
                                 f"base changed under it; {redo}")
            at = places[0]
            text[at:at + len(before)] = after
            shift = at + len(after) - (start - 1 + len(before)) if before else shift + len(after)
        results[name] = None if new is None else b"".join(text)
        if new is None and text:
            raise PatchError(f"{label}: {old} is deleted but the base holds more; {redo}")
    for name, data in results.items():
        if data is None:
            (folder / name).unlink()
        else:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
