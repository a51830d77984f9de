"""Terminal escape sequences and bidirectional overrides from a submission never reach a
TA's console or a page raw (issue 22, item 5).

A hostile cohort, built at test time (git keeps no such file names), is graded in the real
sandbox and compared by `make similarity`: its exception messages, printed output, file
names and code are escape sequences (erase the screen, move the cursor, conceal, a C1 CSI,
a bell) and bidi overrides. Every byte of every output and of the console must be free of
them, and the text must still be there, written out (`\\x1b[2J`) for the TA to see.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import COHORT, ROOT

pytestmark = pytest.mark.slow
EVIL = "\x1b[2J\x1b[1;1H\x1b[8m\u202egnp.exe\u2066\x9b31m\x07\x1b]0;owned\x07"
SHOWN = "\\x1b[2J"  # how the first escape must appear
EVIL_NAME = "\x1b[2J\u202eevil"
CORRECT = COHORT / "correct_kahn" / "simpleautodiff.py"
# Everything escape_controls writes out: C0 but tab and newline, DEL, C1, bidi controls.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                 "\u2028\u2029\ufeff]")

RAISES = f'''

# a comment with a raw escape: \x1b[2J\u202e
_EVIL = {EVIL!r}


def topological_order(root):
    print(_EVIL)
    raise ValueError(_EVIL)


def backward(output):
    print(_EVIL * 3)
    raise RuntimeError(_EVIL * 3)
'''


def _cohort(folder: Path) -> Path:
    raises = folder / "mallory_raises" / "simpleautodiff"
    raises.mkdir(parents=True)
    (raises / "__init__.py").write_text(CORRECT.read_text(encoding="utf-8") + RAISES,
                                        encoding="utf-8")
    (raises / f"{EVIL_NAME}.py").write_text(f"X = {EVIL!r}  # \x1b[8m\n", encoding="utf-8")
    (folder / "mallory_raises" / f"{EVIL_NAME}.lnk").symlink_to("/etc/passwd")
    shutil.copytree(folder / "mallory_raises", folder / "trudy_copies", symlinks=True)
    broken = folder / "mallory_import"
    broken.mkdir()
    (broken / "simpleautodiff.py").write_text(
        f"print({EVIL!r})\nraise ImportError({EVIL!r})\n", encoding="utf-8")
    return folder


def _bubblewrap_problem() -> str:
    from adkit.sandbox.choose import backend_named

    try:
        backend_named("bubblewrap")
    except Exception as exc:  # noqa: BLE001 - whatever says why
        return str(exc)
    return ""


def _strings(value: object) -> list[str]:
    """Every string in a decoded JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _raw(text: str) -> list[str]:
    return sorted({repr(m.group()) for m in RAW.finditer(text)})


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    why = _bubblewrap_problem()
    if why:
        pytest.skip(f"bubblewrap cannot run here: {why}")
    base = tmp_path_factory.mktemp("controls")
    cohort, out = _cohort(base / "submissions"), base / "grades"
    grade = subprocess.run([sys.executable, "-m", "adkit.cohort", str(cohort), "--out", str(out),
                            "--jobs", "2"], cwd=ROOT, capture_output=True, timeout=600)
    similar = subprocess.run([sys.executable, "-m", "adkit.similarity", str(cohort), "--out",
                              str(out), "--threshold", "50"], cwd=ROOT, capture_output=True,
                             timeout=600)
    return out, grade, similar


def test_no_control_character_reaches_any_output_file(graded):
    out, grade, similar = graded
    assert grade.returncode == 0, grade.stderr.decode(errors="replace")[-3000:]
    assert similar.returncode == 0, similar.stderr.decode(errors="replace")[-3000:]
    files = sorted(p for p in out.rglob("*") if p.is_file())
    names = {p.relative_to(out).as_posix() for p in files}
    assert {"gradebook.csv", "report.html", "similarity.csv", "similarity.html",
            "mallory_raises/feedback.md", "mallory_raises/results.json",
            "mallory_import/feedback.md"} <= names
    for path in files:
        text = path.read_bytes().decode("utf-8")  # the bytes, decoded strictly
        assert _raw(text) == [], path.relative_to(out)
        if path.suffix == ".json":
            strings = _strings(json.loads(text))
            assert [_raw(s) for s in strings if _raw(s)] == [], path.relative_to(out)


def test_the_console_gets_no_control_character(graded):
    _, grade, similar = graded
    for run in (grade, similar):
        for stream in (run.stdout, run.stderr):
            assert _raw(stream.decode("utf-8")) == []
    err = grade.stderr.decode("utf-8")
    assert "mallory_import: could not be graded" in err and SHOWN in err
    assert "mallory_raises: files left out" in err


def test_the_hostile_text_is_still_shown_written_out(graded):
    out, _, _ = graded
    feedback = (out / "mallory_raises" / "feedback.md").read_text(encoding="utf-8")
    assert SHOWN in feedback and "\\u202egnp.exe" in feedback and "\\x9b31m" in feedback
    assert SHOWN in (out / "mallory_import" / "feedback.md").read_text(encoding="utf-8")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert SHOWN in report and 'id="similarity"' in report  # re-rendered with the pairs
    similarity = (out / "similarity.html").read_text(encoding="utf-8")
    assert "\\x1b[2J\\u202eevil.py" in similarity  # the file name, in the code's header
    assert "\\x1b[8m" in similarity  # a raw escape in the code itself
