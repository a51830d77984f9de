"""A student's processes cannot take the CPU from a neighbour, nor outlive their sandbox
(issue 22), under every backend that runs here: a CPU quota per sandbox, and every process
gone at close, including processes that left the worker's session and process group.

These tests check the mechanism (the quota the kernel holds, the processes in /proc); what
it buys a neighbour in seconds is measured by bench/bench_spinner.py, not here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adkit.sandbox import Limits, SandboxError
from adkit.sandbox.cgroups import SANDBOX_CPUS, Cgroup
from tests.helpers.sandboxes import HANDLER, HELPER, MODES, backend_or_why, with_token

LIMITS = Limits(call_seconds=20.0, cpu_seconds=60, memory_bytes=512 * 1024**2, processes=16)
SPINNERS = 6

# Each spinner leaves the worker's session (setsid in a double fork: its parent exits, so
# it is nobody's child in the sandbox) and spins, its token in its command line.
SPINNING = '''
import os, sys


def spin(token, count):
    for _ in range(count):
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                try:
                    os.execv(sys.executable, [sys.executable, "-c", "while True: pass", token])
                finally:
                    os._exit(1)
            os._exit(0)
        os.wait()
    return count
'''


def _spinning_student(tmp_path: Path) -> Path:
    folder = tmp_path / "spinner"
    folder.mkdir()
    (folder / "simpleautodiff.py").write_text(SPINNING)
    return folder


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.parametrize("mode", MODES)
def test_spinners_in_new_sessions_are_capped_and_gone_when_the_sandbox_closes(tmp_path, mode):
    backend = backend_or_why(mode)
    token = f"adkit-spin-{os.urandom(6).hex()}"
    box = backend.open(_spinning_student(tmp_path), HANDLER, [HELPER], limits=LIMITS)
    try:
        reply = box.call({"call": "spin", "args": [token, SPINNERS]})
        assert reply.ok and reply.value == SPINNERS, reply.problem
        assert _wait_for(lambda: len(with_token(token)) == SPINNERS), with_token(token)
        cgroup = box._state.cgroup
        if os.geteuid() == 0 and cgroup is not None:
            # the kernel holds the quota, and every spinner is in the sandbox's cgroup
            assert cgroup.cpu and cgroup.cpu_quota() == SANDBOX_CPUS
            assert set(with_token(token)) <= set(cgroup.pids())
    finally:
        box.close()
    assert with_token(token) == []


def _spinners_outside(token: str, count: int) -> subprocess.Popen:
    """A process that starts `count` spinners in sessions of their own, then waits."""
    code = SPINNING + f"\nspin(os.environ['TOKEN'], {count})\nimport time\ntime.sleep(60)\n"
    return subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, TOKEN=token))


@pytest.mark.parametrize("how", ["cgroup.kill", "freezer", "kill until empty"])
def test_each_way_of_killing_a_cgroup_leaves_no_process(how):
    if os.geteuid() != 0:
        pytest.skip("making a cgroup needs root here")
    group = Cgroup.create(512 * 1024**2, 64)
    if group is None:
        pytest.skip("no writable cgroup on this machine")
    folders = dict(group.folders)
    keep = {"cgroup.kill": {"kill", "v2"}, "freezer": {"freezer"}}.get(how, set())
    if how != "kill until empty" and not keep & set(folders):
        group.remove()
        pytest.skip(f"no {how} on this machine")
    token = f"adkit-spin-{os.urandom(6).hex()}"
    parent = _spinners_outside(token, 4)
    try:
        group.add([parent.pid])  # before it forks: the spinners are born in the cgroup
        assert _wait_for(lambda: len(with_token(token)) == 4)
        # only the way under test: the others are hidden from kill_all
        group.folders = {k: v for k, v in folders.items()
                         if k in keep or k in ("memory", "pids", "cpu")}
        assert group.kill_all(5.0)
        assert with_token(token) == []
    finally:
        group.folders = folders
        parent.kill()
        parent.wait()
        group.kill_all(5.0)
        group.remove()


def test_the_sandbox_report_says_how_cpu_is_shared(capsys):
    from adkit.sandbox import measure

    backend = backend_or_why("trusted")
    if isinstance(backend, str):
        pytest.skip(backend)
    measure.report(backend, True)
    line = next(x for x in capsys.readouterr().out.splitlines() if "cpu and cleanup" in x)
    if os.geteuid() == 0 and Cgroup.create(1 << 30, 8) is not None:
        assert "1 core per sandbox" in line
    else:
        assert "no cgroup can be made here" in line and "nice" in line


LOOPING = "def loop():\n    while True:\n        pass\n\n\ndef double(x):\n    return 2 * x\n"
# Spins for `seconds` of wall time on one CPU, as crowded as its neighbours make it.
CROWDED = ("import os, sys, time\nos.sched_setaffinity(0, {int(sys.argv[1])})\n"
           "end = time.monotonic() + float(sys.argv[2])\nwhile time.monotonic() < end:\n    pass\n")


def test_the_cpu_clock_counts_the_time_a_crowded_cpu_made_processes_wait():
    """Three spinners on one CPU for a second: the clock counts about a second of CPU time
    among them, and about two seconds they were ready to run but waited for the CPU."""
    from adkit.sandbox.processes import CpuClock

    try:
        with open("/proc/self/schedstat") as handle:
            handle.read()
    except OSError:
        pytest.skip("this kernel has no /proc/PID/schedstat (CONFIG_SCHED_INFO)")
    cpu = min(os.sched_getaffinity(0))
    spinners = [subprocess.Popen([sys.executable, "-c", CROWDED, str(cpu), "1.5"])
                for _ in range(3)]
    try:
        time.sleep(0.3)  # all started and sharing the CPU
        clock = CpuClock(lambda: [spinner.pid for spinner in spinners])
        time.sleep(1.0)
        used = clock.seconds()
        waited = clock.queued()
    finally:
        for spinner in spinners:
            spinner.wait()
    # Each of the three is running or ready to run all along: a second each, shared out
    # between the CPU and the queue (two at least wait at any time; more when the machine
    # running the test is busy too).
    assert 2.4 < used + waited < 3.4, (used, waited)
    assert used > 0.05 and waited > 1.0, (used, waited)


class _Crowded:
    """The CPU clock of a machine that gives the worker `share` of the CPU it wants: of
    each wall second, `share` is CPU time and the rest waits in the run queue. Simulated
    from the wall clock alone (the kernel's own figures are the test above), so the test
    holds however loaded the machine that runs it."""

    share = 0.1

    def __init__(self, find) -> None:
        self.started = time.monotonic()

    def seconds(self) -> float:
        return (time.monotonic() - self.started) * self.share

    def queued(self) -> float:
        return (time.monotonic() - self.started) * (1 - self.share)


def _crowded(monkeypatch, share: float) -> None:
    """The sandbox on a crowded machine, with a short backstop (0.9 s for 0.2 s of CPU
    time) and a short end (2.7 s) so the test is quick."""
    from adkit.sandbox import session

    monkeypatch.setattr(_Crowded, "share", share)
    monkeypatch.setattr(session, "CpuClock", _Crowded)
    monkeypatch.setattr(session, "wall_backstop", lambda cpu: 2 * cpu + 0.5)
    monkeypatch.setattr(session, "wall_most", lambda cpu: 3 * (2 * cpu + 0.5))


def _looper(tmp_path: Path) -> Path:
    folder = tmp_path / "looper"
    folder.mkdir()
    (folder / "simpleautodiff.py").write_text(LOOPING)
    return folder


@pytest.mark.parametrize("mode", MODES)
def test_a_loop_on_a_crowded_machine_runs_out_of_cpu_time_it_is_not_told_it_waited(
        tmp_path, monkeypatch, mode):
    """The CI failure of 2026-12-07: on a loaded machine an endless loop got less CPU than
    its limit before the wall-clock backstop, and its feedback said it waited (a sleep?).
    Time ready to run but given no CPU moves the backstop: the loop is stopped when it has
    used its CPU time, with the same words as on an idle machine."""
    backend = backend_or_why(mode)
    _crowded(monkeypatch, share=0.1)
    with backend.open(_looper(tmp_path), HANDLER, [HELPER], limits=LIMITS) as box:
        assert box.call({"call": "double", "args": [1]}).ok  # started
        started = time.monotonic()
        reply = box.call({"call": "loop"}, timeout=0.2)
        took = time.monotonic() - started
        assert not reply.ok and reply.stopped == "cpu", reply.problem
        assert reply.problem.startswith("did not finish within 0.2 s of CPU time")
        assert took > 0.9  # past the backstop: without the queue it would have "waited"


@pytest.mark.parametrize("mode", MODES)
def test_a_machine_too_busy_to_judge_a_call_is_a_grader_error_not_the_students(
        tmp_path, monkeypatch, mode):
    """A call that never gets its CPU time is stopped all the same (nothing hangs the run),
    as the machine's problem: SandboxError, which grading reports as a grader error that a
    rerun grades again. The sandbox goes on with a fresh worker."""
    backend = backend_or_why(mode)
    _crowded(monkeypatch, share=0.0)
    with backend.open(_looper(tmp_path), HANDLER, [HELPER], limits=LIMITS) as box:
        assert box.call({"call": "double", "args": [1]}).ok
        started = time.monotonic()
        with pytest.raises(SandboxError, match="the machine was too busy to grade this call"):
            box.call({"call": "loop"}, timeout=0.2)
        assert 2.6 < time.monotonic() - started < 10
        assert box.call({"call": "double", "args": [4]}).value == 8
