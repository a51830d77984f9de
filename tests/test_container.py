"""The Gradescope bundle in a simulated default container (tests/container_sim.py).

Gradescope's default container is root in a user namespace with the full identity map, no
CAP_SYS_ADMIN and no user namespaces: bwrap cannot start, so the kit grades in its container
backend (each worker under a uid of its own) and refuses to grade while that uid could read
the kit's source. The bundle's setup.sh makes the source root-only; run_autograder then
grades a correct, a buggy and a disk-searching submission as `make grade` would.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from adkit.grade.rubric import load_rubric
from adkit.platforms import gradescope
from tests import container_sim
from tests.container_sim import INSIDE, in_container

ROOT = Path(__file__).resolve().parents[1]
BUG = "bug_forward_mode_keeps_state"  # tests/cohort: loses forward_mode only
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


def _autograde(root: Path) -> dict:
    done = in_container(["bash", str(INSIDE / "run_autograder")], root, cwd=INSIDE,
                        timeout=600)
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    results["_stderr"] = done.stderr
    return results


def _tasks(results: dict) -> dict[str, float]:
    return results.get("extra_data", {}).get("tasks", {})


@pytest.mark.slow
def test_bundle_grades_in_the_default_container(bundle, tmp_path):
    """Correct: 100. Buggy: a loss in its task only. Searching the disk: 0."""
    rubric = load_rubric().tasks
    students = {"correct": ROOT / "reference",
                "buggy": ROOT / "tests" / "cohort" / BUG,
                "steals": ROOT / "tests" / "hostile" / "hostile_steals_reference"}
    got = {}
    for name, folder in students.items():
        root = tmp_path / name
        _lay_out(bundle, root, folder)
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
    assert got["steals"]["score"] == 0, (_tasks(got["steals"]), got["steals"]["_stderr"][-2000:])


def test_without_setup_the_bundle_refuses_to_grade(bundle, tmp_path):
    """A source other uids can read: the container backend refuses (fails closed)."""
    root = tmp_path / "unprotected"
    _lay_out(bundle, root, ROOT / "reference")
    results = _autograde(root)
    assert results["score"] == 0
    assert "could not grade" in results["output"], results["output"]
    assert "reference" in results["_stderr"] or "graders" in results["_stderr"], \
        results["_stderr"][-2000:]


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
