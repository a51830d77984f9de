"""Grading on a real Slurm: an array of 3 shards and a merge over the demo cohort, submitted
and run as an unprivileged user, compared with a single-machine run; a shard stopped
mid-run (Slurm's time-limit signal, by scancel) leaves a PARTIAL merge, and submitting the
whole run again finishes it.

The kit runs from a copy private to that user (graders/ and reference/ mode 0700, the
secret file 0600), as on a cluster. Only root can start Slurm's daemons: elsewhere these
tests skip and say why (CI runs as root).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.helpers.cluster_compare import differences
from tests.helpers.slurm_harness import USER, Slurm, python_for, why_not

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("slurm"),
              pytest.mark.skipif(why_not() is not None, reason=str(why_not()))]


@pytest.fixture(scope="session")
def slurm():
    cluster = Slurm(cpus=2)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def site():
    """A TA's private copy of the kit, the demo cohort and the secret file, all the user's."""
    base = Path(tempfile.mkdtemp(prefix="adkit-cluster-"))
    os.chmod(base, 0o755)
    kit = base / "kit"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("adkit", "graders", "reference"):
        shutil.copytree(ROOT / name, kit / name, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", kit)
    shutil.copytree(ROOT / "demo_cohort", base / "cohort", ignore=skip)
    (base / "secret").write_text("the course's own secret\n")
    subprocess.run(["chown", "-R", f"{USER}:", str(base)], check=True)
    for private in (kit / "graders", kit / "reference"):
        private.chmod(0o700)
    (base / "secret").chmod(0o600)
    try:
        yield base, python_for(USER, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def local(site):
    """The same cohort graded on one machine, by the same user and kit."""
    site, python = site
    out = site / "local"
    done = subprocess.run(
        ["runuser", "-u", USER, "--", "env", f"ADKIT_COURSE_SECRET_FILE={site / 'secret'}",
         python, "-m", "adkit.cohort", str(site / "cohort"), "--out", str(out), "--jobs", "2"],
        cwd=site / "kit", capture_output=True, text=True, timeout=600,
        env={k: v for k, v in os.environ.items() if k != "ADKIT_COURSE_SECRET"})
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _submit(slurm: Slurm, site: tuple[Path, str], out: Path) -> tuple[str, str]:
    site, python = site
    done = slurm.run([python, "-m", "adkit.cluster", "slurm", str(site / "cohort"),
                      "--out", str(out), "--shards", "3", "--cpus", "1",
                      "--secret-file", str(site / "secret")], user=USER, cwd=site / "kit")
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout
    found = re.search(r"shards = job (\d+) .* merge = job (\d+)", done.stdout)
    assert found, done.stdout
    assert f"squeue -j {found[1]},{found[2]}" in done.stdout
    return found[1], found[2]


def _merge_log(out: Path, job: str) -> str:
    return (out / ".cluster" / f"merge-{job}.out").read_text()


def test_three_shards_through_slurm_write_what_one_run_writes(slurm, site, local):
    out = site[0] / "sharded"
    shards, merge = _submit(slurm, site, out)
    slurm.wait(shards, merge)
    log = _merge_log(out, merge)
    assert "merged 3 shard(s): 9 student(s) gathered" in log, log + slurm.log()
    assert "PARTIAL" not in log
    tasks = sorted((out / ".cluster").glob(f"shard-{shards}_*.out"))
    assert len(tasks) == 3
    assert all("sandbox: bubblewrap" in t.read_text() for t in tasks), tasks[0].read_text()
    assert differences(local, out, detail=True) == []
    assert (out / "s2401").stat().st_uid != 0  # graded by the user, not by root


def test_a_stopped_shard_leaves_a_partial_merge_and_a_resubmission_finishes(
        slurm, site, local):
    out = site[0] / "stopped"
    shards, merge = _submit(slurm, site, out)
    # Shard 1 grades s2402, s2405 and s2408 (whose backward loops for ever): stop it after
    # its first student, as Slurm does before a time limit (SIGTERM to the batch script).
    first = out / ".cluster" / "shard-1" / "s2402" / "results.json"
    deadline = time.monotonic() + 240
    while not first.exists():
        assert time.monotonic() < deadline, slurm.log()
        time.sleep(0.2)
    stop = slurm.run(["scancel", "--batch", "--signal=TERM", f"{shards}_1"], user=USER)
    assert stop.returncode == 0, stop.stderr
    slurm.wait(shards, merge)
    log = _merge_log(out, merge)
    missing = [s for s in ("s2402", "s2405", "s2408") if not (out / s / "results.json").exists()]
    assert "s2408" in missing and "s2402" not in missing
    assert f"not graded: {', '.join(missing)}" in log, log
    command = log.split("grade only them")[1].splitlines()[1]
    assert command.split("--only ")[1].split() == missing
    assert "ADKIT_COURSE_SECRET_FILE=" in command and "own secret" not in command
    assert "PARTIAL" in (out / "report.html").read_text()
    assert not [p for p in out.rglob("*.tmp")]  # stopped cleanly: nothing half written
    stopped = (out / ".cluster" / f"shard-{shards}_1.out").read_text()
    assert "interrupted" in stopped, stopped

    shards, merge = _submit(slurm, site, out)  # the whole run again: finished ones skipped
    slurm.wait(shards, merge)
    log = _merge_log(out, merge)
    assert "PARTIAL" not in log, log
    again = (out / ".cluster" / f"shard-{shards}_0.out").read_text()
    assert "3 student(s) already graded and unchanged" in again, again
    assert differences(local, out, detail=True) == []
