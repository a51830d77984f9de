"""tests/helpers/patches.py: the test cohort's bugs are diffs, applied strictly in Python."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import COHORT, cohorts, patches

LINES = b"".join(b"line %d\n" % k for k in range(1, 41))


def _folder(path: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}


@pytest.mark.parametrize("before, after", [
    ({"a.py": LINES}, {"a.py": LINES.replace(b"line 20\n", b"line twenty\n")}),
    ({"a.py": LINES}, {"a.py": LINES.replace(b"line 3\n", b"").replace(b"line 38", b"x")}),
    ({"a.py": b"no newline"}, {"a.py": b"no newline, still"}),
    ({"a.py": b"x = 1\n"}, {"a.py": b"x = 1\ny = 2"}),
    ({"a.py": b"\xe9t\xe9 = 1\r\n"}, {"a.py": b"\xe9t\xe9 = 2\r\n"}),  # latin-1, CRLF
    ({"p/m.py": b"one\n"}, {"p/m.py": b"one\n", "p/new.py": b"two\n"}),
    ({"p/m.py": b"one\n", "p/gone.py": b"two\n"}, {"p/m.py": b"one\n"}),
])
def test_a_written_diff_rebuilds_the_edit(tmp_path, before, after):
    base = _folder(tmp_path / "base", before)
    edited = _folder(tmp_path / "edited", after)
    diff = patches.write(base, edited)
    patches.apply(diff, base, "bug_x")
    assert _files(base) == after


def test_a_hunk_moves_with_lines_added_above_it(tmp_path):
    """Adding a primitive to a base shifts a bug's lines: its diff still applies."""
    base = _folder(tmp_path / "base", {"a.py": LINES})
    edited = _folder(tmp_path / "edited", {"a.py": LINES.replace(b"line 30\n", b"bug\n")})
    diff = patches.write(base, edited)
    (base / "a.py").write_bytes(b"def tanh(a):\n    pass\n\n" + LINES)
    patches.apply(diff, base, "bug_x")
    assert (base / "a.py").read_bytes() == b"def tanh(a):\n    pass\n\n" + \
        LINES.replace(b"line 30\n", b"bug\n")


def test_an_empty_context_line_trimmed_by_an_editor_still_applies(tmp_path):
    text = b"a\n\nb\nc\n"
    base = _folder(tmp_path / "base", {"a.py": text})
    edited = _folder(tmp_path / "edited", {"a.py": text.replace(b"b\n", b"B\n")})
    diff = patches.write(base, edited)
    assert b"\n \n" in diff
    patches.apply(diff.replace(b"\n \n", b"\n\n"), base, "bug_x")
    assert (base / "a.py").read_bytes() == b"a\n\nB\nc\n"


def test_a_hunk_whose_lines_changed_fails_naming_the_bug_file_and_hunk(tmp_path):
    base = _folder(tmp_path / "base", {"a.py": LINES, "b.py": LINES})
    edited = _folder(tmp_path / "edited", {"a.py": LINES.replace(b"line 5\n", b"bug\n"),
                                            "b.py": LINES.replace(b"line 9\n", b"bug\n")})
    diff = patches.write(base, edited)
    (base / "b.py").write_bytes(LINES.replace(b"line 8\n", b"changed under the bug\n"))
    with pytest.raises(patches.PatchError) as error:
        patches.apply(diff, base, "bug_graph_x")
    message = str(error.value)
    assert "bug_graph_x" in message and "b.py" in message and "@@ -6,7 +6,7 @@" in message
    assert "regenerate the diff" in message
    assert _files(base)["a.py"] == LINES, "nothing is written when a file fails"


def test_a_hunk_that_fits_two_places_and_neither_where_it_says_fails(tmp_path):
    text = b"a\nb\nc\nd\ne\n"
    base = _folder(tmp_path / "base", {"a.py": text})
    edited = _folder(tmp_path / "edited", {"a.py": text.replace(b"c\n", b"C\n")})
    diff = patches.write(base, edited)
    (base / "a.py").write_bytes(b"x\n" + text + b"y\n" + text)
    with pytest.raises(patches.PatchError, match="occur 2 times"):
        patches.apply(diff, base, "bug_x")


@pytest.mark.parametrize("diff, words", [
    (b"", "holds no change"),
    (b"--- a/x.py\n", "without `+++`"),
    (b"--- x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n", "a/<file>"),
    (b"--- a/../x.py\n+++ b/../x.py\n@@ -1 +1 @@\n-a\n+b\n", "outside"),
    (b"--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n-a\n+b\n", "cut short"),
    (b"--- a/missing.py\n+++ b/missing.py\n@@ -1 +1 @@\n-a\n+b\n", "not in the base"),
])
def test_a_broken_diff_is_a_clear_error(tmp_path, diff, words):
    base = _folder(tmp_path / "base", {"x.py": b"a\n"})
    with pytest.raises(patches.PatchError, match=re.escape(words)):
        patches.apply(diff, base, "bug_x")


def test_write_diff_writes_a_bug_from_an_edited_copy(tmp_path):
    """What `make cohort-diff` does: the edited copy of a bug becomes its diff."""
    cohort = tmp_path / "cohort"
    (cohort / "diffs").mkdir(parents=True)
    (cohort / "expectations.toml").write_text(
        '[bug_graph_y]\nbase = "correct_kahn"\nwhy = "y"\nloses = ["graph"]\n')
    edited = tmp_path / "edit" / "bug_graph_y"
    shutil.copytree(COHORT / "correct_kahn", edited)
    source = edited / "simpleautodiff.py"
    source.write_text(source.read_text() + "\n# a change\n")
    written = cohorts.write_diff(cohort, "bug_graph_y", edited)
    assert written == cohort / "diffs" / "bug_graph_y.diff"
    cohorts.copy_cohort(["bug_graph_y"], cohort, tmp_path / "out")
    assert _files(tmp_path / "out" / "bug_graph_y") == _files(edited)


def test_a_stale_diff_names_the_bug_and_its_file_when_the_cohort_is_built(tmp_path):
    cohort = tmp_path / "cohort"
    (cohort / "diffs").mkdir(parents=True)
    (cohort / "expectations.toml").write_text(
        '[bug_graph_z]\nbase = "correct_kahn"\nwhy = "z"\nloses = ["graph"]\n')
    (cohort / "diffs" / "bug_graph_z.diff").write_bytes(
        b"--- a/simpleautodiff.py\n+++ b/simpleautodiff.py\n@@ -1,1 +1,1 @@\n-nothing\n+x\n")
    with pytest.raises(patches.PatchError, match=r"bug_graph_z \(.*bug_graph_z.diff\)"):
        cohorts.copy_cohort(["bug_graph_z"], cohort, tmp_path / "out")
    assert not (tmp_path / "out" / "bug_graph_z").exists()
