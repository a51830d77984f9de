"""Stopping a grading run: SIGTERM or SIGINT to its process group, with one student hanging,
stops it within seconds, kills the jobs and their sandboxes, and still writes the gradebook
of the students who finished (exit 130). Also: no isolating sandbox means no grading."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.helpers.hanging import HANG, _sleepers, _trusted


def _temporary_folders(base: Path) -> list[str]:
    """The run's temporary folders (all under adkit-run-*) still there; ours only: each test
    gives the run a TMPDIR of its own."""
    return [p.name for p in base.glob("tmp/adkit-*")]


@pytest.fixture
def cohort(tmp_path):
    folder = tmp_path / "submissions"
    (folder / "a_hangs").mkdir(parents=True)
    (folder / "a_hangs" / "simpleautodiff.py").write_text(HANG)
    for name in ("b_empty", "c_empty", "d_empty"):
        (folder / name).mkdir()
    return folder


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_group_stops_a_run_with_a_hanging_student(cohort, tmp_path, sig):
    out = tmp_path / "grades"
    (tmp_path / "tmp").mkdir()
    run = subprocess.Popen(
        [sys.executable, "-m", "adkit.cohort", str(cohort), "--out", str(out), "--jobs", "2",
         *_trusted()],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env=os.environ | {"TMPDIR": str(tmp_path / "tmp")})
    try:
        deadline = time.monotonic() + 240  # a wait, not a measure: a busy machine is slow
        done = [out / n / "results.json" for n in ("b_empty", "c_empty", "d_empty")]
        while time.monotonic() < deadline and not all(p.exists() for p in done):
            assert run.poll() is None, run.communicate()[1][-2000:]
            time.sleep(0.05)
        while time.monotonic() < deadline and not _sleepers():
            time.sleep(0.05)
        assert _sleepers(), "the hanging student never started"
        began = time.monotonic()
        os.killpg(run.pid, sig)
        _, stderr = run.communicate(timeout=30)
        took = time.monotonic() - began
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert took < 30, f"stopping took {took:.1f} s"  # seconds, not the hang's hours
    assert run.returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["b_empty", "c_empty", "d_empty"]
    assert "b_empty" in (out / "report.html").read_text()
    assert not (out / "a_hangs" / "results.json").exists()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    time.sleep(0.5)
    assert not _sleepers(), "the hanging student's process outlived the run"
    assert not _temporary_folders(tmp_path), "the run left temporary folders behind"


def test_without_an_isolating_sandbox_nothing_is_graded(cohort, tmp_path, monkeypatch,
                                                         capsys):
    from adkit import sandbox
    from adkit.cohort import __main__ as cli

    def unavailable(trusted: bool = False):
        raise sandbox.SandboxUnavailable("No sandbox that isolates student code can run here.")

    monkeypatch.setattr(sandbox, "choose_backend", unavailable)
    out = tmp_path / "grades"
    assert cli.main([str(cohort), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "No sandbox that isolates student code can run here." in err
    assert not list(out.glob("*/results.json")) and not (out / "gradebook.csv").exists()


def test_secrets_a_sandbox_could_read_stop_the_run(cohort, tmp_path, monkeypatch, capsys):
    from adkit import sandbox
    from adkit.cohort import __main__ as cli

    class Leaky:
        name, isolating = "leaky", True

        def check_secrets(self, paths):
            assert any(p.name == "graders" for p in paths) and cohort in paths
            raise sandbox.SandboxUnavailable("the worker could read graders/")

    monkeypatch.setattr(sandbox, "choose_backend", lambda trusted=False: Leaky())
    assert cli.main([str(cohort), "--out", str(tmp_path / "grades")]) == 2
    assert "the worker could read graders/" in capsys.readouterr().err


def test_a_job_that_dies_costs_its_item_only():
    from adkit.cohort.jobs import JobPool

    def work(item: int) -> dict:
        if item == 2:
            os._exit(7)  # the job process dies mid-item
        return {"item": item}

    pool = JobPool(work, lambda item, why: {"item": item, "crashed": why})
    try:
        rows = list(pool.run([1, 2, 3, 4], 2))
    finally:
        pool.stop()
    assert sorted(r["item"] for r in rows) == [1, 2, 3, 4]
    assert [r for r in rows if "crashed" in r] == [{"item": 2, "crashed": "exit status 7"}]
