"""A misspelled or unknown variable given to a kit target stops make with a suggestion,
instead of being ignored (`make grade SUBMISSION=x` once graded the demo cohort)."""

import re
import subprocess

import pytest

from tests.helpers import ROOT


def _make(*args: str) -> subprocess.CompletedProcess:
    # -n: nothing runs; the check happens while the Makefile is read.
    return subprocess.run(["make", "-n", "--no-print-directory", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("given", "said"), [
    ("SUBMISSION=elsewhere", "unknown variable SUBMISSION: did you mean SUBMISSIONS?"),
    ("submissions=elsewhere", "unknown variable submissions: did you mean SUBMISSIONS?"),
    ("JOB=1", "unknown variable JOB: did you mean JOBS?"),
    ("FORCED=1", "unknown variable FORCED: did you mean FORCE?"),
    ("VERBOSE=1", "unknown variable VERBOSE (known: "),  # none is close
])
def test_an_unknown_variable_stops_make_and_names_the_close_one(given, said):
    run = _make("grade", given)
    assert run.returncode == 2, run.stdout
    assert said in run.stderr
    assert "adkit.cohort" not in run.stdout  # nothing was about to be graded


def test_every_unknown_variable_is_named_at_once():
    run = _make("grade", "JOB=1", "FORCED=1")
    assert "JOB: did you mean JOBS?" in run.stderr
    assert "FORCED: did you mean FORCE?" in run.stderr


def test_known_variables_pass():
    run = _make("grade", "SUBMISSIONS=elsewhere", "OUT=out", "JOBS=2", "FORCE=1")
    assert run.returncode == 0, run.stderr
    assert '-m adkit.cohort "elsewhere" --out "out" --jobs 2 --force' in run.stdout


def test_every_variable_the_makefile_reads_is_known():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    known = set(re.search(r"KNOWN_VARIABLES := ((?:.|\\\n)*?)\n(?!\t)", text)[1]
                .replace("\\\n", " ").split())
    settable = set(re.findall(r"^([A-Z_]+)\s*\?=", text, flags=re.M))
    assert settable <= known, f"add {sorted(settable - known)} to KNOWN_VARIABLES"
