"""docs/adding-a-task.md, followed step by step on a copy of the kit: add a task `depth`.

`depth(node)` is the number of operations on the longest path from an input to `node` (the
paper's y = log(x1) + x1*x2 - sin(x2) has depth 3). The copy gets every step of the guide:
the rubric's table and run order, a new scenario kind (its request and answer declared in
adkit/model/scenarios.py, run by adkit/inside/handler.py), the hidden test, the reference's
solution region and export, the regenerated skeleton, the public test and its marker, the
notebook section and the regenerated notebooks, and the documents that list the tasks.
Then the copy's own task-list checks pass, its reference earns full marks in every task,
and a submission that takes the shortest path instead loses `depth` points and only those.
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

COPIED = ("adkit", "graders", "reference", "skeleton", "assignments", "docs", "README.md",
          "pyproject.toml", "tests/__init__.py", "tests/conftest.py", "tests/helpers",
          "tests/unit/test_task_list.py")

pytestmark = pytest.mark.slow

# Step 1: the rubric. A table (its place is the gradebook column's), the total, and the
# task's place in run_order: depth hands out nothing and asks only for built graphs.
TABLE = '''
[tasks.depth]
points = 10
tests.test_paper_example = { points = 4, visibility = "visible", timeout = 10 }
tests.test_random_graphs = { points = 6, visibility = "after_published", timeout = 15 }
'''

# Step 3: the hidden test, with the kit's builders and judging.
GRADER = '''"""Task `depth`: depth(node), the operations on the longest path from an input."""

from adkit.grade.behaviours import by_kind, one, split
from adkit.grade.builders import paper_examples, sent_wiring, wiring_of
from adkit.grade.judging import check_programs

PAPER = "the paper's function at x1 = 2, x2 = 5 and at three other points"


def _scenario(program):
    wired = wiring_of(program)
    return {"kind": "depth", "wiring": sent_wiring(wired), "start": wired["output"]}


def _verdict(program, want, got):
    if "error" in got:
        return got["error"]
    if got != want:
        return f"depth(y) should be {want['depth']} but is {got['depth']}"
    return None


def _check(session, judge, cases, shrinkable=True):
    check_programs(session, judge, cases, _scenario, _verdict, "depth", shrinkable)


def test_paper_example(session, judge):
    by_kind(judge, one(PAPER, paper_examples(session.rng("depth.paper")),
                       lambda j, cases: _check(session, j, cases, shrinkable=False)))
    judge.finish()


def test_random_graphs(session, judge):
    by_kind(judge, split(session.rng("depth.random"), ("uneven_paths", "chains", "random"),
                         lambda j, cases: _check(session, j, cases)))
    judge.finish()
'''

# Step 3, the scenario kind: its request and answer (the grader's side) and their row of
# KINDS, with the most items an answer holds and the nodes a request names ...
DECLARED = '''class DepthRequest(Graph):
    start: int


class DepthAnswer(TypedDict):
    depth: int


'''
ROW = '''    "depth": Kind(DepthRequest, DepthAnswer, lambda s: 1, lambda s: [s["start"]]),
'''
# ... and what the worker runs (inside the sandbox: it calls the student's function only).
RUN = '''def _scenario_depth(s: dict[str, Any], ad: Any) -> dict[str, Any]:
    value = ad.depth(graph(s, ad).nodes[s["start"]])
    if type(value) is not int:
        raise ScenarioError(f"depth(y) returned {type(value).__name__}, not an int")
    return {"depth": value}


'''

# Step 4: the reference's solution, in a region of the new task.
SOLUTION = '''

def depth(node: Node) -> int:
    """The number of operations on the longest path from an input to `node`."""
    ### BEGIN SOLUTION depth
    depths: dict[Node, int] = {}
    for n in reversed(reverse_topological_order(node)):
        depths[n] = max((depths[p] + 1 for p in n.parent_nodes), default=0)
    return depths[node]
    ### END SOLUTION
'''

# Step 5: the public test.
PUBLIC = '''

@pytest.mark.depth
def test_depth_of_paper_graph():
    x1, x2 = ad.Node(X1), ad.Node(X2)
    y = ad.sub(ad.add(ad.log(x1), ad.mul(x1, x2)), ad.sin(x2))
    assert ad.depth(y) == 3 and ad.depth(x1) == 0
'''

# Step 6: the notebook's section.
NOTEBOOK = '''
# %% [markdown]
# ### Task `depth` ({points:depth} points)

# %% answer id=answer_depth
@@ order.py:depth

# %% test id=test_depth_paper points=rest
x1, x2 = Node(X1), Node(X2)
assert depth(log(x1) + x1 * x2 - sin(x2)) == 3, "the paper's function has depth 3"
'''


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{path}: {old!r} should occur {count} time(s)"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _add_depth(kit: Path) -> None:
    rubric = kit / "graders" / "rubric.toml"
    _append(rubric, TABLE)
    _edit(rubric, "total = 100", "total = 110")
    _edit(rubric, 'run_order = ["graph", ', 'run_order = ["graph", "depth", ')
    (kit / "graders" / "test_depth.py").write_text(GRADER, encoding="utf-8")
    scenarios = kit / "adkit" / "model" / "scenarios.py"
    _edit(scenarios, "@dataclass(frozen=True)\nclass Kind:",
          DECLARED + "@dataclass(frozen=True)\nclass Kind:")
    _edit(scenarios, "KINDS: dict[str, Kind] = {\n", "KINDS: dict[str, Kind] = {\n" + ROW)
    handler = kit / "adkit" / "inside" / "handler.py"
    _edit(handler, "SCENARIOS: dict[str, ", RUN + "SCENARIOS: dict[str, ")
    _edit(handler, '    "build": _scenario_build,\n',
          '    "build": _scenario_build,\n    "depth": _scenario_depth,\n')
    package = kit / "reference" / "simpleautodiff"
    _append(package / "order.py", SOLUTION)
    _edit(package / "__init__.py", "import reverse_topological_order, topological_order",
          "import depth, reverse_topological_order, topological_order")
    _edit(package / "__init__.py", '    "cos",\n', '    "cos",\n    "depth",\n')
    _append(kit / "reference" / "tests" / "test_public.py", PUBLIC)
    ini = "    operators: task operators (Node operators and grad)\n"
    _edit(kit / "reference" / "pytest.ini", ini, ini + "    depth: task depth\n")
    marker = '    "operators: rubric task operators (Node operators and grad)",\n'
    _edit(kit / "pyproject.toml", marker, marker + '    "depth: rubric task depth",\n')
    _append(kit / "assignments" / "templates" / "4_wrapper_and_tape.py", NOTEBOOK)
    for document in ("README.md", "docs/contract.md"):
        text = (kit / document).read_text(encoding="utf-8")
        (kit / document).write_text(text.replace("`tape`, `operators`",
                                                 "`tape`, `operators`, `depth`"),
                                    encoding="utf-8")
    _edit(kit / "docs" / "contract.md", "operators,total,max_total",
          "operators,depth,total,max_total")


def _run(kit: Path, *args: str) -> str:
    """A command run with the copy's modules (not this checkout's)."""
    env = dict(os.environ, PYTHONPATH=f"{kit}{os.pathsep}{kit / 'reference'}")
    done = subprocess.run([sys.executable, *args], cwd=kit, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return done.stdout


GRADE = '''
import json, sys
from pathlib import Path
from adkit.proofs.inprocess import grade_in_process
results = grade_in_process(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
print(json.dumps({t["name"]: [t["score"], t["max_score"]] for t in results["tests"]}))
'''


def _by_task(kit: Path, folder: Path, out: Path, who: str) -> dict[str, list[float]]:
    scores = json.loads(_run(kit, "-c", GRADE, str(folder), str(out), who).splitlines()[-1])
    tasks: dict[str, list[float]] = {}
    for name, (score, most) in scores.items():
        got, out_of = tasks.get(name.split(":", 1)[0], [0.0, 0.0])
        tasks[name.split(":", 1)[0]] = [got + score, out_of + most]
    return tasks


def test_adding_a_task_by_the_guide_grades_it(tmp_path):
    kit = copy_project(tmp_path / "kit", COPIED)
    _add_depth(kit)
    # Regenerated from the reference: the skeleton (depth becomes a TODO) and the notebooks.
    _run(kit, "-c", "from adkit.authoring import skeleton; raise SystemExit(skeleton.main([]))")
    todo = (kit / "skeleton" / "simpleautodiff" / "order.py").read_text(encoding="utf-8")
    assert "def depth(node: Node) -> int:" in todo and "depths[n] = max(" not in todo
    _run(kit, "-m", "adkit.authoring.course", "--course-dir", str(kit / "assignments"))

    # Every list of tasks agrees (the cohort's own check needs the cohort: not copied).
    _run(kit, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/test_task_list.py",
         "-k", "not cohort")
    # The public test: the reference passes it.
    _run(kit, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "depth",
         "reference/tests/test_public.py")

    good = _by_task(kit, kit / "reference", tmp_path / "good", "reference")
    assert good["depth"] == [10.0, 10.0], good
    assert all(got == most for got, most in good.values()), good

    # The shortest path instead of the longest: depth points lost, and only those.
    bad = tmp_path / "bad"
    shutil.copytree(kit / "reference", bad, ignore=shutil.ignore_patterns("__pycache__"))
    _edit(bad / "simpleautodiff" / "order.py", "depths[n] = max(", "depths[n] = min(")
    graded = _by_task(kit, bad, tmp_path / "bad-out", "bad")
    assert graded["depth"][0] < graded["depth"][1], graded
    assert all(got == most for task, (got, most) in graded.items() if task != "depth"), graded
