"""docs/adding-a-primitive.md, followed step by step on a copy of the kit: add `tanh`.

The copy gets one new row in adkit/model/primitives.py, one new primitive in the reference
(inside solution regions tagged `graph`), a regenerated skeleton and course notebooks, and
tanh in the test cohort's three correct solutions (its bugs are diffs of them: nothing
else in tests/cohort, tests/hostile or demo_cohort is edited by hand). Then the copy's
graders use it with nothing else changed: random programs draw tanh, its local derivative
is checked, a submission whose tanh derivative is wrong loses `graph` points only, the
copy's reference and correct solutions keep full marks, every bug's and hostile
submission's diff still applies, a bug of each correct solution still loses only its own
task, and `make demo` brings demo_cohort/ up to date (its notebook student too).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.project import copy_project

COPIED = ("adkit", "graders", "reference", "assignments", "docs", "demo_cohort", "tests/helpers",
          "tests/__init__.py", "tests/cohort", "tests/hostile", "tests/fixtures/demo",
          "pyproject.toml")

# Step 1: the row, last among the primitives (so that existing seeds keep their programs
# until this row is added; adding it changes the draws, as the guide says).
ROW = '''    Primitive("tanh", 1, "math.tanh(a)", ("1.0 - math.tanh(a) ** 2",)),
'''
# Step 2: the reference's primitive, written with its own wrapper like the others.
PRIMITIVE = '''

### BEGIN SOLUTION graph
_tanh = primitive(math.tanh, lambda a: 1.0 - math.tanh(a) ** 2, name="tanh")
### END SOLUTION


def tanh(a: Operand) -> Node:
    """Hyperbolic tangent of a; ∂/∂a = 1 - tanh(a)²."""
    ### BEGIN SOLUTION graph
    return _tanh(a)
    ### END SOLUTION
'''

pytestmark = pytest.mark.slow


# Step 3: the notebook of the graph task shows the new primitive and its helper.
TEMPLATE = ("@@ primitives.py:power\n", "@@ primitives.py:power\n\n\n@@ primitives.py:_tanh\n"
            "\n\n@@ primitives.py:tanh\n")
# Step 5: tanh in each correct solution of the test cohort, in its own style, at the end of
# the module that holds its primitives (and exported where the package lists its names).
CORRECT = {
    "correct_kahn/simpleautodiff.py": ("", '''

def tanh(a):
    a = _node(a)
    return _link(math.tanh(a.value), [a], [1.0 - math.tanh(a.value) ** 2], "tanh")
'''),
    "correct_pull_modules/simpleautodiff/ops.py": ("", '''
tanh = primitive(math.tanh, lambda a: 1.0 - math.tanh(a) ** 2, name="tanh")
'''),
    "correct_tape_first/simpleautodiff/primitives.py": ("", '''
tanh = primitive(math.tanh, lambda a: 1.0 - math.tanh(a) ** 2, name="tanh")
'''),
}
EXPORTS = (("primitive, sin, sub\n", "primitive, sin, sub, tanh\n"),
           ('"sub",\n    "topological_order",', '"sub",\n    "tanh", "topological_order",'))
# A bug of each correct solution, graded in the copy: it still loses only its own task.
BUGS = ("bug_graph_cos_derivative_plus_sin", "bug_forward_mode_keeps_state",
        "bug_operators_rsub_backwards")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: {old!r} should occur once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _add_tanh(kit: Path) -> None:
    table = kit / "adkit" / "model" / "primitives.py"
    _edit(table, "    # `2.0 ** x`: Node.__rpow__", ROW + "    # `2.0 ** x`: Node.__rpow__")
    package = kit / "reference" / "simpleautodiff"
    primitives = package / "primitives.py"
    primitives.write_text(primitives.read_text(encoding="utf-8") + PRIMITIVE, encoding="utf-8")
    init = package / "__init__.py"
    _edit(init, "power, primitive, sin, sub\n", "power, primitive, sin, sub, tanh\n")
    _edit(init, '    "sub",\n', '    "sub",\n    "tanh",\n')


def _add_tanh_to_the_cohort(kit: Path) -> None:
    for name, (_, text) in CORRECT.items():
        path = kit / "tests" / "cohort" / name
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    for base in ("correct_pull_modules", "correct_tape_first"):
        init = kit / "tests" / "cohort" / base / "simpleautodiff" / "__init__.py"
        for old, new in EXPORTS:
            _edit(init, old, new)


def _run(kit: Path, code: str, *args: str) -> str:
    """Python code (or `-m module`) run with the copy's modules (not this checkout's)."""
    env = dict(os.environ, PYTHONPATH=f"{kit}{os.pathsep}{kit / 'reference'}")
    command = [sys.executable, *args] if code == "-m" else [sys.executable, "-c", code]
    done = subprocess.run(command, cwd=kit, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


GRADE = '''
import json, sys
from pathlib import Path
from adkit.proofs.inprocess import grade_in_process
results = grade_in_process(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
print(json.dumps({t["name"]: [t["score"], t["max_score"]] for t in results["tests"]}))
'''


def _grade(kit: Path, folder: Path, out: Path, who: str) -> dict[str, list[float]]:
    if (folder / "simpleautodiff.py").is_file():  # one file: a package, as the intake stages it
        staged = out.with_name(out.name + "-staged")
        (staged / "simpleautodiff").mkdir(parents=True)
        shutil.copy(folder / "simpleautodiff.py", staged / "simpleautodiff" / "__init__.py")
        folder = staged
    code = GRADE.replace("sys.argv[1]", repr(str(folder))).replace(
        "sys.argv[2]", repr(str(out))).replace("sys.argv[3]", repr(who))
    return json.loads(_run(kit, code).splitlines()[-1])


def _by_task(scores: dict[str, list[float]]) -> dict[str, list[float]]:
    tasks: dict[str, list[float]] = {}
    for name, (score, most) in scores.items():
        task = name.split(":", 1)[0]
        got, out_of = tasks.get(task, [0.0, 0.0])
        tasks[task] = [got + score, out_of + most]
    return tasks


def test_adding_tanh_reaches_the_graders(tmp_path):
    kit = tmp_path / "kit"
    copy_project(kit, COPIED)
    _add_tanh(kit)
    # Step 3: regenerate the skeleton; tanh becomes a TODO of the graph task.
    _run(kit, "from adkit.authoring import skeleton; raise SystemExit(skeleton.main([]))")
    skeleton = (kit / "skeleton" / "simpleautodiff" / "primitives.py").read_text()
    assert "def tanh(a: Operand) -> Node:" in skeleton and "_tanh = " not in skeleton

    # The graders draw tanh and check its local derivative, with no other change.
    out = _run(kit, '''
import random
from adkit.model import programs
drawn = [op["op"] for s in range(20) for op in programs.random_program(
    random.Random(s), n_ops=12)["ops"]]
wired = programs.wiring({"inputs": [0.5], "ops": [{"op": "tanh", "args": [0]}]})
print("tanh" in drawn, wired["grads"][-1])
''')
    assert out.split()[0] == "True"
    assert float(out.split()[1].strip("[]")) == pytest.approx(1 - 0.46211715726000974 ** 2)

    # Step 3: the course's notebooks (the template names the helper and the function).
    _edit(kit / "assignments" / "templates" / "1_graph.py", *TEMPLATE)
    _run(kit, "-m", "-m", "adkit.authoring.course")
    notebook = (kit / "assignments" / "source" / "autodiff" / "1_graph.ipynb").read_text()
    assert "def tanh(a: Operand)" in notebook and "_tanh = primitive(math.tanh" in notebook

    # The copy's reference: full marks in every task.
    good = _by_task(_grade(kit, kit / "reference", tmp_path / "good", "reference"))
    assert all(got == most for got, most in good.values()), good

    # A submission whose tanh derivative is wrong, a diff of the reference as the cohort
    # keeps its bugs: loses graph points, and only those.
    cohort = kit / "tests" / "cohort"
    _edit(cohort / "expectations.toml", "[bug_graph_cos_derivative_plus_sin]\n",
          '[bug_graph_tanh_derivative_plus]\nbase = "reference"\nwhy = "tanh\'s derivative is '
          '1 + tanh(a)**2"\nloses = ["graph"]\n\n[bug_graph_cos_derivative_plus_sin]\n')
    edited = tmp_path / "edit" / "bug_graph_tanh_derivative_plus"
    shutil.copytree(kit / "reference" / "simpleautodiff", edited / "simpleautodiff",
                    ignore=shutil.ignore_patterns("__pycache__"))
    _edit(edited / "simpleautodiff" / "primitives.py",
          "lambda a: 1.0 - math.tanh(a) ** 2", "lambda a: 1.0 + math.tanh(a) ** 2")
    _run(kit, "-m", "-m", "tests.helpers.cohorts", "diff", "tests/cohort",
         "bug_graph_tanh_derivative_plus", str(edited))

    # Step 5: tanh in the cohort's correct solutions; every diff still applies to them.
    _add_tanh_to_the_cohort(kit)
    built = tmp_path / "built"
    for folder in ("cohort", "hostile"):
        _run(kit, "-m", "-m", "tests.helpers.cohorts", "build", f"tests/{folder}",
             str(built / folder))
    bad = built / "cohort" / "bug_graph_tanh_derivative_plus"
    graded = _by_task(_grade(kit, bad, tmp_path / "bad-out", "bad"))
    assert graded["graph"][0] < graded["graph"][1], graded
    others = {t: v for t, v in graded.items() if t not in ("graph", "operators")}
    assert all(got == most for got, most in others.values()), graded

    # The correct solutions keep full marks; a bug of each loses only its own task.
    for name in ("correct_kahn", "correct_pull_modules", "correct_tape_first", *BUGS):
        graded = _by_task(_grade(kit, built / "cohort" / name, tmp_path / f"{name}-out", name))
        lost = sorted(t for t, (got, most) in graded.items() if got < most)
        task = next((t for t in graded if name.startswith(f"bug_{t}_")), None)
        assert lost == ([task] if task else []), (name, graded)

    # demo_cohort/: stale until `make demo`, then the same as its sources.
    check = "import sys, tempfile, pathlib; from tests.helpers import demo; " \
            "print(demo.stale(pathlib.Path(tempfile.mkdtemp())))"
    assert _run(kit, check).strip() != "[]"
    _run(kit, "-m", "-m", "tests.helpers.demo")
    assert _run(kit, check).strip() == "[]"
    assert "def tanh" in (kit / "demo_cohort" / "s2406" / "simpleautodiff.py").read_text()
    assert "_tanh = primitive" in (kit / "demo_cohort" / "s2409" / "1_graph.ipynb").read_text()
