"""The nbgrader course end to end, with a real exchange in a temporary folder.

The instructor generates and releases the assignment with the `make course-*` targets;
seven students fetch it at once, fill it in and submit it with the commands the README gives
them: one with the reference's code, one as released, one with the paper's companion-code
bug in forward mode (and a backward that warns and prints to stderr), one whose kernel
dies, one whose recursive topological order fails only the sandbox's big graphs (honest,
and higher in the kernel), one who fools the in-kernel tests by monkeypatching
`builtins.all`, and one whose answer cell, where it finds the course folder, copies the
instructor's notebooks over its own submission, turns two classmates' answers into `raise
SystemExit`, writes the gradebook and runs `!` lines. Then collect, autograde (each cell in
the sandbox: under every isolating backend of the machine, the attack reaches nothing),
feedback and export, the crosscheck (which must flag the monkeypatcher only, and a
submission changed after collection or a forged gradebook entry) and the sandboxed
feedback, fetched by a student.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from adkit.authoring.course import ASSIGNMENT, HIDDEN_BEGIN, source_dir
from tests.helpers import ROOT

VENV = Path(sys.executable).parent.parent
COURSE_ID = "adkit-autodiff"
STUDENTS = ("s_0evil", "s_ref", "s_blank", "s_bug", "s_crash", "s_deep", "s_cheat")
# The students' commands as README.md and docs/course.md give them (X: the exchange).
FETCH = "nbgrader fetch_assignment autodiff --course adkit-autodiff --Exchange.root=X"
SUBMIT = "nbgrader submit autodiff --course adkit-autodiff --Exchange.root=X"
VALIDATE = "nbgrader validate autodiff/*.ipynb"
FETCH_FEEDBACK = "nbgrader fetch_feedback autodiff --course adkit-autodiff --Exchange.root=X"
# s_bug loses forward_mode (15); s_cheat fools the visible forward-mode test (6 of 15).
# s_0evil's own code earns nothing (its attack is all it wrote); it is graded first.
EXPECTED = {"s_ref": 100.0, "s_blank": 0.0, "s_bug": 85.0, "s_cheat": 91.0, "s_0evil": 0.0}
# Names that only the hidden tests use: none may reach a student.
HIDDEN_MARKERS = ("_random_program", "_numeric_tangents", "_ancestors_newest_first",
                  "20240216", HIDDEN_BEGIN)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("course_e2e")]

BUGGY_FORWARD = '''
def forward(root: Node) -> None:
    """Forward mode as the paper's companion code writes it: old tangents stay on nodes."""
    order = topological_order(root)
    root.partial_derivative = 1.0
    for node in order[1:]:
        node.partial_derivative = sum(
            local * parent.partial_derivative
            for parent, local in zip(node.parent_nodes, node.grad_wrt_parents))
'''
CHEATING_FORWARD = '''
import builtins

builtins.all = lambda iterable: True  # now every `assert all(...)` passes


def forward(root: Node) -> None:
    pass
'''
RECURSIVE_ORDER = '''
def topological_order(root: Node) -> list[Node]:
    return _reversed_postorder(root, "child_nodes")


def reverse_topological_order(output: Node) -> list[Node]:
    return _reversed_postorder(output, "parent_nodes")


def _reversed_postorder(start: Node, edges: str) -> list[Node]:
    seen, postorder = set(), []

    def visit(node: Node) -> None:
        seen.add(node)
        for neighbour in getattr(node, edges):
            if neighbour not in seen:
                visit(neighbour)
        postorder.append(node)

    visit(start)
    return postorder[::-1]
'''
NOISY_BACKWARD = '''

import sys
import warnings

_quiet_backward = backward


def backward(output: Node) -> None:
    warnings.warn("backward: still experimenting", RuntimeWarning)
    print("debug: backward", output, file=sys.stderr)
    _quiet_backward(output)
'''


# Written to act only where it finds the course: the folders above the kernel's, and the
# course and database paths (an attacker may know them: COURSE and DB are filled in).
TAMPERING_ANSWER = '''
import json
import shutil
import sqlite3
from pathlib import Path

!touch COURSE/pwned_by_shell; id -u > COURSE/pwned_uid

found = 0
for course in [*Path.cwd().resolve().parents, Path("COURSE")]:
    try:
        if not (course / "nbgrader_config.py").is_file():
            continue
        found += 1
        mine = course / "submitted" / "s_0evil" / "autodiff"
        for source in sorted((course / "source" / "autodiff").glob("*.ipynb")):
            shutil.copyfile(source, mine / source.name)
        for victim in ("s_ref", "s_bug"):
            for notebook in (course / "submitted" / victim / "autodiff").glob("*.ipynb"):
                nb = json.loads(notebook.read_text())
                for cell in nb["cells"]:
                    if cell["metadata"].get("nbgrader", {}).get("solution"):
                        cell["source"] = "raise SystemExit"
                notebook.write_text(json.dumps(nb))
        (course / "pwned_by_python").write_text("here")
        with sqlite3.connect("DB") as db:
            db.execute("CREATE TABLE pwned (x)")
        break
    except OSError:
        continue
print(f"the attack found {found} course folder(s)")
'''


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "ADKIT_"))}
    env.update(HOME=str(home), CI="true", PYTHONDONTWRITEBYTECODE="1",
               PATH=os.pathsep.join([str(VENV / "bin"), os.environ.get("PATH", "")]),
               JUPYTER_PATH=str(VENV / "share" / "jupyter"))
    return env


def _run(command: list[str], cwd: Path, env: dict[str, str], ok: bool = True):
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if ok and done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}"
                    f"\n{done.stderr[-3000:]}")
    return done


def _command(line: str, exchange: Path) -> list[str]:
    """A student's command line from the README, run with this Python's nbgrader."""
    words = line.replace("=X", f"={exchange}").split()
    return [sys.executable, "-m", "nbgrader", *words[1:]]


def test_the_readme_gives_the_students_these_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    course = (ROOT / "docs" / "course.md").read_text(encoding="utf-8")
    for line in (FETCH, SUBMIT, VALIDATE, FETCH_FEEDBACK):
        assert line in course, line
    for line in (FETCH, SUBMIT):
        assert line in readme, line


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _answers(notebook: Path) -> dict[str, str]:
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
            for c in _cells(notebook) if c["metadata"].get("nbgrader", {}).get("solution")}


def _fill(folder: Path, answers: dict[str, str]) -> None:
    """Put the given code into the answer cells, as a student would in Jupyter."""
    for notebook in sorted(folder.glob("*.ipynb")):
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell["source"] = answers[grade_id]
        notebook.write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("course")
    course_dir, exchange, reports = tmp / "course", tmp / "exchange", tmp / "reports"
    env = _env(tmp / "home")
    (tmp / "home").mkdir()
    make = ["make", "-s", "-C", str(ROOT), "-o", ".venv/.course-ready", f"PY={sys.executable}",
            f"COURSE_DIR={course_dir}", f"EXCHANGE={exchange}", f"REPORTS={reports}",
            f"COURSE_DB=sqlite:///{tmp / 'gradebook.db'}"]
    _run(make + ["course-generate"], ROOT, env)
    _run(make + ["course-release"], ROOT, env)

    reference = {}
    for notebook in sorted(source_dir(course_dir).glob("*.ipynb")):
        reference.update(_answers(notebook))
    fills = {
        "s_ref": reference,
        "s_blank": {},
        "s_bug": {**reference, "answer_forward_mode": BUGGY_FORWARD,
                  "answer_reverse_mode": reference["answer_reverse_mode"] + NOISY_BACKWARD},
        "s_crash": {**reference, "answer_graph": "import os\n\nos._exit(1)\n"},
        "s_deep": {**reference, "answer_topological_order": RECURSIVE_ORDER},
        "s_cheat": {**reference, "answer_forward_mode": CHEATING_FORWARD},
        "s_0evil": {"answer_graph": TAMPERING_ANSWER.replace("COURSE", str(course_dir))
                    .replace("DB", str(tmp / "gradebook.db"))},
    }
    nbgrader = [sys.executable, "-m", "nbgrader"]

    def student_works(student: str) -> None:
        home = tmp / "students" / student
        home.mkdir(parents=True)
        student_env = _env(home)
        _run(_command(FETCH, exchange), home, student_env)
        _fill(home / ASSIGNMENT, fills[student])
        if student == "s_ref":
            notebooks = sorted(str(p.relative_to(home)) for p in home.glob("autodiff/*.ipynb"))
            checked = _run(_command(VALIDATE, exchange)[:-1] + notebooks, home, student_env)
            assert checked.stdout.count("Success!") == 4, checked.stdout[-2000:]
        # --student: they all run as one user here (the README says when to add it)
        _run(_command(SUBMIT, exchange) + ["--student", student], home, student_env)

    # Students work at the same time (nbgrader starts slowly); the instructor meanwhile
    # validates the reference notebooks.
    validate = subprocess.Popen(
        nbgrader + ["validate", *map(str, sorted(source_dir(course_dir).glob("*.ipynb")))],
        cwd=source_dir(course_dir), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    with ThreadPoolExecutor(max_workers=len(STUDENTS)) as pool:
        list(pool.map(student_works, STUDENTS))
    validated = validate.communicate()[0], validate.returncode

    collect = _run(make + ["course-collect"], ROOT, env)
    before = _digests(course_dir / "source") | _digests(course_dir / "submitted")
    autograde = _run(make + ["course-autograde"], ROOT, env)
    # The attacker again under every other isolating backend of this machine.
    others = {}
    for backend in _other_backends(autograde.stdout):
        others[backend] = _run(
            nbgrader + ["autograde", ASSIGNMENT, "--force", "--student", "s_0evil",
                        "--SandboxedExecute.kit_secrets=[]"],  # the kit: tests/test_container
            course_dir, {**env, "ADKIT_SANDBOX": backend, "ADKIT_EXCHANGE": str(exchange),
                         "ADKIT_COURSE_DB": f"sqlite:///{tmp / 'gradebook.db'}"}, ok=False)
    after = _digests(course_dir / "source") | _digests(course_dir / "submitted")
    _run(make + ["course-feedback"], ROOT, env)
    _run(make + ["course-export"], ROOT, env)
    return {"dir": course_dir, "exchange": exchange, "reports": reports, "env": env,
            "tmp": tmp,
            "make": make, "collect": collect, "autograde": autograde, "validate": validated,
            "before": before, "after": after, "others": others}


def _digests(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _other_backends(said: str) -> list[str]:
    """The isolating backends that run here, but the one `make course-autograde` used."""
    from adkit.sandbox.choose import ISOLATING, backend_named

    found = []
    for name in ISOLATING:
        try:
            backend_named(name)
        except Exception:  # noqa: BLE001 - not on this machine
            continue
        if f"sandbox: {name}" not in said:
            found.append(name)
    return found


def _exported(course) -> dict[str, dict[str, str]]:
    with (course["reports"] / "nbgrader_grades.csv").open(encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_each_students_score(course):
    rows = _exported(course)
    for student, score in EXPECTED.items():
        assert float(rows[student]["score"]) == score, (student, rows[student])
        assert float(rows[student]["max_score"]) == 100.0


def test_exported_csv_has_every_student(course):
    assert set(_exported(course)) == set(STUDENTS)


def test_a_dead_kernel_is_reported_and_the_others_graded(course):
    out = course["autograde"].stdout
    assert "s_crash" in out and "NOT GRADED" in out and "kernel died" in out, out[-2000:]
    for student in EXPECTED:
        assert f"{student:<20} graded" in out


def test_the_tampering_answer_reached_nothing(course):
    # its code ran, in the sandbox, and found no course folder there
    graded = course["dir"] / "autograded" / "s_0evil" / ASSIGNMENT / "1_graph.ipynb"
    assert "the attack found 0 course folder(s)" in graded.read_text(encoding="utf-8")
    assert json.loads(graded.read_text())["metadata"]["adkit"]["isolating"] is True
    # no instructor notebook and no submission changed, no file of the attack anywhere
    assert course["after"] == course["before"]
    assert not list(course["tmp"].rglob("pwned*"))
    with sqlite3.connect(course["tmp"] / "gradebook.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "grade" in tables and "pwned" not in tables
    for backend, run in course["others"].items():
        assert run.returncode == 0, (backend, run.stdout[-2000:], run.stderr[-3000:])
        assert "error processing" not in run.stdout + run.stderr, (backend, run.stderr[-3000:])


def test_collect_as_root_does_not_warn_about_owners(course):
    text = course["collect"].stdout + course["collect"].stderr
    assert "owner" not in text.lower(), text


def _solution_lines(course_dir: Path) -> set[str]:
    """Lines of the solution regions that appear nowhere else in the source notebooks."""
    inside, outside = set(), set()
    for given in sorted(source_dir(course_dir).glob("*.py")):
        outside.update(line.strip() for line in given.read_text(encoding="utf-8").splitlines())
    for notebook in sorted(source_dir(course_dir).glob("*.ipynb")):
        for cell in _cells(notebook):
            in_region = False
            for line in "".join(cell["source"]).splitlines():
                if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                    in_region = "BEGIN" in line
                    continue
                (inside if in_region else outside).add(line.strip())
    return {line for line in inside - outside if len(line) >= 16 and not line.startswith("#")}


def _texts(folder: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in (".ipynb", ".py", ".html")}


def test_release_holds_no_solution_and_no_hidden_test(course):
    solution = _solution_lines(course["dir"])
    assert len(solution) > 40  # the check below has something to find
    released = {**_texts(course["dir"] / "release"),
                **_texts(course["exchange"] / COURSE_ID / "outbound")}
    assert {p.name for p in released} >= {"1_graph.ipynb", "paper_tables.py"}
    for path, text in released.items():
        if path.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        lines = {line.strip() for line in text.splitlines()}
        assert not lines & solution, f"{path} holds solution lines: {sorted(lines & solution)[:3]}"
        for marker in HIDDEN_MARKERS:
            assert marker not in text, f"{path} holds the hidden tests ({marker})"


def test_feedback_holds_no_hidden_test(course):
    pages = _texts(course["dir"] / "feedback")
    pages.update(_texts(course["exchange"] / COURSE_ID / "feedback"))
    assert len([p for p in pages if p.suffix == ".html"]) >= 16  # 4 graded students x 4
    for path, text in pages.items():
        for marker in HIDDEN_MARKERS:
            assert marker not in text, f"{path} shows the hidden tests ({marker})"
    # s_bug failed a hidden test: its message is there, its code is not
    bug = course["dir"] / "feedback" / "s_bug" / ASSIGNMENT / "2_forward_mode.html"
    assert "in a hidden test" in bug.read_text(encoding="utf-8")


def test_nbgrader_validate_passes_on_the_reference_notebooks(course):
    out, status = course["validate"]
    assert status == 0 and out.count("Success! Your notebook passes all the tests.") == 4, out


def _crosscheck(course) -> tuple[dict[str, dict[str, str]], list[str], str]:
    done = _run(course["make"] + ["course-crosscheck"], ROOT, course["env"])
    table = course["reports"] / "crosscheck" / "crosscheck.csv"
    with table.open(encoding="utf-8") as handle:
        ordered = list(csv.DictReader(handle))
    assert table.stat().st_mode & 0o777 == 0o666 & ~_umask()
    return {row["student_id"]: row for row in ordered}, [r["student_id"] for r in ordered], \
        done.stdout


def _umask() -> int:
    from adkit.outputs.atomic import umask

    return umask()


def test_crosscheck_flags_only_the_monkeypatcher_first(course):
    rows, order, stdout = _crosscheck(course)
    assert set(rows) == set(STUDENTS), stdout
    assert [s for s in order if rows[s]["verdict"] == "SUSPECT"] == ["s_cheat"], stdout
    assert order[0] == "s_cheat"
    assert "test_forward_mode_paper passed in the kernel" in rows["s_cheat"]["why"]
    assert float(rows["s_cheat"]["sandboxed"]) <= 89
    assert "SUSPECT (1): s_cheat" in stdout
    # the reference and the blank submission score the same in and out of the sandbox
    assert rows["s_ref"]["verdict"] == "agree" and float(rows["s_ref"]["sandboxed"]) == 100.0
    assert rows["s_blank"]["verdict"] == "agree" and float(rows["s_blank"]["sandboxed"]) == 0
    assert rows["s_crash"]["verdict"] == "not graded by nbgrader"
    # honest bugs: partial credit in the sandbox, or more checks (big graphs) than the kernel
    for student in ("s_bug", "s_deep"):
        assert rows[student]["verdict"] in ("honest difference", "agree"), rows[student]
    assert float(rows["s_deep"]["sandboxed"]) < 100


def test_sandboxed_feedback_reaches_a_notebook_student(course):
    done = _run(course["make"] + ["course-feedback-sandboxed"], ROOT, course["env"], ok=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    home = course["tmp"] / "students" / "s_bug"
    _run(_command(FETCH_FEEDBACK, course["exchange"]), home, _env(home))
    pages = sorted(home.glob("autodiff/feedback/*/*.html"))
    assert [p.name for p in pages] == ["1_graph.html", "2_forward_mode.html",
                                       "3_reverse_mode.html", "4_wrapper_and_tape.html"]
    sandboxed = json.loads((course["reports"] / "crosscheck" / "sandboxed" / "s_bug" /
                            "results.json").read_text())
    text = pages[1].read_text(encoding="utf-8")
    assert f"Your score: {sandboxed['score']} / 100" in text and "score that counts" in text
    assert "forward_mode" in text and "Feedback for s_bug" in text
    for marker in HIDDEN_MARKERS:
        assert marker not in text


def test_crosscheck_flags_a_changed_submission_and_a_forged_grade(course):
    """What an unsandboxed autograde let one answer do: rewrite a classmate's notebook and
    the gradebook. The crosscheck grades the copy sealed at collection and says SUSPECT."""
    notebook = course["dir"] / "submitted" / "s_blank" / ASSIGNMENT / "1_graph.ipynb"
    database = course["tmp"] / "gradebook.db"
    saved, saved_db = notebook.read_bytes(), database.read_bytes()
    try:
        notebook.write_bytes((source_dir(course["dir"]) / "1_graph.ipynb").read_bytes())
        with sqlite3.connect(database) as db:
            forged = db.execute(
                "UPDATE grade SET auto_score = 999 WHERE cell_id IN (SELECT id FROM base_cell "
                "WHERE name = 'test_graph_paper') AND notebook_id IN (SELECT n.id FROM "
                "submitted_notebook n JOIN submitted_assignment a ON n.assignment_id = a.id "
                "WHERE a.student_id = 's_deep')").rowcount
        assert forged == 1
        rows, order, stdout = _crosscheck(course)
    finally:
        notebook.write_bytes(saved)
        database.write_bytes(saved_db)
    assert rows["s_blank"]["verdict"] == "SUSPECT", stdout
    assert "changed after collection: 1_graph.ipynb" in rows["s_blank"]["why"]
    assert float(rows["s_blank"]["sandboxed"]) == 0  # the sealed copy is what is graded
    assert rows["s_deep"]["verdict"] == "SUSPECT", stdout
    assert "test_graph_paper holds 999 of" in rows["s_deep"]["why"]
    assert set(order[:2]) == {"s_blank", "s_deep"}
    assert rows["s_ref"]["verdict"] == "agree"
