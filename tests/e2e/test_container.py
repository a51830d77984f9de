"""The Gradescope bundle in a simulated default container (tests/helpers/container_sim.py).

Gradescope's default container is root in a user namespace with the full identity map, no
CAP_SYS_ADMIN and no user namespaces: bwrap cannot start, so the kit grades in its container
backend (each worker chrooted into a tree of system files, under a uid of its own). The
simulation shows the WHOLE checkout of the kit, readable by all (reference, graders, the
cohort's correct solutions): a disk search from inside a worker must find none of it, and
the start-up check must refuse to grade when a solution is planted in the worker's view.
run_autograder grades a correct, a buggy and two disk-searching submissions as `make grade`
would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from adkit.model.rubric import load_rubric
from adkit.platforms import gradescope
from tests.helpers import COHORT, FIXTURES, HOSTILE, ROOT, container_sim
from tests.helpers.cohorts import copy_cohort
from tests.helpers.container_sim import INSIDE, in_container

BUG = "bug_forward_mode_keeps_state"  # tests/cohort: loses forward_mode only
CASES = FIXTURES / "container_cases"
SEARCHES = CASES / "hostile_searches_every_file"
CORRECT = COHORT / "correct_kahn" / "simpleautodiff.py"
pytestmark = pytest.mark.skipif(bool(container_sim.problem()), reason=container_sim.problem()
                                or "a simulated container runs here")


def _bwrap() -> str | None:
    try:
        from adkit.sandbox.bubblewrap import find_bwrap
    except ImportError:
        return shutil.which("bwrap")
    return find_bwrap()[0]


def test_the_simulated_container_looks_like_gradescopes(tmp_path):
    """uid 0, no CAP_SYS_ADMIN, no user namespaces, bwrap fails, setuid works."""
    bwrap = _bwrap()
    host_limit = Path("/proc/sys/user/max_user_namespaces").read_text()
    script = (
        "id -u; grep CapBnd /proc/self/status; cat /proc/sys/user/max_user_namespaces; "
        "unshare --user true 2>/dev/null && echo userns=yes || echo userns=no; "
        "setpriv --reuid=54321 --regid=54321 --clear-groups id -u; "
        + (f"{bwrap} --unshare-all --bind / / true 2>/dev/null && echo bwrap=yes "
           "|| echo bwrap=no; " if bwrap else "echo bwrap=no; ")
        + "ls -A /work; ls -A /tmp")
    done = container_sim.run(["sh", "-c", script], hide=["/tmp", "/work"], timeout=60)
    lines = done.stdout.split()
    assert done.returncode == 0, done.stderr
    assert lines[0] == "0"
    bounding = int(lines[2], 16)
    assert not bounding & (1 << container_sim.CAP_SYS_ADMIN)
    assert bounding & (1 << 7)  # CAP_SETUID stays: the container backend needs it
    assert lines[3:7] == ["0", "userns=no", "54321", "bwrap=no"]
    assert lines[7:] == [], "the hidden folders are not empty"
    # The limit is per user namespace: 0 in the container, the host's is unchanged.
    assert Path("/proc/sys/user/max_user_namespaces").read_text() == host_limit
    assert int(host_limit) > 0


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return gradescope.build(tmp_path_factory.mktemp("bundle"))


def _lay_out(bundle: Path, root: Path, student: Path | None) -> None:
    """/autograder as Gradescope lays it out, under `root` (readable by all, as there)."""
    root.mkdir()
    os.chmod(root, 0o755)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):  # zipfile drops the mode bits
        os.chmod(root / "source" / name, 0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    if student is not None:
        shutil.copytree(student, root / "submission",
                        ignore=shutil.ignore_patterns("__pycache__"))
    (root / "submission_metadata.json").write_text(
        json.dumps({"users": [{"sid": "s1", "email": "s1@example.edu"}]}), encoding="utf-8")


def _setup(root: Path) -> None:
    done = in_container(["bash", str(INSIDE / "source" / "setup.sh")], root,
                        cwd=INSIDE / "source", timeout=120, extra_env={"ADKIT_SETUP_OFFLINE": "1"})
    assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-2000:]
    for path in [root / "source", *(root / "source").rglob("*")]:
        assert not path.lstat().st_mode & 0o077, f"{path} is readable by others"


def _autograde(root: Path, bind: dict | None = None) -> dict:
    done = in_container(["bash", str(INSIDE / "run_autograder")], root, cwd=INSIDE,
                        timeout=600, bind=bind)
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    results["_stderr"] = done.stderr
    return results


def _tasks(results: dict) -> dict[str, float]:
    return results.get("extra_data", {}).get("tasks", {})


def test_the_whole_checkout_is_there_and_readable_by_any_uid():
    """The simulation is as bad as a TA's checkout: any uid can read its solutions."""
    script = (f"setpriv --reuid=54321 --regid=54321 --clear-groups cat {CORRECT} "
              f"{ROOT / 'reference' / 'simpleautodiff' / 'order.py'} "
              f"{ROOT / 'graders' / 'rubric.toml'} | wc -c")
    done = container_sim.run(["sh", "-c", script], hide=container_sim.hidden_in_container(),
                             bind={ROOT: ROOT}, timeout=60)
    assert done.returncode == 0 and int(done.stdout) > 1000, done.stderr


SEARCH_IN_A_WORKER = """
import json, sys, tempfile
from pathlib import Path
from adkit.sandbox.container import ContainerBackend
kit, cases = Path(sys.argv[1]), Path(sys.argv[2])
backend = ContainerBackend()
empty = Path(tempfile.mkdtemp())
with backend.open(empty, cases / "search_handler.py", [cases / "search.py"]) as box:
    reply = box.call({"budget": 15.0}, timeout=60)
print(json.dumps({"ok": reply.ok, "value": reply.value, "problem": reply.problem}))
"""


def test_a_disk_search_in_a_worker_finds_nothing(tmp_path):
    """From inside a container worker, a search of every readable file (any folder,
    /proc/*/root, /proc/*/cwd, /proc/self/fd, /dev/shm, /tmp) finds no solution, while the
    whole checkout lies readable on the container's disk."""
    root = tmp_path / "root"
    root.mkdir()
    done = in_container([sys.executable, "-c", SEARCH_IN_A_WORKER, str(ROOT), str(CASES)],
                        root, cwd="/", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    reply = json.loads(done.stdout.splitlines()[-1])
    assert reply["ok"], reply["problem"]
    found = reply["value"]
    assert found["files"] == [] and found["packages"] == [], found
    assert found["complete"], "the search did not go through the whole view in time"
    assert found["readable"] > 100  # it did look: the standard library is there to read


STUDENT_CODE_IN_A_WORKER = """
import json, os, subprocess, sys, tempfile
from pathlib import Path
from adkit.sandbox.container import ContainerBackend
cases = Path(sys.argv[1])
backend = ContainerBackend()
student = Path(tempfile.mkdtemp())
(student / "helper_mod.py").write_text("def twice(x):\\n    return 2 * x\\n")
with backend.open(student, cases / "stdlib_handler.py") as box:
    reply = box.call({}, timeout=120)
# The same interpreter outside any sandbox, as a uid of its own: what imports there?
code = f"import sys; sys.path.insert(0, {str(cases)!r}); import stdlib_handler, json; " \\
       "print(json.dumps(stdlib_handler.handle({'only_import': True})))"
host = subprocess.run([str(backend.python), "-I", "-S", "-c", code], capture_output=True,
                      text=True, user=54321, group=54321, extra_groups=[], cwd="/")
print(json.dumps({"ok": reply.ok, "value": reply.value, "problem": reply.problem,
                  "host": json.loads(host.stdout)}))
"""


def test_student_code_keeps_working_in_a_worker(tmp_path):
    """Every standard library module that imports outside a sandbox imports in a container
    worker; the student's own modules, scratch and temporary files work."""
    root = tmp_path / "root"
    root.mkdir()
    done = in_container([sys.executable, "-c", STUDENT_CODE_IN_A_WORKER, str(CASES)], root,
                        cwd="/", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    reply = json.loads(done.stdout.splitlines()[-1])
    assert reply["ok"], reply["problem"]
    value = reply["value"]
    assert value["own"] == 42 and value["files"] == ["kept", "temporary"]
    assert value["math"] == [4.0, 10, [1, 3, 6], True]
    missing = sorted(set(reply["host"]) - set(value["modules"]))
    assert missing == [], f"these import outside the sandbox but not in a worker: {missing}"
    assert len(value["modules"]) > 150


@pytest.mark.slow
def test_bundle_grades_in_the_default_container(bundle, tmp_path):
    """Correct: 100. Buggy: a loss in its task only. Searching the disk: 0, even with the
    bundle's source left readable by all (setup.sh not run) beside the whole checkout."""
    rubric = load_rubric().tasks
    students = {"correct": ROOT / "reference",
                "buggy": copy_cohort([BUG], COHORT, tmp_path / "built") / BUG,
                "steals": HOSTILE / "hostile_steals_reference",
                "searches": SEARCHES}
    got = {}
    for name, folder in students.items():
        root = tmp_path / name
        _lay_out(bundle, root, folder)
        if name != "searches":
            _setup(root)
        got[name] = _autograde(root)
    for name, results in got.items():
        assert results["extra_data"].get("sandbox") == "container", \
            (name, results["_stderr"][-2000:])
    correct = got["correct"]
    assert correct["score"] == correct["extra_data"]["max_total"], correct["_stderr"][-2000:]
    buggy = _tasks(got["buggy"])
    assert buggy["forward_mode"] < rubric["forward_mode"]
    assert all(buggy[t] == rubric[t] for t in rubric if t != "forward_mode"), buggy
    for name in ("steals", "searches"):
        results = got[name]
        assert results["score"] == 0, (name, _tasks(results), results["_stderr"][-2000:])
        assert "could not grade" not in results.get("output", ""), results["output"]


def _stdlib_file(name: str) -> Path:
    """A file of the standard library of the interpreter that container workers run."""
    from adkit.sandbox.files import python_for_others

    python = python_for_others()
    if python is None:
        pytest.skip("no Python other users may run here")
    done = subprocess.run([str(python), "-I", "-S", "-c", "import os; print(os.__file__)"],
                          capture_output=True, text=True, timeout=60)
    return Path(done.stdout.strip()).parent / name


def test_a_solution_planted_in_the_workers_view_stops_grading(bundle, tmp_path):
    """A correct solution where the worker tree takes its files from (here shown over the
    standard library's this.py): the start-up check finds it, the kit refuses to grade."""
    root = tmp_path / "planted"
    _lay_out(bundle, root, ROOT / "reference")
    _setup(root)
    target = _stdlib_file("this.py")
    results = _autograde(root, bind={ROOT / "reference" / "simpleautodiff" / "order.py": target})
    assert results["score"] == 0
    assert "could not grade" in results["output"], results["output"]
    assert f"{target} (" in results["_stderr"], results["_stderr"][-2000:]
    assert "solution" in results["_stderr"], results["_stderr"][-2000:]


def test_setup_is_offline_capable_and_protects_the_source(bundle, tmp_path):
    root = tmp_path / "setup"
    _lay_out(bundle, root, None)
    _setup(root)  # ran the kit's import check inside, without network
    secret = str(INSIDE / "source" / "reference" / "simpleautodiff" / "__init__.py")
    as_root = in_container(["cat", secret], root, cwd=INSIDE, timeout=60)
    assert as_root.returncode == 0, as_root.stderr
    as_worker = in_container(["setpriv", "--reuid=54321", "--regid=54321", "--clear-groups",
                              "cat", secret], root, cwd=INSIDE, timeout=60)
    assert as_worker.returncode != 0 and "Permission denied" in as_worker.stderr, as_worker


def test_a_submission_holding_system_files_does_not_stop_the_run(tmp_path):
    """An empty __init__.py or a copy of the standard library's os.py among the submissions
    is no secret: the start-up check must not refuse the whole run because of it."""
    from adkit.sandbox.container import ContainerBackend
    from adkit.sandbox.files import python_for_others

    backend = ContainerBackend()
    stdlib = _stdlib_file("os.py")
    student = tmp_path / "submissions" / "s1"
    student.mkdir(parents=True)
    (student / "__init__.py").write_text("")
    shutil.copy(stdlib, student / "os.py")
    assert python_for_others() is not None
    backend.check_secrets([ROOT / "reference", ROOT / "graders", tmp_path / "submissions"])
