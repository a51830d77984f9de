"""docs/adding-a-primitive.md, followed step by step on a copy of the kit: add `tanh`.

The copy gets one new row in adkit/model/primitives.py and one new primitive in the
reference (inside a solution region tagged `graph`), and a regenerated skeleton. Then the
copy's graders use it with nothing else changed: random programs draw tanh, its local
derivative is checked, a submission whose tanh derivative is wrong loses `graph` points,
and the copy's reference keeps full marks.
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

COPIED = ("adkit", "graders", "reference", "pyproject.toml")

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


def _run(kit: Path, code: str) -> str:
    """Python code run with the copy's modules (not this checkout's)."""
    env = dict(os.environ, PYTHONPATH=f"{kit}{os.pathsep}{kit / 'reference'}")
    done = subprocess.run([sys.executable, "-c", code], cwd=kit, env=env,
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

    # The copy's reference: full marks in every task.
    good = _by_task(_grade(kit, kit / "reference", tmp_path / "good", "reference"))
    assert all(got == most for got, most in good.values()), good

    # A submission whose tanh derivative is wrong: loses graph points, and only those.
    bad = tmp_path / "bad"
    shutil.copytree(kit / "reference", bad, ignore=shutil.ignore_patterns("__pycache__"))
    _edit(bad / "simpleautodiff" / "primitives.py",
          "lambda a: 1.0 - math.tanh(a) ** 2", "lambda a: 1.0 + math.tanh(a) ** 2")
    graded = _by_task(_grade(kit, bad, tmp_path / "bad-out", "bad"))
    assert graded["graph"][0] < graded["graph"][1], graded
    others = {t: v for t, v in graded.items() if t not in ("graph", "operators")}
    assert all(got == most for got, most in others.values()), graded
