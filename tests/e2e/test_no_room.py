"""A machine that runs out of room while one student is copied or unpacked (issue 22): a
full disk or inode table (ENOSPC), or no file descriptor left (EMFILE). That student is
"not graded" with the reason and their partial copy removed; the others are graded and the
gradebook and report are written.

Proved for real: the grading run is started in a mount namespace of its own whose temporary
folder is a tmpfs of a few hundred inodes (root only), or with RLIMIT_NOFILE lowered.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adkit.intake import archives, staging
from tests.helpers.archive_builders import ROOT, package_members, tar_bytes

FILLER = 600  # small files that a student may hand in (under every cap), but no tmpfs holds


def _student(folder: Path, filler: int = 0) -> Path:
    for name, data in package_members().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    for k in range(filler):
        (folder / "data" / f"f{k}.txt").parent.mkdir(exist_ok=True)
        (folder / "data" / f"f{k}.txt").write_text("x\n")
    return folder


def _cohort(base: Path) -> Path:
    """s1 and s3 honest; s2 a folder (staged in a job), s4 an archive (unpacked first)."""
    cohort = base / "submissions"
    for name in ("s1", "s3"):
        _student(cohort / name)
    _student(cohort / "s2", FILLER)
    members = package_members()
    members |= {f"data/f{k}.txt": b"x\n" for k in range(FILLER)}
    (cohort / "s4.tar.gz").write_bytes(tar_bytes(members))
    return cohort


def _small_tmp_problem(base: Path) -> str:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return "needs root and unshare(1) to mount a small tmpfs in a namespace of its own"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o nr_inodes=50 "
                            f"probe {base}"], capture_output=True, text=True)
    return "" if probe.returncode == 0 else f"cannot mount a tmpfs: {probe.stderr.strip()}"


def _outcome(out: Path, student: str) -> str:
    data = json.loads((out / student / "results.json").read_text(encoding="utf-8"))
    return data["tests"][0]["output"] if data["score"] == 0 else str(data["score"])


def test_a_full_inode_table_costs_only_the_student_being_copied(tmp_path):
    why = _small_tmp_problem(tmp_path)
    if why:
        pytest.skip(why)
    cohort, out, room = _cohort(tmp_path), tmp_path / "out", tmp_path / "room"
    room.mkdir()
    script = 'mount -t tmpfs -o size=64m,nr_inodes=400 adkit-test "$1" && shift && exec "$@"'
    run = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(room), "env",
                          f"TMPDIR={room}", sys.executable, "-m", "adkit.cohort", str(cohort),
                          "--out", str(out), "--jobs", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert (out / "gradebook.csv").is_file() and (out / "report.html").is_file()
    assert _outcome(out, "s1") == "100" and _outcome(out, "s3") == "100", run.stderr[-3000:]
    # s2 was being staged in its job: not graded, marked so that a rerun grades it
    staged = _outcome(out, "s2")
    assert staged.startswith("not graded: the grading machine ran out of disk space or "
                             "inodes") and "(ENOSPC)" in staged, staged
    assert json.loads((out / "s2" / "results.json").read_text())["extra_data"]["grader_error"]
    # s4's archive was being unpacked: not graded, named with the reason, nothing kept
    assert not (out / "s4").exists()
    assert "skipped 's4.tar.gz': not graded: the grading machine ran out of disk space" \
        in run.stderr, run.stderr[-3000:]
    assert "s4.tar.gz" in (out / "report.html").read_text(encoding="utf-8")
    gradebook = (out / "gradebook.csv").read_text(encoding="utf-8")
    assert all(f"\n{s}," in gradebook for s in ("s1", "s2", "s3"))


def _limited(nofile: int) -> None:
    """Descriptors numbered `nofile` and up cannot be made."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))


def test_no_file_descriptor_left_while_staging_is_no_room(tmp_path):
    """EMFILE for real: RLIMIT_NOFILE lowered in a child to what is open plus a few, then a
    student folder nested deeper than that is staged (each level holds a folder open)."""
    student = _student(tmp_path / "s2")
    deep = student
    for k in range(12):
        deep = deep / f"d{k}"
    deep.mkdir(parents=True)
    (deep / "x.py").write_text("x = 1\n")
    code = ("import os, sys, resource\n"
            "from pathlib import Path\n"
            "from adkit.intake import staging\n"
            "now = len(os.listdir('/proc/self/fd'))\n"
            "resource.setrlimit(resource.RLIMIT_NOFILE, (now + 6, now + 6))\n"
            "try:\n"
            "    staging.stage(Path(sys.argv[1]), Path(sys.argv[2]))\n"
            "except staging.NoRoom as error:\n"
            "    print(error.reason)\n")
    run = subprocess.run([sys.executable, "-c", code, str(student), str(tmp_path / "copy")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.stdout.startswith("not graded: the grading machine ran out of open files "
                                 "(this process's limit) while "), run.stdout + run.stderr
    assert "(EMFILE): a grader error, not your fault" in run.stdout
    assert not (tmp_path / "copy").exists()  # the partial copy is removed


def test_no_room_is_told_apart_from_a_bad_file(tmp_path):
    """An archive member or a file the machine could not write is the machine's fault, not
    'damaged' nor 'a second member of the same name' (what it was called before)."""
    (tmp_path / "s.tar.gz").write_bytes(tar_bytes(package_members()))
    room = tmp_path / "full"
    room.mkdir()
    pid = os.fork()
    if pid == 0:  # EMFILE for real in a child: the tar is open, the first member is not
        code = 1
        try:
            lowest = os.dup(0)  # the lowest free descriptor: the archive gets it
            os.close(lowest)
            _limited(lowest + 1)
            archives.unpack(tmp_path / "s.tar.gz", room / "s")
        except staging.NoRoom as error:
            code = 0 if "(EMFILE)" in error.reason and not (room / "s").exists() else 2
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
