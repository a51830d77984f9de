"""The grader's building blocks: order checks, float comparison, rubric, seeds, shrinking.
(A task's own process: tests/sandbox/test_task_processes.py.)"""

import json
import math
import random
import shutil
from pathlib import Path

import pytest

from adkit.grade import builders, checks, explain, reference, stand_in_data, verdicts
from adkit.inside import graphs, handler, problems, stand_ins, state
from adkit.model import programs
from adkit.model.rubric import DEFAULT_RUBRIC, RubricError, load_rubric, student_seed
from tests.helpers import ROOT

# The paper's graph: x1=0, x2=1, v1=log(x1)=2, v2=x1*x2=3, v3=sin(x2)=4, v4=v1+v2=5, y=v4-v3=6
PARENTS = [[], [], [0], [0, 1], [1], [2, 3], [5, 4]]


@pytest.mark.parametrize("order", [[0, 2, 3, 5, 6], [0, 3, 2, 5, 6]])
def test_valid_topological_orders_are_accepted(order):
    assert checks.check_order(order, 0, PARENTS) is None


@pytest.mark.parametrize("order", [[6, 5, 4, 3, 2, 1, 0], [6, 4, 5, 3, 1, 2, 0],
                                   [6, 5, 3, 2, 4, 1, 0]])
def test_valid_reverse_orders_are_accepted(order):
    assert checks.check_order(order, 6, PARENTS, reverse=True) is None


@pytest.mark.parametrize("order, words", [
    ([0, 2, 3, 5], "missing"),
    ([0, 2, 3, 3, 5, 6], "twice"),
    ([0, 2, 5, 3, 6], "before its parent"),
    ([2, 0, 3, 5, 6], "starts with"),
    ([0, 2, 3, 5, 6, 1], "not reachable"),
    ([0, 2, 3, 5, 6, -1], "not a node"),
    ([], "empty"),
])
def test_invalid_topological_orders_are_rejected(order, words):
    problem = checks.check_order(order, 0, PARENTS)
    assert problem is not None and words in problem


def test_invalid_reverse_order_is_rejected():
    problem = checks.check_order([6, 4, 1, 5, 3, 2, 0], 6, PARENTS, reverse=True)
    assert problem is not None and "after its parent" in problem


def test_problems_name_nodes_as_the_student_knows_them():
    names = ["x1", "x2", "v1", "v2", "v3", "v4", "y"]
    problem = checks.check_order([0, 2, 5, 3, 6], 0, PARENTS, names=names)
    assert "v4" in problem and "v2" in problem


@pytest.mark.parametrize("expected, got, ok", [
    (1.0, 1.0 + 1e-9, True),
    (1e9, 1e9 + 10, True),  # relative to the size of the numbers
    (1e9, 1e9 + 1000, False),
    (0.0, 1e-8, True),  # absolute floor near zero
    (0.0, 1e-6, False),
    (1.0, math.nan, False),
    (math.nan, math.nan, True),
    (1.0, math.inf, False),
    (math.inf, math.inf, True),
    (-math.inf, math.inf, False),
    (1.0, "1.0", False),
    (1.0, True, False),
    (2, 2.0, True),
])
def test_close(expected, got, ok):
    assert checks.close(expected, got) is ok


def test_the_shipped_rubric_is_valid_and_totals_100():
    rubric = load_rubric()
    assert rubric.total == 100
    assert all(rule.timeout > 0 for rule in rubric.tests.values())


def _rubric(tmp_path: Path, edit) -> Path:
    path = tmp_path / "rubric.toml"
    path.write_text(edit(DEFAULT_RUBRIC.read_text(encoding="utf-8")), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.replace("[tasks.tape]", "[tasks.tapes]"), "unknown task"),
    (lambda t: t.replace("points = 20", "points = 25", 1), "add up"),
    (lambda t: t.replace("tests.test_larger_function", "tests.test_huge_function"),
     "does not define"),
    (lambda t: t.replace('tests.test_larger_function = { points = 3, visibility = '
                         '"after_published", timeout = 15 }\n', "")
     .replace("points = 20", "points = 17", 1).replace("total = 100", "total = 97"),
     "does not list"),
    (lambda t: t.replace('visibility = "visible"', 'visibility = "everyone"', 1), "visibility"),
    (lambda t: t + "\n[oops", "not valid TOML"),
    (lambda t: t.replace("total = 100", "total = 90"), "total"),
])
def test_bad_rubrics_are_rejected_clearly(tmp_path, edit, words):
    with pytest.raises(RubricError, match=words):
        load_rubric(_rubric(tmp_path, edit))


def test_seeds_differ_between_students_and_repeat_on_regrade(monkeypatch):
    seeds = {student_seed("secret", f"student{i}") for i in range(200)}
    assert len(seeds) == 200
    assert student_seed("secret", "ada") == student_seed("secret", "ada")
    assert student_seed("other secret", "ada") != student_seed("secret", "ada")
    monkeypatch.setenv("ADKIT_COURSE_SECRET", "from the environment")
    assert load_rubric().secret == "from the environment"


def test_paper_example_reads_like_the_paper():
    text = explain.to_text(programs.paper_example())
    assert text.startswith("y = log(x1) + x1*x2 - sin(x2)")
    assert "x1 = 2" in text and "x2 = 5" in text


def test_shrink_finds_a_small_failing_function():
    rng = random.Random(3)
    program = programs.random_program(rng, n_inputs=3, n_ops=200)
    assert any(op["op"] == "cos" for op in program["ops"])

    def failing(candidates):  # "the student's cos is wrong"
        return [any(op["op"] == "cos" for op in c["ops"]) for c in candidates]

    small = explain.shrink(program, failing)
    assert len(small["ops"]) <= 3
    assert any(op["op"] == "cos" for op in small["ops"])


def _sent(wired):
    return {k: wired[k] for k in ("values", "ops", "parents", "grads")}


@pytest.mark.parametrize(("kind", "size", "seed"), [("chain", 1, 0), ("chain", 7, 3),
                                                    ("chain", 1_000, 12345), ("star", 5, 0)])
def test_a_packed_wiring_unpacks_to_the_same_wiring(kind, size, seed):
    """A generated graph's wiring travels packed (grader side) and unpacks in the worker
    to exactly the program's wiring: the same numbers, the same structure."""
    wired = stand_in_data.generated_wiring(kind, size, seed)
    packed = json.loads(json.dumps(stand_in_data.pack_wiring(wired)))
    assert graphs.unpack_wiring(packed) == _sent(wired)


@pytest.mark.parametrize("seed", range(40))
def test_the_stand_in_orders_are_valid_orders(seed):
    """The orders the grader computes for the stand-ins: valid from every node."""
    rng = random.Random(seed)
    program = programs.random_program(rng, n_inputs=rng.randint(1, 4), n_ops=rng.randint(1, 30))
    wired = programs.wiring(program)
    for start in range(len(wired["values"])):
        for reverse in (False, True):
            order = stand_in_data.order_from(wired["parents"], start, reverse)
            assert checks.check_order(order, start, wired["parents"], reverse=reverse) is None


@pytest.mark.parametrize("seed", range(20))
def test_the_stand_in_adjoints_are_the_reference_backward(seed):
    """The adjoints grad's stand-in backward sets are what the reference's backward sets."""
    rng = random.Random(seed)
    program = programs.random_program(rng, n_inputs=rng.randint(1, 4), n_ops=rng.randint(1, 30))
    wired = programs.wiring(program)
    ad = reference.load_reference()
    nodes = graphs.hand_build(wired, ad)
    ad.backward(nodes[wired["output"]])
    sent = dict(stand_in_data.adjoints_from(wired, wired["output"]))
    for k, node in enumerate(nodes):
        assert sent.get(k, 0.0) == pytest.approx(node.adjoint, rel=1e-12, abs=1e-12), k


def test_supply_sends_each_scenario_only_its_own_starts():
    """A forward scenario carries the order from each of its roots, nothing more; a grad
    scenario the adjoints and reverse order from its output only."""
    program = programs.paper_example()
    scenario = stand_in_data.supply(builders.forward_scenario(program))
    assert [start for start, _ in scenario["orders"]] == list(dict.fromkeys(scenario["roots"]))
    grad = stand_in_data.supply(builders.grad_scenario(program))
    output = grad["positions"][-1]
    assert [start for start, _ in grad["orders"]] == [output]
    assert dict(grad["adjoints"])[output] == 1.0
    assert "orders" not in stand_in_data.supply(builders.order_scenarios(program)[0])


def _paper_graph():
    ad = reference.load_reference()
    wired = programs.wiring(programs.paper_example())
    nodes = graphs.hand_build(wired, ad)
    return ad, wired, nodes, {id(n): i for i, n in enumerate(nodes)}


def _orders(wired, starts, reverse=False):
    return {s: stand_in_data.order_from(wired["parents"], s, reverse) for s in starts}


def test_the_stand_in_orders_hand_out_copies():
    """A student's forward may change the list it gets; the next call must not see that."""
    _, wired, nodes, known = _paper_graph()
    order = stand_ins.stand_in_order(stand_ins.Scope(), lambda: (nodes, known),
                                     _orders(wired, [0]), False, "forward")
    first = order(nodes[0])
    first.clear()
    assert [id(n) for n in order(nodes[0])] == [
        id(nodes[i]) for i in stand_in_data.order_from(wired["parents"], 0, False)]


def test_stand_ins_refuse_unknown_nodes_and_die_with_their_scenario():
    """A stand-in answers only for its scenario's nodes and starts, and only while the
    scenario runs."""
    ad, wired, nodes, known = _paper_graph()
    scope = stand_ins.Scope()
    order = stand_ins.stand_in_order(scope, lambda: (nodes, known), _orders(wired, [0]),
                                     False, "forward")
    with pytest.raises(problems.ScenarioError, match="did not build"):
        order(ad.Node(1.0))
    with pytest.raises(problems.ScenarioError, match="was not called from"):
        order(nodes[1])
    with stand_ins.swapped(ad.forward, ad, {"topological_order": order}, scope):
        ad.forward(nodes[0])
    assert ad.topological_order is not order
    with pytest.raises(problems.ScenarioError, match="outside the scenario"):
        order(nodes[0])


def test_operators_graphs_are_read_whole_ring_by_ring():
    """A graph of unknown shape is read by the grader asking for named neighbours: the
    result is every node connected to the built ones, described in full."""
    from adkit.grade import rings

    program = {"inputs": [1.5, 2.0], "ops": [{"op": "div", "args": [0, 1]},
                                             {"op": "sub", "args": [2, {"const": 0.5}]}]}
    scenario = builders.build_scenario(program, via="operators")
    got = reference.expect([scenario])[0]
    assert "more" not in got and all("parents" in row for row in got["others"])
    with state.use(state.State()) as kept:
        first = handler.run(scenario, reference.load_reference())
        assert all("parents" not in row for row in first["others"])
        whole = rings.complete([first], lambda s: [handler.run(x, None) for x in s])[0]
        assert not kept.open, "forgotten once read"
    assert whole == got


def test_no_general_walk_or_rule_table_is_left_in_the_handler():
    """The red team's reusable pieces are gone: no node walks, no backward, no rules."""
    from adkit import inside

    for path in [inside.HANDLER, inside.ENTRY, *inside.SUPPORT]:
        source = path.read_text(encoding="utf-8")
        assert "from adkit" not in source and "import adkit" not in source, path
        for name in ("def reachable", "def _walk", "def _own_backward", "def generated_wiring",
                     "adjoint = {", "def describe_whole", "random.Random"):
            assert name not in source, (path, name)


def test_a_short_or_missing_answer_fails_with_a_sentence():
    program = programs.paper_example()
    scenario = builders.build_scenario(program)
    want = reference.expect([scenario])[0]
    names = explain.node_names(program)
    for got in ({"nodes": [], "others": []}, {}, {"nodes": want["nodes"][:-1], "others": []}):
        problem = verdicts.compare_build(want, got, names, scenario)
        assert problem and "did your code change the grader" in problem
    tape = builders.tape_scenario(program)
    want = reference.expect([tape])[0]
    wired, names = programs.wiring(program), builders.names_of(program)
    forged = {"after": want["after"]}  # no `recorded`
    problem = verdicts.derivative_verdict(tape, want, forged, wired, names,
                                          builders.reach(wired))
    assert problem and "did your code change the grader" in problem
    short = dict(want, after=want["after"][:1])
    assert "did your code change the grader" in verdicts.derivative_verdict(
        tape, want, short, wired, names, builders.reach(wired))
    assert verdicts.derivative_verdict(tape, want, want, wired, names,
                                       builders.reach(wired)) is None


def test_grad_stand_in_knows_only_the_built_graph():
    ad = reference.load_reference()
    program = programs.paper_example(1.5, -2.0)
    scenario = stand_in_data.supply(builders.grad_scenario(program, via="primitives"))
    answer = handler.run(scenario, ad)
    assert answer["grad"] == pytest.approx([1 / 1.5 - 2.0, 1.5 - math.cos(-2.0)])
    unsupplied = handler.run(builders.grad_scenario(program, via="primitives"), ad)
    assert "error" in unsupplied, "no data, no answer: the worker holds no backward"


def test_tasks_run_in_the_rubrics_order_and_the_last_is_served_by_the_worker():
    """The plugin runs the tasks in the rubric's run_order (no task's hand-outs answer a
    later task's questions), keeps each task's tests together in file order, and names the
    last task final; a graders file named for no task is refused with what to do."""
    from adkit.grade.plugin import GradePlugin, test_key

    class Item:
        def __init__(self, task: str, name: str) -> None:
            self.fspath, self.originalname, self.name = f"/g/test_{task}.py", name, name

    items = [Item("forward_mode", "test_small"), Item("forward_mode", "test_big"),
             Item("graph", "test_a"), Item("graph", "test_b"), Item("tape", "test_small"),
             Item("tape", "test_big"), Item("wrapper", "test_a"),
             Item("topological_order", "test_a"), Item("operators", "test_a"),
             Item("reverse_mode", "test_a")]
    rubric = load_rubric()
    plugin = GradePlugin(None, rubric)  # type: ignore[arg-type]
    plugin.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [test_key(i) for i in items] == [  # type: ignore[arg-type]
        ("graph", "test_a"), ("graph", "test_b"), ("topological_order", "test_a"),
        ("forward_mode", "test_small"), ("forward_mode", "test_big"), ("reverse_mode", "test_a"),
        ("tape", "test_small"), ("tape", "test_big"), ("operators", "test_a"),
        ("wrapper", "test_a")]
    assert plugin.final == "wrapper"
    with pytest.raises(pytest.UsageError, match="not a rubric task"):
        plugin.pytest_collection_modifyitems([Item("new_task", "test_a")])  # type: ignore[list-item]


def test_the_rubrics_run_order_hands_out_answers_only_after_their_tasks():
    """Orders and adjoints are handed out only after the tasks whose answers they are,
    derivative rules last; the four tasks on the big graphs share them."""
    rubric = load_rubric()
    order = rubric.run_order
    assert sorted(order) == sorted(rubric.tasks)
    assert order.index("topological_order") < order.index("forward_mode")
    assert order.index("topological_order") < order.index("reverse_mode")
    assert max(order.index("reverse_mode"), order.index("tape")) < order.index("operators")
    assert order[-1] == "wrapper"
    assert rubric.shared_graphs == {"topological_order", "forward_mode", "reverse_mode", "tape"}


def test_the_shared_graphs_are_built_before_the_first_task_that_shares_them():
    """Built once, when the first sharing task starts (before its process forks); a test
    that sends a kept graph in a task without `shared_graphs = true` in the rubric is a
    grader error, so a missing key fails the kit's own tests."""
    from adkit.grade.reference import GraderError
    from adkit.grade.session import Session

    class Box:
        per_task = True

        def __init__(self) -> None:
            self.calls: list[tuple[str | None, bool]] = []

        def call(self, request, timeout=None, task=None, final=False, most=None):
            from adkit.sandbox import Reply
            self.calls.append((task, final))
            return Reply(ok=True, value={"results": [{} for _ in request["scenarios"]]})

    box = Box()
    session = Session("ada", 1, 2, box)
    session.start_test(5.0, "graph")
    session.call([{"kind": "build", "program": {"inputs": [1.0], "ops": []}}])
    with pytest.raises(GraderError, match="shared_graphs"):
        session.call([dict(builders.kept("chain", 10, 0), kind="forward", roots=[0])])
    session.start_test(5.0, "topological_order", shares_graphs=True)
    session.start_test(5.0, "topological_order", shares_graphs=True)
    session.start_test(5.0, "tape", shares_graphs=True, final=True)
    session.call([dict(builders.kept("chain", 10, 0), kind="tape", calls=[])])
    assert box.calls == [("graph", False), (None, False), ("tape", True)]


def test_a_sandbox_that_cannot_fork_is_restarted_per_task():
    """The in-process stand-in (the proofs) has no per-task fork: a new task restarts it."""
    from adkit.grade.session import Session

    class Box:
        restarts = 0

        def restart(self):
            self.restarts += 1

    box = Box()
    session = Session("ada", 1, 2, box)
    assert not session.per_task
    for task in ("test_graph", "test_graph", "test_operators", "test_tape", "test_tape"):
        session.start_test(5.0, task)
    assert box.restarts == 2


def _operators_answer(program):
    scenario = builders.build_scenario(program, via="operators")
    return scenario, reference.expect([scenario])[0]


def test_operators_are_graded_by_meaning_not_shape():
    """x - y built as x + (-y) (other nodes, other operators) passes; a wrong sign fails."""
    program = {"inputs": [1.5, 0.5], "ops": [{"op": "sub", "args": [0, 1]}]}
    scenario, want = _operators_answer(program)
    names = explain.node_names(program)
    # The same function as x1 + (-x2): node 2 is the add, c0 the neg made in between.
    other = {"nodes": [
        {"value": 1.5, "operator": "input", "parents": [], "grads": [], "children": [2]},
        {"value": 0.5, "operator": "input", "parents": [], "grads": [], "children": ["c0"]},
        {"value": 1.0, "operator": "add", "parents": [0, "c0"], "grads": [1.0, 1.0],
         "children": []}],
        "others": [{"value": -0.5, "operator": "neg", "n_parents": 1, "parents": [1],
                    "grads": [-1.0], "children": [2]}]}
    assert verdicts.compare_meaning(want, other, names, scenario, 2) is None
    wrong = {**other, "others": [dict(other["others"][0], grads=[1.0])]}
    assert "∂y/∂x2 is 1, expected -1" in verdicts.compare_meaning(want, wrong, names,
                                                                  scenario, 2)
    unlinked = {**other, "others": [dict(other["others"][0], children=[])]}
    assert "forward mode from x2 along child_nodes" in verdicts.compare_meaning(
        want, unlinked, names, scenario, 2)


def test_numbers_print_as_numbers():
    program = {"inputs": [1.5], "ops": [{"op": "sin", "args": [0]}]}
    scenario = builders.build_scenario(program)
    want = handler.run(scenario, reference.load_reference())
    got = {**want, "nodes": [want["nodes"][0], dict(want["nodes"][1], grads=[0.6568191866])]}
    problem = verdicts.compare_build(want, got, explain.node_names(program), scenario)
    assert "grad_wrt_parents [0.6568191866], expected [0.07073720167]" in problem


def test_a_time_out_names_the_rubrics_limit_and_both_causes():
    from adkit.grade.session import Session

    class Hangs:
        def call(self, request, timeout):
            from adkit.sandbox import Reply
            return Reply(ok=False, stopped="cpu", problem=f"did not finish within "
                                                          f"{timeout:.3g} s (an infinite loop?)")

    session = Session("ada", 1, 2, Hangs())
    session.start_test(30.0, "test_forward_mode")
    error = session.call([{"kind": "forward"}])[0]["error"]
    assert error.startswith("did not finish within the 30 s limit for this test")
    assert "endless loop" in error and "quadratic" in error


def test_a_call_that_waits_past_the_backstop_uses_up_its_test():
    """Code that waits costs little CPU time, but a call stopped by the wall-clock backstop
    used up its test: the test's other kinds are not run, so a hang costs one limit a test."""
    from adkit.grade.session import Session
    from adkit.sandbox import Reply

    calls = []

    class Waits:
        def call(self, request, timeout):
            calls.append(timeout)
            return Reply(ok=False, cpu_seconds=0.01, stopped="waited", problem=(
                f"did not finish within 25 s, using little of its {timeout:.3g} s of CPU "
                "time: it waited (a sleep, or a read that never ends?)"))

    session = Session("ada", 1, 2, Waits())
    session.start_test(10.0, "test_forward_mode")
    first = session.call([{"kind": "forward"}])[0]["error"]
    assert "it waited" in first
    later = session.call([{"kind": "backward"}])[0]["error"]
    assert later.startswith("not run: this test's time limit was used up") and len(calls) == 1


def _fake_package(name: str, keeps: bool = False, slow: bool = False,
                  swaps: bool = False) -> object:
    """A minimal simpleautodiff whose Tape records every Node made inside its block."""
    import sys
    import time
    import types

    ad = types.ModuleType(name)
    recording: list = []

    class Node:
        def __init__(self, value, parent_nodes=None, name=None):
            self.value, self.parent_nodes, self.name = value, parent_nodes or [], name
            self.child_nodes, self.grad_wrt_parents = [], []
            if recording:
                nodes = recording[-1].nodes
                if slow:
                    time.sleep(0.0002)  # 0.4 s over the trial's 2,000 nodes
                nodes.append(self)

    class Tape:
        def __init__(self):
            self.nodes = []

        def __enter__(self):
            recording.append(self)
            if swaps:
                ad.helper = lambda: "swapped"  # and never put back
            return self

        def __exit__(self, *exc):
            if not keeps:
                recording.pop()

    ad.Node, ad.Tape, ad.helper = Node, Tape, lambda: "original"
    sys.modules[name] = ad
    return ad


@pytest.mark.parametrize(("kind", "fit"), [("plain", True), ("keeps", False), ("slow", False),
                                           ("swaps", False)])
def test_only_a_tape_fit_to_share_records_the_shared_chain(kind: str, fit: bool) -> None:
    """The shared chain is recorded by the student's Tape only if, on a trial chain, it
    records about as fast as a plain build, stops at the end of its block and leaves the
    package's functions as they were; otherwise the tape task records its own chain."""
    import gc

    ad = _fake_package(f"fake_{kind}", keeps=kind == "keeps", slow=kind == "slow",
                       swaps=kind == "swaps")
    collecting = gc.isenabled()
    gc.disable()  # as in the worker: a collection inside the timed trial would blur it
    try:
        with state.use(state.State()):
            trial = stand_in_data.generated_wiring(*stand_in_data.TRIAL)
            assert graphs.tape_fit(ad, trial) is fit
            spec = stand_in_data.supply(dict(builders.kept("chain", 4_000, 0), kind="forward",
                                             roots=[], record_if_fit=True))
            graph = graphs.graph(spec, ad)
            assert (graph.tape is not None) is fit
            if fit:
                assert graph.tape.nodes == graph.nodes
            again = graphs.graph(stand_in_data.supply(dict(
                builders.kept("chain", 4_000, 0, record=True), kind="tape", calls=[])), ad)
            assert again.tape is not None and again.tape.nodes[-1] is again.nodes[-1]
    finally:
        if collecting:
            gc.enable()


@pytest.mark.slow
def test_nodes_a_call_is_not_responsible_for_may_hold_anything(tmp_path):
    """Only the nodes `forward(root)` must set are judged: a correct package whose nodes
    start with `partial_derivative = None` (left so on nodes no call reaches) earns full
    marks, and a None where a number is due is named as such."""
    from adkit.grade import verdicts
    from adkit.proofs.inprocess import grade_in_process

    package = tmp_path / "student" / "simpleautodiff"
    shutil.copytree(ROOT / "reference" / "simpleautodiff", package)
    node = package / "node.py"
    text = node.read_text(encoding="utf-8")
    assert text.count("self.partial_derivative = 0.0") == 1
    node.write_text(text.replace("self.partial_derivative = 0.0",
                                 "self.partial_derivative = None"), encoding="utf-8")
    data = grade_in_process(tmp_path / "student", tmp_path / "out")
    lost = [t["name"] for t in data["tests"] if t["score"] < t["max_score"]]
    assert data["score"] == 100, lost
    said = verdicts.compare_numbers([1.0, 2.0], [1.0, "a NoneType"], [0, 1],
                                    lambda i: f"∂v{i}/∂x1")
    assert said == "∂v1/∂x1 should be 2 but is a NoneType, not a number"


def test_a_students_error_reads_the_same_on_every_run():
    """Memory addresses and id() numbers in a student's exception change from run to run:
    shown as `0x...` and `<id>`, the same code gets the same feedback everywhere (a grade
    merged from cluster shards equals the one-machine run's to the letter)."""
    class Node:
        pass

    texts, kept = [], []
    for _ in range(2):
        kept += [Node(), Node()]  # alive: two different addresses
        keys = {id(kept[-2]): 0}
        try:
            keys[id(kept[-1])]
        except KeyError as error:
            texts.append(problems.explain(error))
        try:
            raise ValueError(f"cannot use {kept[-1]!r}")
        except ValueError as error:
            texts.append(problems.explain(error))
    assert texts[0] == texts[2] and texts[1] == texts[3]
    assert texts[0].startswith("KeyError: <id>") and " at 0x..." in texts[1]
    assert problems.stable(f"{object()!r}") == "<object object at 0x...>"
    assert problems.stable("x = 12.5, y = 3.14159265358979, n = 1234") == \
        "x = 12.5, y = 3.14159265358979, n = 1234"


def test_the_in_process_backend_says_which_limit_stopped_a_call(tmp_path):
    """As the sandbox's Reply.stopped: the kit's proofs, graded in-process, tell a loop out
    of CPU time ("cpu") from code that waited, and a grading session reads it from there."""
    from adkit.sandbox.inprocess import InProcessSandbox

    package = tmp_path / "looper" / "simpleautodiff"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("while True:\n    pass\n", encoding="utf-8")
    box = InProcessSandbox(tmp_path / "looper", timeouts=True)
    reply = box.call({"scenarios": []}, timeout=0.2)
    assert not reply.ok and reply.stopped == "cpu", reply
    assert 0.15 < reply.cpu_seconds < 2.0


def test_a_fork_bomb_is_told_as_one_not_as_a_time_out():
    """The sandbox stopped a fork bomb when its time ran out, but says what it did (too many
    processes) and sets no `stopped`: the session keeps those words."""
    from adkit.grade.session import Session
    from adkit.sandbox import Reply

    class Bombs:
        def call(self, request, timeout):
            return Reply(ok=False, cpu_seconds=timeout,
                         problem="was killed: too many processes (limit 32)")

    session = Session("ada", 1, 2, Bombs())
    session.start_test(10.0, "test_forward_mode")
    error = session.call([{"kind": "forward"}])[0]["error"]
    assert error.startswith("was killed: too many processes (limit 32)"), error
