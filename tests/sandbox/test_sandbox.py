"""The sandbox against hostile submissions, under every backend that runs here.

The student module is tests/fixtures/sandbox_cases/student.py (copied as simpleautodiff.py);
its functions each do one hostile thing, called through tests/fixtures/sandbox_cases/
handler.py. Import-time hostility uses small modules written here. Limits are small so the
suite is quick.
"""

from __future__ import annotations

import builtins
import functools
import math
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

from adkit.sandbox import (
    Limits,
    Sandbox,
    SandboxError,
    SandboxUnavailable,
    choose,
    choose_backend,
    measure,
    seccomp,
)
from adkit.sandbox import bubblewrap as bubblewrap_module
from adkit.sandbox import staged as staged_module
from adkit.sandbox.cgroups import cgroup_support
from adkit.sandbox.files import python_for_others
from tests.helpers.sandboxes import (
    HANDLER,
    HELPER,
    ISOLATING,
    MODES,
    STUDENT,
    backend_or_why,
    backend_param,
    with_token,
)

LIMITS = Limits(call_seconds=10.0, cpu_seconds=20, memory_bytes=512 * 1024**2, processes=8,
                file_bytes=1024**2, output_bytes=4096, reply_bytes=1024**2)
ROOT = os.geteuid() == 0


def _submission(folder: Path, source: str | bytes | None = None) -> Path:
    folder.mkdir()
    target = folder / "simpleautodiff.py"
    if source is None:
        shutil.copyfile(STUDENT, target)
    elif isinstance(source, bytes):
        target.write_bytes(source)
    else:
        target.write_text(source)
    return folder


def _alive(uid: int) -> list[int]:
    """Live processes whose real uid is `uid` (each worker run by root has its own)."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry.name}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["Uid"].split()[0]) == uid and fields["State"].split()[0] not in "ZX":
            pids.append(int(entry.name))
    return pids


def _plain_contains_forks(mode: str) -> bool:
    """Whether this backend stops a fork bomb here: trusted needs root and an interpreter
    other users may run, for a fresh uid (see the docs)."""
    return mode != "trusted" or (ROOT and python_for_others() is not None)


@pytest.fixture
def student(tmp_path: Path) -> Path:
    return _submission(tmp_path / "alice")


def _box(submission: Path, mode: str, limits: Limits = LIMITS) -> Sandbox:
    backend = backend_or_why(mode)
    assert not isinstance(backend, str), backend
    return backend.open(submission, HANDLER, [HELPER], limits=limits)


@pytest.mark.parametrize("mode", MODES)
def test_answers_travel_both_ways(student: Path, mode: str) -> None:
    with _box(student, mode) as box:
        assert box.mode == mode
        assert box.call({"call": "double", "args": [21]}).value == 42
        assert box.call({"call": "echo", "args": [1, "two"]}).value == {"echo": [1, "two"]}
        reply = box.call({"call": "strange_numbers"})
        assert reply.ok, reply.problem
        nan, inf, minus_inf, plain = reply.value
        assert math.isnan(nan) and inf == math.inf and minus_inf == -math.inf and plain == 1.5
        reply = box.call({"call": "double", "args": [math.inf]})
        assert reply.value == math.inf


@pytest.mark.parametrize("mode", MODES)
def test_a_busy_machine_changes_no_outcome(student: Path, mode: str) -> None:
    """A call's limit is CPU time: a worker that gets no CPU for a while (as on a machine
    busy with other students) still finishes; one that uses more CPU than its limit does
    not, however idle the machine."""
    with _box(student, mode) as box:
        assert box.call({"call": "double", "args": [1]}).ok  # started
        held = threading.Event()

        def starve() -> None:  # stop every process of the worker for 2.5 s
            time.sleep(0.2)
            pids = box._state.worker.cpu_pids()
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            held.set()
            time.sleep(2.5)
            for pid in pids:
                os.kill(pid, signal.SIGCONT)

        thief = threading.Thread(target=starve)
        thief.start()
        started = time.monotonic()
        reply = box.call({"call": "spin", "args": [0.5]}, timeout=1.0)
        thief.join()
        assert held.is_set() and time.monotonic() - started > 2.5
        assert reply.ok and reply.value == 0.5, reply.problem
        assert 0.4 < reply.cpu_seconds < 1.0
        reply = box.call({"call": "spin", "args": [1.5]}, timeout=1.0)
        assert not reply.ok and "1 s of CPU time" in reply.problem


@pytest.mark.parametrize("mode", MODES)
def test_an_exception_names_the_students_line(student: Path, mode: str) -> None:
    line = next(number for number, text in enumerate(STUDENT.read_text().splitlines(), 1)
                if "the line the problem must name" in text)
    with _box(student, mode) as box:
        reply = box.call({"call": "fail"})
        assert not reply.ok
        where = f"(at simpleautodiff.py:{line})"
        assert reply.problem == f"raised ValueError: no key 'answer' here {where}"
        assert box.call({"call": "double", "args": [2]}).value == 4


# (function, arguments, time-out, what the problem must say, needs fork containment)
HOSTILE = [
    ("loop", [], 1.0, "did not finish within 1 s of CPU time (an infinite loop?)", False),
    ("stop_self", [], 1.0, "did not finish within 7 s, using little of its 1 s of CPU time: "
     "it waited", False),
    ("eat_memory", [], None, "ran out of memory (limit 512 MiB)", False),
    ("leave_exit", [3], None, "the process exited with status 3 (sys.exit or os._exit", False),
    ("hard_exit", [4], None, "the process exited with status 4 (sys.exit or os._exit", False),
    ("fork_bomb", [], 2.0, "was killed: too many processes (limit 8)", True),
    ("thread_bomb", [], None, "was killed: too many processes (limit 8)", True),
    ("write_big", [2 * 1024**2], None, "wrote more than 1 MiB to a file", False),
    ("channel_garbage", [], None, "not an answer on the grader's private channel", False),
    ("channel_forged", [], None, "not an answer on the grader's private channel", False),
    ("channel_close", [], None, "closed or broke the grader's private channel", False),
    ("unsendable", [], None, "gave an answer that cannot be sent as JSON (TypeError", False),
    ("huge", [2 * 1024**2], None, "gave an answer larger than 1 MiB", False),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("function", "args", "timeout", "problem", "forks"), HOSTILE,
                         ids=[case[0] for case in HOSTILE])
def test_hostile_calls_become_problems(student: Path, mode: str, function: str, args: list,
                                       timeout: float | None, problem: str,
                                       forks: bool) -> None:
    if forks and not _plain_contains_forks(mode):
        pytest.skip("a trusted sandbox contains a fork bomb only when run by root")
    box = _box(student, mode)
    uids = [box.call({"call": "whoami"}).value["uid"]]
    reply = box.call({"call": function, "args": args}, timeout=timeout)
    assert not reply.ok
    assert problem in reply.problem
    # Which time limit stopped it, for the grader (a fork bomb is said as one, not as time)
    assert reply.stopped == {"loop": "cpu", "stop_self": "waited"}.get(function), reply
    again = box.call({"call": "whoami"})  # a fresh or the same worker: it answers
    assert again.ok, again.problem
    uids.append(again.value["uid"])
    box.close()
    box.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        box.call({"call": "whoami"})
    if uids[0] != os.getuid():  # each worker had a uid of its own: nothing may be left
        assert [_alive(uid) for uid in uids] == [[], []]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("function", "args", "timeout", "problem", "forks"), HOSTILE,
                         ids=[case[0] for case in HOSTILE])
def test_a_tasks_process_fails_in_the_same_words(student: Path, mode: str, function: str,
                                                 args: list, timeout: float | None,
                                                 problem: str, forks: bool) -> None:
    """In a task's forked process, each hostile call reads as it does in the worker, and the
    next call of that task (and of another) gets a process that answers."""
    if forks and not _plain_contains_forks(mode):
        pytest.skip("a trusted sandbox contains a fork bomb only when run by root")
    with _box(student, mode) as box:
        first = box.call({"call": "whoami"}, task="a").value["pid"]
        reply = box.call({"call": function, "args": args}, timeout=timeout, task="a")
        assert not reply.ok
        assert problem in reply.problem
        again = box.call({"call": "whoami"}, task="a")
        assert again.ok, again.problem
        other = box.call({"call": "whoami"}, task="b")
        assert other.ok, other.problem
        assert other.value["pid"] not in (first, again.value["pid"]) or mode == "bubblewrap"


@pytest.mark.parametrize("mode", MODES)
def test_each_task_gets_a_process_of_its_own(student: Path, mode: str) -> None:
    """Forked from the worker after import: a task's calls share one process, a new task
    gets a fresh one (what one task swapped in cannot reach another), untagged calls run in
    the worker itself."""
    with _box(student, mode) as box:
        def pid(task: str | None) -> int:
            return box.call({"call": "whoami"}, task=task).value["pid"]

        worker = pid(None)
        a = [pid("a"), pid("a")]
        b = pid("b")
        assert pid(None) == worker
        again = pid("a")
        assert a[0] == a[1] and len({worker, a[0], b, again}) == 4
        assert box.call({"call": "patch"}, task="c").ok  # patches builtins in c's process
        assert box.call({"call": "whoami"}, task="d").value["sin0"] == 0.0, "not patched"


@pytest.mark.parametrize("mode", ISOLATING)
def test_nothing_made_in_the_worker_carries_one_tasks_data_to_the_next(student: Path,
                                                                      mode: str) -> None:
    """Shared memory is refused (seccomp), and a task's process keeps none of the
    descriptors the student's code made in the worker (as at import): what one task was
    handed cannot reach the next through them."""
    with _box(student, mode) as box:
        opened = box.call({"call": "open_channels"})
        assert opened.ok, opened.problem
        assert opened.value == ["mmap", "shmget"], "MAP_SHARED and SysV memory refused"
        wrote = box.call({"call": "stash", "args": ["handed-out"]}, task="a")
        assert wrote.ok and wrote.value == [], wrote  # closed in the task's process
        assert box.call({"call": "recall"}, task="b").value == []
        assert box.call({"call": "recall"}, task="c", final=True).value == []


@pytest.mark.parametrize("mode", MODES)
def test_the_final_task_runs_in_the_worker_itself(student: Path, mode: str) -> None:
    """No task follows the last one, so there is nothing to isolate it from: the worker
    serves it itself (no fork to copy what it keeps). A task sent after it anyway gets a
    new worker, imported afresh."""
    with _box(student, mode) as box:
        def me(task: str | None, final: bool = False) -> dict:
            reply = box.call({"call": "whoami"}, task=task, final=final)
            assert reply.ok, reply.problem
            return reply.value

        worker = me(None)["pid"]
        assert me("a")["pid"] != worker
        assert box.call({"call": "patch"}, task="z", final=True).ok
        last = me("z", final=True)
        assert last["pid"] == worker and last["sin0"] == 42.0, "served by the worker itself"
        assert me("b")["sin0"] == 0.0, "after the final task: a new worker"


@pytest.mark.parametrize("mode", MODES)
def test_where_no_task_process_can_fork_each_task_gets_a_new_worker(tmp_path: Path,
                                                                    mode: str) -> None:
    """A worker that cannot fork (here: the student's import leaves it no process to spare;
    elsewhere a killed fork bomb not yet reaped) serves the task itself, and is replaced
    before another task runs."""
    if not _plain_contains_forks(mode):
        pytest.skip("RLIMIT_NPROC binds only a worker with a uid of its own")
    source = "import resource\nresource.setrlimit(resource.RLIMIT_NPROC, (0, 0))\n"
    folder = _submission(tmp_path / "bob", source + STUDENT.read_text())
    with _box(folder, mode) as box:
        def me(task: str | None) -> dict:
            reply = box.call({"call": "whoami"}, task=task)
            assert reply.ok, reply.problem
            return reply.value

        assert box.call({"call": "patch"}, task="a").value == [42, 42.0]
        assert me("a")["sin0"] == 42.0, "the same process serves the rest of its task"
        assert me("b")["sin0"] == 0.0, "another task: a new worker, imported afresh"


@pytest.mark.parametrize("mode", [backend_param("bubblewrap")])
def test_the_scratch_space_is_bounded_under_bubblewrap(student: Path, mode: str) -> None:
    with _box(student, mode) as box:
        reply = box.call({"call": "fill_disk", "args": [1024**2 - 1]})
        assert reply.problem.startswith("ran out of disk space for its files")
        assert box.call({"call": "double", "args": [1]}).value == 2


@pytest.mark.parametrize("mode", MODES)
def test_the_cpu_limit_ends_a_loop(student: Path, mode: str) -> None:
    limits = Limits(cpu_seconds=1, memory_bytes=512 * 1024**2)
    with _box(student, mode, limits) as box:
        reply = box.call({"call": "loop"}, timeout=20)
        assert reply.problem == "used more than 1 s of CPU time (an infinite loop?)"


@pytest.mark.parametrize("mode", MODES)
def test_nothing_left_running_survives_close(student: Path, mode: str, tmp_path: Path) -> None:
    token = f"adkit-leftover-{os.urandom(6).hex()}"
    box = _box(student, mode)
    reply = box.call({"call": "leave_running", "args": [token]})
    assert reply.value == "left", reply.problem
    uid = box.call({"call": "whoami"}).value["uid"]  # the worker still answers
    assert box.call({"call": "double", "args": [5]}).value == 10
    assert with_token(token), "the test's own leftover processes did not start"
    box.close()
    assert with_token(token) == []
    if uid != os.getuid():
        assert _alive(uid) == []


@pytest.mark.parametrize("mode", MODES)
def test_output_is_captured_capped_and_never_an_answer(student: Path, mode: str,
                                                       tmp_path: Path) -> None:
    with _box(student, mode) as box:
        reply = box.call({"call": "shout", "args": [1_000_000]})
        assert reply.value == 1_000_000
        assert reply.output.startswith("x" * 100)
        assert len(reply.output) < 4096 + 100
        assert "more bytes of output were dropped" in reply.output
        reply = box.call({"call": "forge", "args": [str(tmp_path)]})
        assert reply.ok and reply.value == 1
        assert '"value": 100' in reply.output and "alice,10" in reply.output
        assert box.call({"call": "double", "args": [1]}).output == ""
    if mode == "bubblewrap" or _plain_contains_forks(mode):
        assert not (tmp_path / "results.json").exists()


@pytest.mark.parametrize("mode", MODES)
def test_writes_stay_inside(student: Path, mode: str, tmp_path: Path) -> None:
    targets = [tmp_path / "escaped.txt", student / "escaped.txt"]
    host_tmp = Path(f"/tmp/adkit-escaped-{os.urandom(6).hex()}")
    if _plain_contains_forks(mode):  # a worker with a uid of its own: its /tmp files go at
        targets.append(host_tmp)     # close (bubblewrap: a private /tmp); trusted: a gap
    try:
        with _box(student, mode) as box:
            reply = box.call({"call": "write_outside", "args": [[str(p) for p in targets]]})
            assert reply.ok, reply.problem
        if mode == "bubblewrap" or _plain_contains_forks(mode):
            assert [p for p in targets if p.exists()] == []
    finally:
        host_tmp.unlink(missing_ok=True)


@pytest.mark.parametrize("mode", [backend_param("bubblewrap")])
def test_the_kit_is_invisible_under_bubblewrap(student: Path, mode: str) -> None:
    with _box(student, mode) as box:
        reply = box.call({"call": "search_disk"}, timeout=20)
        assert reply.ok, reply.problem
        *paths, cmdline = reply.value
        assert paths == ["/submission/simpleautodiff.py"]
        assert str(student) not in cmdline and "/work" not in cmdline
        assert box.call({"call": "write_outside", "args": [["/y", "/grader/y"]]}).value == []


@pytest.mark.parametrize("mode", MODES)
def test_patching_builtins_stays_in_the_students_process(student: Path, mode: str) -> None:
    with _box(student, mode) as box:
        assert box.call({"call": "patch"}).value == [42, 42.0]
    assert builtins.abs(-1) == 1 and math.sin(0.0) == 0.0
    with _box(student, mode) as box:
        me = box.call({"call": "whoami"}).value
        assert me["sin0"] == 0.0
        if me["oom"] is None and mode == "container":  # no /proc inside: look from here
            me["oom"] = Path(f"/proc/{me['pid']}/oom_score_adj").read_text().strip()
        assert me["oom"] == "1000"  # the kernel's first choice when memory runs out
        if _plain_contains_forks(mode):
            assert me["uid"] != 0


# (module source, what the problem must say, whether a second call costs a time-out)
AT_IMPORT = [
    ("while True:\n    pass\n", "did not finish within 1 s", True),
    ("import sys\nsys.exit(2)\n", "the process exited with status 2", False),
    ("import os\nos._exit(5)\n", "the process exited with status 5", False),
    ("x = 1\ndef f(:\n    pass\n", "importing the code raised SyntaxError", False),
    (b"x = '\xff\xfe'\n", "importing the code raised SyntaxError", False),
    ("print('{\"ok\": true, \"value\": 100}')\nraise KeyError('k')\n",
     "importing the code raised KeyError: 'k' (at simpleautodiff.py:2)", False),
    ("x = [0] * 10**10\n", "ran out of memory (limit 512 MiB)", False),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("source", "problem", "slow"), AT_IMPORT,
                         ids=["loop", "exit", "os_exit", "syntax", "not_utf8", "raise", "memory"])
def test_hostile_imports_become_problems(tmp_path: Path, mode: str, source: str | bytes,
                                         problem: str, slow: bool) -> None:
    folder = _submission(tmp_path / "bob", source)
    with _box(folder, mode) as box:
        reply = box.call({"call": "double", "args": [1]}, timeout=1.0 if slow else None)
        assert not reply.ok
        assert problem in reply.problem
        if isinstance(source, bytes):
            assert "utf-8" in reply.problem and "simpleautodiff.py:1" in reply.problem
        if not slow:  # the same answer again, from the same or a fresh worker
            assert problem in box.call({"call": "double", "args": [1]}).problem


@pytest.mark.parametrize("mode", MODES)
def test_an_unreadable_submission_is_still_graded(tmp_path: Path, mode: str) -> None:
    folder = _submission(tmp_path / "carol")
    os.chmod(folder / "simpleautodiff.py", 0o600)
    os.chmod(folder, 0o700)
    with _box(folder, mode) as box:
        assert box.call({"call": "double", "args": [3]}).value == 6


@pytest.mark.parametrize("mode", MODES)
def test_a_worker_that_dies_between_calls_is_replaced(student: Path, mode: str) -> None:
    with _box(student, mode) as box:
        first = box.call({"call": "whoami"}).value
        assert box.call({"call": "close_requests"}).value == 1  # answers, then cannot read
        assert box.call({"call": "double", "args": [7]}).value == 14
        second = box.call({"call": "whoami"}).value
        if mode != "bubblewrap" or ROOT:  # a new worker shows a new pid or a uid of its own
            assert (second["uid"], second["pid"]) != (first["uid"], first["pid"])


@pytest.mark.parametrize("mode", MODES)
def test_a_sandbox_that_cannot_start_raises(student: Path, mode: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (bubblewrap_module, staged_module):
        monkeypatch.setattr(module, "PYTHON_FLAGS", ("--no-such-flag",))
    with _box(student, mode) as box, pytest.raises(SandboxError, match="failed to start"):
        box.call({"call": "double", "args": [1]})


@pytest.mark.parametrize("mode", ISOLATING)
def test_nested_user_namespaces_are_refused(student: Path, mode: str) -> None:
    with _box(student, mode) as box:
        assert box.call({"call": "new_user_namespace"}).value == "refused"


@pytest.mark.parametrize("mode", ISOLATING)
def test_the_network_is_out_of_reach(student: Path, mode: str) -> None:
    """Listeners on this machine's loopback and on an abstract Unix socket hear nothing from
    the worker: both backends install the seccomp filter that refuses sockets (and bwrap
    gives the worker a network namespace of its own besides)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener, \
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as local:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        local.bind(f"\0adkit-test-{port}")
        for sock in (listener, local):
            sock.listen(4)
            sock.setblocking(False)
        with _box(student, mode) as box:
            reply = box.call({"call": "phone_home", "args": [port]})
        assert reply.ok, reply.problem
        tried = reply.value
        for sock in (listener, local):
            with pytest.raises(BlockingIOError):
                sock.accept()
    assert "connected" not in (tried["tcp"], tried["tcp6"], tried["unix"]), tried
    assert set(tried.values()) == {"refused"}, tried  # both install the seccomp filter


@pytest.mark.parametrize("mode", MODES)
def test_scratch_modules_beside_the_package_change_nothing(tmp_path: Path, mode: str) -> None:
    folder = _submission(tmp_path / "dave")
    for name in ("random", "json", "importlib", "helper", "errno", "resource"):
        (folder / f"{name}.py").write_text("raise SystemExit('the kit imported me')\n")
    with _box(folder, mode) as box:
        assert box.call({"call": "double", "args": [4]}).value == 8
        assert box.call({"call": "echo", "args": [1]}).value == {"echo": [1]}
        places = box.call({"call": "where_am_i"}).value
        assert "dave" not in places["random"] and "dave" not in places["json"]
        assert "submission" not in places["random"]


@pytest.mark.parametrize("mode", MODES)
def test_student_text_is_capped_whatever_its_type_claims(student: Path, mode: str) -> None:
    with _box(student, mode) as box:
        reply = box.call({"call": "lying_message", "args": [1_000_000]})
        assert reply.problem.startswith("raised Lying: mmmm")
        assert len(reply.problem.encode()) < 1000
        reply = box.call({"call": "lying_name", "args": [1_000_000]})
        assert reply.problem.startswith("raised NNNN")
        assert len(reply.problem.encode()) < 1000
        assert box.call({"call": "double", "args": [1]}).value == 2


@pytest.mark.skipif(cgroup_support() is None, reason="no writable cgroup here: memory is "
                    "bounded per process only")
@pytest.mark.parametrize("mode", ISOLATING)
def test_memory_is_bounded_for_the_whole_sandbox(student: Path, mode: str) -> None:
    limits = Limits(call_seconds=30, memory_bytes=400 * 1024**2, processes=8)
    with _box(student, mode, limits) as box:
        # 4 x 150 MiB: each process is under RLIMIT_AS, together over the cgroup's limit
        reply = box.call({"call": "memory_together", "args": [4, 150 * 1024**2]})
        assert reply.value != "all lived", reply


@pytest.mark.parametrize("mode", [backend_param("container")])
def test_container_workers_cannot_read_each_other(tmp_path: Path, mode: str) -> None:
    alice = _submission(tmp_path / "alice")
    bob = _submission(tmp_path / "bob")
    with _box(alice, mode) as one, _box(bob, mode) as two:
        uid = one.call({"call": "whoami"}).value["uid"]
        assert uid >= 100_000 and uid != two.call({"call": "whoami"}).value["uid"]
        one.restart()
        assert one.call({"call": "whoami"}).value["uid"] == uid  # restarts keep the uid
        mine = one.call({"call": "where_am_i"}).value["cwd"]
        theirs = two.call({"call": "where_am_i"}).value["cwd"]
        stage = str(Path(theirs).parent)
        paths = [theirs, f"{stage}/submission", f"{stage}/submission/simpleautodiff.py"]
        assert one.call({"call": "read_paths", "args": [paths]}).value == []
        assert one.call({"call": "read_paths", "args": [[mine]]}).value == [mine]


@pytest.mark.parametrize("mode", [backend_param("container")])
def test_container_check_secrets_names_what_is_readable(mode: str,
                                                        request: pytest.FixtureRequest) -> None:
    backend = backend_or_why(mode)
    secrets = Path(tempfile.mkdtemp(prefix="adkit-kit-"))  # pytest's tmp_path is root's only
    request.addfinalizer(functools.partial(shutil.rmtree, secrets))
    (secrets / "graders").mkdir(parents=True)
    (secrets / "graders" / "answers.py").write_text("SECRET = 1\n")
    for path in (secrets, secrets / "graders"):
        os.chmod(path, 0o755)
    os.chmod(secrets / "graders" / "answers.py", 0o644)
    backend.check_secrets([secrets / "graders"])  # readable by all, but not in a worker's view
    hidden = backend.jail.root / "usr" / "hidden"  # planted in the view, in a folder that
    hidden.mkdir(mode=0o711)                         # others may enter but not list
    request.addfinalizer(functools.partial(shutil.rmtree, hidden))
    shutil.copy(secrets / "graders" / "answers.py", hidden / "notes.txt")
    os.chmod(hidden / "notes.txt", 0o644)
    with pytest.raises(SandboxUnavailable, match="notes.txt") as caught:
        backend.check_secrets([secrets / "graders", secrets / "missing"])
    assert "\n" not in str(caught.value)
    os.chmod(hidden / "notes.txt", 0o600)
    backend.check_secrets([secrets / "graders", secrets / "missing"])


def test_bad_arguments_say_what_to_do(tmp_path: Path, student: Path) -> None:
    backend = choose_backend(trusted=True)
    with pytest.raises(ValueError, match="is not a folder"):
        backend.open(tmp_path / "missing", HANDLER)
    with pytest.raises(ValueError, match="is not a Python file"):
        backend.open(student, tmp_path / "handler.txt")
    with pytest.raises(ValueError, match="two files are named handler.py"):
        backend.open(student, HANDLER, [HANDLER])
    with pytest.raises(ValueError, match="no sandbox backend is named 'docker'"):
        choose.backend_named("docker")


def test_choosing_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(choose, "_isolating", lambda: (None, ("bubblewrap cannot run: x",
                                                             "container needs root: y")))
    with pytest.raises(SandboxUnavailable) as caught:
        choose_backend()
    message = str(caught.value)
    assert "\n" not in message and "bubblewrap cannot run: x" in message
    assert "--trusted" in message and "install bubblewrap" in message
    trusted = choose_backend(trusted=True)
    assert trusted.name == "trusted" and not trusted.isolating


def test_the_chosen_backend_isolates_and_explains_itself() -> None:
    try:
        backend = choose_backend()
    except SandboxUnavailable as exc:
        pytest.skip(f"no isolating backend here: {exc}")
    assert backend.isolating and backend.name in ("bubblewrap", "container")
    line = backend.describe()
    assert "\n" not in line and line.startswith(backend.name)
    assert choose_backend(trusted=True) is backend  # trusted only when nothing isolates


def test_the_in_process_backend_does_not_isolate() -> None:
    backend = choose._make("in-process")
    assert backend.name == "in-process" and not backend.isolating
    assert "\n" not in backend.describe()
    backend.check_secrets([Path("graders")])  # nothing to check


def test_the_seccomp_filter_is_well_formed() -> None:
    for machine in ("x86_64", "aarch64"):
        program = seccomp.program(machine)
        assert len(program) % 8 == 0 and 8 < len(program) // 8 < 256
    with pytest.raises(ValueError, match="x86_64 and aarch64 only"):
        seccomp.program("riscv64")


def test_python_m_adkit_sandbox_says_what_runs_here(capsys: pytest.CaptureFixture) -> None:
    assert measure.main(["--backend", "trusted", "--no-measure"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("trusted: ") and "network: NOT isolated" in out
    assert measure.main(["--backend", "docker", "--no-measure"]) == 1
    assert "no sandbox backend is named 'docker'" in capsys.readouterr().err


@pytest.mark.parametrize("mode", [backend_param("container")])
def test_without_bwrap_root_gets_the_container_backend(mode: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bubblewrap_module, "find_bwrap",
                        lambda: (None, "", "no system bwrap on PATH; bwrap: no namespaces"))
    monkeypatch.setattr(choose, "_isolating", choose._isolating.__wrapped__)
    backend = choose_backend()
    assert backend.name == "container" and backend.isolating
    assert choose.refusals() == ("bubblewrap cannot run here: no system bwrap on PATH; "
                                 "bwrap: no namespaces",)
    assert "network: refused by seccomp" in backend.describe()
