"""Hostile and broken submissions, graded in one cohort with correct ones, in every backend.

Each must end with its expected grade and message; the correct students in the same run
keep full marks; the gradebook is complete; nothing is written outside the sandbox; every
student's outputs stay small. The cohort is tests/hostile/ (expectations.toml) plus the
entries git cannot hold, built at test time by `build_unusual` (symbolic links, a FIFO,
/dev/zero, a sparse file of 2 GiB, folders named like the kit's outputs).

The run is repeated in each isolating backend that can run here: bubblewrap on this
machine, and the container backend inside a simulated default container
(tests/helpers/container_sim.py), grading from a copy of the kit protected as the Gradescope
bundle's setup.sh protects it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from adkit.cohort import expectations
from adkit.model.rubric import load_rubric
from tests.helpers import COHORT, FIXTURES, HOSTILE, ROOT, container_sim
from tests.helpers.cohorts import copy_cohort, grade
from tests.helpers.container_sim import INSIDE, in_container

EXPECTED = expectations.load(HOSTILE / "expectations.toml") \
    if (HOSTILE / "expectations.toml").exists() else {}
CORRECT = ("reference", "correct_kahn")
CLASSMATE = "nb_classmate"  # a real notebook student, whose notebooks another one links to
SOURCE_NOTEBOOKS = ROOT / "assignments" / "source" / "autodiff"
OUTPUT_BYTES = 1_000_000  # feedback.md and results.json of any student
SPARSE_BYTES = 2 * 1024**3
CORRECT_PACKAGE = COHORT / "correct_kahn" / "simpleautodiff.py"
# Hostile folders that hold only a scratch file: the correct package is copied in beside it.
ON_CORRECT_PACKAGE = ("hostile_scratch_random_py", "hostile_scratch_importlib_py")
ANSWER_FORGE = FIXTURES / "hostile_answer_forge.py"


# Hostile packages whose attack sits beside correct code: `from ._correct import *`.
ON_CORRECT_MODULE = ("hostile_answer_*", "hostile_spinners_in_new_sessions")


def add_correct_modules(cohort: Path) -> None:
    """Give each ON_CORRECT_MODULE package the correct code as _correct.py, and each
    hostile_answer_* package the forge it lies with (copied in at test time: one copy of
    each in git)."""
    for pattern in ON_CORRECT_MODULE:
        for package in sorted(cohort.glob(f"{pattern}/simpleautodiff")):
            shutil.copy(CORRECT_PACKAGE, package / "_correct.py")
            if package.parent.name.startswith("hostile_answer_"):
                shutil.copy(ANSWER_FORGE, package / "_forge.py")
pytestmark = pytest.mark.slow

# Student folders made at test time: what each attacks and must get (as in expectations.toml;
# "graded_only": it must be graded without a grader error, whatever its grade).
BUILT: dict[str, dict] = {
    "hostile_nb_links_to_source": {
        "why": "notebooks that are symbolic links to the course's source notebooks (the "
               "instructor's solutions): links are never followed, so nothing scores",
        "zero": "all", "feedback_contains": ["symbolic link"]},
    "hostile_nb_links_to_classmate": {
        "why": "notebooks that are symbolic links to a classmate's notebooks: nothing scores",
        "zero": "all", "feedback_contains": ["symbolic link"]},
    "hostile_nb_fifo": {
        "why": "a FIFO named 1_graph.ipynb (a reader blocks forever): zero, and the run "
               "finishes by itself", "zero": "all", "feedback_contains": ["fifo"]},
    "hostile_nb_dev_zero": {
        "why": "1_graph.ipynb is a link to /dev/zero (endless bytes): zero, the run finishes",
        "zero": "all", "feedback_contains": ["symbolic link"]},
    "hostile_nb_future_spaces": {
        "why": "a classmate-like notebook whose first answer cell starts with "
               "`from __future__ import` and 2,000,000 spaces on one line (slow parsing): "
               "graded, whatever the grade, and the run finishes", "graded_only": True},
    "hostile_sparse_2gib": {
        "why": "a correct package next to a sparse 2 GiB file of mode 0600: it must not be "
               "copied whole (full marks, graded in seconds)", "full": "all",
        "feedback_contains": ["weights.bin"], "max_seconds": 60},
    CLASSMATE: {
        "why": "nbgrader notebooks of demo_cohort/s2409 (Node.__rsub__ wrong), the target "
               "of hostile_nb_links_to_classmate", "loses": ["operators"]},
}
# Entries of the submissions folder that must be skipped (named on stderr, never graded).
SKIPPED = {
    "hostile_folder_link_to_reference": "a student folder that is a link to the reference",
    "hostile_folder_link_to_etc": "a student folder that is a link to /etc",
    "gradebook.csv": "a student folder named like OUT/gradebook.csv",
    "report.html": "a student folder named like OUT/report.html",
}
GRADED = sorted([*EXPECTED, *BUILT, *CORRECT])


def build_unusual(cohort: Path, kit: Path) -> None:
    """Make the BUILT and SKIPPED entries in `cohort`; `kit` is the kit as the grader sees it."""
    notebooks = sorted((ROOT / "demo_cohort" / "s2409").glob("*.ipynb"))
    shutil.copytree(ROOT / "demo_cohort" / "s2409", cohort / CLASSMATE)

    links = cohort / "hostile_nb_links_to_source"
    links.mkdir()
    for source in sorted(SOURCE_NOTEBOOKS.glob("*.ipynb")):
        (links / source.name).symlink_to(source)
    copycat = cohort / "hostile_nb_links_to_classmate"
    copycat.mkdir()
    for notebook in notebooks:
        (copycat / notebook.name).symlink_to(Path("..") / CLASSMATE / notebook.name)

    os.mkfifo(_folder(cohort, "hostile_nb_fifo") / "1_graph.ipynb")
    (_folder(cohort, "hostile_nb_dev_zero") / "1_graph.ipynb").symlink_to("/dev/zero")
    spaces = _folder(cohort, "hostile_nb_future_spaces")
    for notebook in notebooks:
        shutil.copy(notebook, spaces / notebook.name)
    first = spaces / notebooks[0].name
    data = json.loads(first.read_text(encoding="utf-8"))
    cell = next(c for c in data["cells"] if c["cell_type"] == "code"
                and str(c.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
                .startswith("answer"))
    cell["source"] = ["from __future__ import" + " " * 2_000_000 + "\n", *cell["source"]]
    first.write_text(json.dumps(data), encoding="utf-8")

    for name in ON_CORRECT_PACKAGE:
        shutil.copy(CORRECT_PACKAGE, cohort / name)
    add_correct_modules(cohort)

    sparse = _folder(cohort, "hostile_sparse_2gib")
    shutil.copy(CORRECT_PACKAGE, sparse)
    with open(sparse / "weights.bin", "wb") as handle:
        handle.truncate(SPARSE_BYTES)
    os.chmod(sparse / "weights.bin", 0o600)

    (cohort / "hostile_folder_link_to_reference").symlink_to(kit / "reference")
    (cohort / "hostile_folder_link_to_etc").symlink_to("/etc")
    for name in ("gradebook.csv", "report.html"):
        shutil.copy(CORRECT_PACKAGE, _folder(cohort, name))


def _folder(cohort: Path, name: str) -> Path:
    (cohort / name).mkdir()
    return cohort / name


def _forbidden() -> list[Path]:
    return sorted({Path(os.path.expanduser(p)) for e in EXPECTED.values()
                   for p in e.get("forbid_paths", [])})


def _snapshot(folder: Path) -> dict[str, list[int]]:
    """Size and time of every entry, links not followed (a FIFO is never opened)."""
    tree = {}
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            info = os.lstat(os.path.join(top, name))
            tree[os.path.relpath(os.path.join(top, name), folder)] = [
                info.st_size, info.st_mtime_ns, info.st_mode]
    return tree


def _cohort(base: Path, kit: Path) -> Path:
    cohort = copy_cohort(EXPECTED, HOSTILE, base / "submissions")
    copy_cohort(["correct_kahn"], COHORT, cohort)
    copy_cohort(["reference"], ROOT, cohort)
    build_unusual(cohort, kit)
    return cohort


def _bubblewrap_problem() -> str:
    try:
        from adkit.sandbox.choose import backend_named
    except ImportError as exc:
        return f"adkit.sandbox has no backends yet ({exc})"
    try:
        backend_named("bubblewrap")
    except Exception as exc:  # noqa: BLE001 - SandboxError or whatever says why
        return str(exc)
    return ""


def _run_bubblewrap(base: Path) -> dict:
    cohort = _cohort(base, ROOT)
    before = {str(p): p.stat().st_mtime_ns for p in _forbidden() if p.exists()}
    tree = _snapshot(cohort)
    run = grade(cohort, base / "grades", "--jobs", "2")
    return {"out": str(base / "grades"), "code": run.returncode, "stderr": run.stderr,
            "cohort": str(cohort), "tree": tree, "before": before}


def protected_kit(root: Path) -> Path:
    """The Gradescope bundle's tree at root/source, protected by its own setup.sh."""
    from adkit.platforms import gradescope

    gradescope.build(root / "build")
    source = root / "source"
    shutil.copytree(root / "build" / "autograder", source)
    shutil.rmtree(root / "build")
    setup = subprocess.run(["bash", str(source / "setup.sh")], capture_output=True, text=True,
                           env=dict(os.environ, ADKIT_SETUP_OFFLINE="1",
                                    ADKIT_PYTHON=sys.executable), timeout=120)
    assert setup.returncode == 0, setup.stderr[-2000:]
    return source


def _run_container(base: Path) -> dict:
    root = base / "root"
    root.mkdir()
    os.chmod(root, 0o755)  # inside, only the modes setup.sh sets protect the kit
    protected_kit(root)
    cohort = _cohort(root, INSIDE / "source")
    os.chmod(cohort, 0o700)
    (root / "grades").mkdir(mode=0o700)  # the worker's uid must not read OUT either
    tree = _snapshot(cohort)
    # Afterwards, what students left in the container's shared /tmp: files of the workers'
    # uids (root's are the kit's own, e.g. the mount point of a checkout that lives in /tmp).
    script = ('"$@"; code=$?; find /tmp -mindepth 1 -maxdepth 1 ! -name autograder '
              '! -user 0 -printf "%f %u\\n"; exit $code')
    run = in_container(["sh", "-c", script, "grade", sys.executable, "-m", "adkit.cohort",
                        str(INSIDE / "submissions"), "--out", str(INSIDE / "grades"),
                        "--jobs", "2"], root, cwd=str(INSIDE / "source"), timeout=900)
    return {"out": str(root / "grades"), "code": run.returncode, "stderr": run.stderr,
            "cohort": str(cohort), "tree": tree, "before": {},
            "leftovers": run.stdout.splitlines()}


BACKENDS = {"bubblewrap": (_bubblewrap_problem, _run_bubblewrap),
            "container": (container_sim.problem, _run_container)}


def _graded(shared: Path, backend: str, wait: bool) -> dict | None:
    """The backend's run, made by whichever test process comes first (a lock in the folder
    they share); None without `wait` when another process is making it right now."""
    folder = shared / f"shared-hostile-{backend}"
    folder.mkdir(exist_ok=True)
    with open(shared / f"hostile-{backend}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        done = folder / "result.json"
        if not done.exists():
            done.write_text(json.dumps(BACKENDS[backend][1](folder)))
        return json.loads(done.read_text())


# Session scope: each backend graded once per test run, even with xdist. (xdist_group does
# not keep a group on one worker with this pytest.) A worker that finds one backend's run
# under way makes another backend's meanwhile, so with -n 2 both runs go on at once.
@pytest.fixture(scope="session", params=sorted(BACKENDS))
def graded_hostile(request, tmp_path_factory):
    if not EXPECTED:
        pytest.skip("tests/hostile/expectations.toml is not there yet")
    why = BACKENDS[request.param][0]()
    if why:
        pytest.skip(f"the {request.param} backend cannot run here: {why}")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    result = _graded(shared, request.param, wait=False)
    if result is None:
        for other in sorted(BACKENDS):
            if other != request.param and not BACKENDS[other][0]():
                _graded(shared, other, wait=False)
        result = _graded(shared, request.param, wait=True)
    assert result is not None
    result["backend"] = request.param
    result["out"], result["cohort"] = Path(result["out"]), Path(result["cohort"])
    return result


def _results(graded: dict, student: str) -> dict:
    return json.loads((graded["out"] / student / "results.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_hostile_submission_gets_its_expected_grade(graded_hostile, student):
    assert expectations.problems(student, EXPECTED[student], graded_hostile["out"],
                                 load_rubric().tasks) == []


@pytest.mark.parametrize("student", sorted(BUILT))
def test_each_unusual_entry_gets_its_expected_grade(graded_hostile, student):
    expected = BUILT[student]
    assert expectations.problems(student, expected, graded_hostile["out"],
                                 load_rubric().tasks) == []
    if "max_seconds" in expected:
        seconds = _results(graded_hostile, student)["extra_data"]["seconds"]
        assert seconds < expected["max_seconds"], f"{student} took {seconds} s"


def test_the_run_finishes_in_the_chosen_backend_and_the_gradebook_is_complete(graded_hostile):
    assert graded_hostile["code"] == 0, graded_hostile["stderr"][-3000:]
    lines = (graded_hostile["out"] / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split(",")[0] for line in lines[1:]) == GRADED
    for student in GRADED:
        sandbox = _results(graded_hostile, student)["extra_data"].get("sandbox")
        assert sandbox == graded_hostile["backend"], (student, sandbox)


def test_links_and_reserved_names_are_skipped_with_a_reason(graded_hostile):
    stderr = graded_hostile["stderr"]
    for name, what in SKIPPED.items():
        assert name in stderr, f"{what} ({name}) is not named on stderr"
    outputs = stderr + "".join(p.read_text(encoding="utf-8", errors="replace")
                               for p in graded_hostile["out"].rglob("*") if p.is_file())
    for leaked in ("passwd", "shadow", "BEGIN SOLUTION"):
        assert leaked not in outputs, f"{leaked!r} was listed in the outputs or on stderr"


def test_correct_students_in_a_hostile_cohort_keep_full_marks(graded_hostile):
    for student in CORRECT:
        data = _results(graded_hostile, student)
        assert data["score"] == 100, (student, data["output"])


def test_every_students_outputs_stay_small(graded_hostile):
    for student in GRADED:
        for name in ("feedback.md", "results.json"):
            size = (graded_hostile["out"] / student / name).stat().st_size
            assert size < OUTPUT_BYTES, f"{student}/{name} is {size} bytes"
    for name, expected in EXPECTED.items():
        most = expected.get("max_output_bytes")
        for file in ("feedback.md", "results.json") if most else ():
            assert (graded_hostile["out"] / name / file).stat().st_size < most, (name, file)


def test_nothing_is_written_outside_the_sandbox(graded_hostile):
    for path in _forbidden():
        if str(path) in graded_hostile["before"]:
            assert path.stat().st_mtime_ns == graded_hostile["before"][str(path)], path
        elif graded_hostile["backend"] != "container":  # there /tmp and /work vanish
            assert not path.exists(), path
    assert _snapshot(graded_hostile["cohort"]) == graded_hostile["tree"]  # untouched
    written = {p.name for p in graded_hostile["out"].iterdir()}
    assert written == {*GRADED, "gradebook.csv", "report.html"}
    for name in ("gradebook.csv", "report.html"):
        assert stat.S_ISREG((graded_hostile["out"] / name).lstat().st_mode), name


def test_students_leave_nothing_in_the_containers_shared_tmp(graded_hostile):
    """The container backend has no private /tmp: what a worker's uid left there is removed
    when its sandbox closes, so nothing passes to the next student's worker."""
    if graded_hostile["backend"] != "container":
        pytest.skip("bubblewrap gives each worker a private /tmp (checked by forbid_paths)")
    assert graded_hostile["leftovers"] == []


def test_grades_do_not_depend_on_what_students_print(graded_hostile):
    for student in GRADED:
        text = (graded_hostile["out"] / student / "results.json").read_text()
        assert "FORGED-7f3a9c" not in text
    assert "FORGED-7f3a9c" not in (graded_hostile["out"] / "gradebook.csv").read_text()


def test_a_padded_reply_is_read_no_further_than_its_question_needs(graded_hostile):
    """What was read of the longest reply, as a count of bytes: a reply padded to 65 MB is
    cut where its question's bound ends, never read (nor decoded, nor judged) whole."""
    bounded = {name: e["max_reply_bytes"] for name, e in EXPECTED.items()
               if "max_reply_bytes" in e}
    assert bounded
    for student, most in bounded.items():
        read = _results(graded_hostile, student)["extra_data"].get("reply_bytes_most")
        assert isinstance(read, int) and 0 < read <= most, (student, read)


def test_text_from_the_worker_reaches_the_outputs_escaped(graded_hostile):
    """Error messages, printed output and error answers full of escape sequences reach the
    feedback, results.json and the gradebook with every control character escaped."""
    from adkit.model.text import escape_controls

    chosen = [name for name, e in EXPECTED.items() if e.get("forbid_controls")]
    assert chosen
    gradebook = (graded_hostile["out"] / "gradebook.csv").read_text(encoding="utf-8")
    for student in chosen:
        folder = graded_hostile["out"] / student
        texts = [(folder / "feedback.md").read_text(encoding="utf-8"), gradebook]
        stack = [json.loads((folder / "results.json").read_text(encoding="utf-8"))]
        while stack:  # every string in results.json, decoded
            item = stack.pop()
            if isinstance(item, dict):
                stack += [*item.keys(), *item.values()]
            elif isinstance(item, list):
                stack += item
            elif isinstance(item, str):
                texts.append(item)
        for text in texts:
            assert escape_controls(text) == text, (student, escape_controls(text)[:300])
