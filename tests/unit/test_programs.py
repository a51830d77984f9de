"""adkit.model.programs: functions as data, the shared source of every randomized graph."""

from __future__ import annotations

import json
import math
import random

import pytest

import simpleautodiff as ad
from adkit.model import primitives, programs

SHAPES = [(n_inputs, n_ops) for n_inputs in (1, 2, 5) for n_ops in (1, 7, 40)]


def program_for(seed: int, n_inputs: int, n_ops: int) -> programs.Program:
    return programs.random_program(random.Random(seed), n_inputs=n_inputs, n_ops=n_ops)


def node_args(op: dict) -> list[int]:
    return [a for a in op["args"] if not isinstance(a, dict)]


@pytest.mark.parametrize("n_inputs, n_ops", SHAPES)
def test_random_programs_are_deterministic_per_seed(n_inputs, n_ops):
    for seed in range(10):
        first = program_for(seed, n_inputs, n_ops)
        assert program_for(seed, n_inputs, n_ops) == first
        assert json.loads(json.dumps(first)) == first, "a program must survive JSON"
    assert len({json.dumps(program_for(s, n_inputs, n_ops)) for s in range(10)}) > 5


@pytest.mark.parametrize("n_inputs, n_ops", SHAPES)
def test_random_programs_are_well_formed_and_in_domain(n_inputs, n_ops):
    for seed in range(30):
        program = program_for(seed, n_inputs, n_ops)
        assert len(program["inputs"]) == n_inputs
        assert len(program["ops"]) >= min(n_ops, 1)
        for k, op in enumerate(program["ops"]):
            row = primitives.PRIMITIVES[op["op"]]
            assert len(op["args"]) == row.arity, op
            assert node_args(op), f"seed {seed}: op {k} uses only constants"
            assert all(0 <= a < n_inputs + k for a in node_args(op)), "args come before"
            assert ("p" in op) == (row.number == "p")
        values = programs.evaluate(program)
        assert len(values) == programs.node_count(program)
        assert all(math.isfinite(v) for v in values), f"seed {seed}: {values}"


@pytest.mark.parametrize("n_inputs, n_ops", SHAPES)
def test_every_node_is_on_a_path_to_the_output(n_inputs, n_ops):
    for seed in range(30):
        program = program_for(seed, n_inputs, n_ops)
        total = programs.node_count(program)
        on_path, stack = {total - 1}, [total - 1]
        while stack:
            node = stack.pop()
            if node >= n_inputs:
                for a in node_args(program["ops"][node - n_inputs]):
                    if a not in on_path:
                        on_path.add(a)
                        stack.append(a)
        assert on_path == set(range(total)), f"seed {seed}: {set(range(total)) - on_path}"


@pytest.mark.parametrize("seed", range(20))
def test_building_with_the_reference_gives_the_evaluated_values(seed):
    program = program_for(seed, 1 + seed % 5, 5 + 2 * seed)
    nodes = programs.build(program, ad)
    assert [n.value for n in nodes] == pytest.approx(programs.evaluate(program),
                                                     rel=1e-15, abs=1e-300)
    assert [n.name for n in nodes[: len(program["inputs"])]] == [
        f"x{i}" for i in range(1, len(program["inputs"]) + 1)]
    ops = [n.operator for n in nodes[len(program["inputs"]):]]
    assert ops == [op["op"] for op in program["ops"]]


def test_paper_example_is_the_papers_function():
    values = programs.evaluate(programs.paper_example())
    assert values[-1] == pytest.approx(math.log(2) + 10 - math.sin(5), rel=1e-15)
    assert programs.paper_example(1.0, 3.0)["inputs"] == [1.0, 3.0]


@pytest.mark.parametrize("depth", [1, 4, 7, 1000])
def test_chain_program_is_a_chain_of_the_documented_depth(depth):
    program = programs.chain_program(depth)
    assert len(program["inputs"]) == 3 and len(program["ops"]) == depth
    # Each op takes the node just before it (x1 for the first): the longest path is `depth`.
    for k, op in enumerate(program["ops"]):
        assert node_args(op)[0] == (0 if k == 0 else 2 + k)
        assert all(a in (1, 2) for a in node_args(op)[1:])
    values = programs.evaluate(program)
    assert all(math.isfinite(v) and abs(v) < 100 for v in values), "values stay bounded"
    assert programs.chain_program(depth) == program, "the default rng is fixed"


@pytest.mark.parametrize("n", [1, 2, 3, 50])
def test_wide_program_is_the_documented_sum_of_products(n):
    program = programs.wide_program(n)
    assert len(program["inputs"]) == n
    assert programs.node_count(program) == 3 * n - 1  # n inputs, n products, n - 1 sums
    x = program["inputs"]
    want = sum(x[i] * x[(i + 1) % n] for i in range(n))
    assert programs.evaluate(program)[-1] == pytest.approx(want, rel=1e-12, abs=1e-12)
    assert programs.wide_program(n) == program
    assert programs.wide_program(n, random.Random(1)) != program


@pytest.mark.parametrize("names", [("sin",), ("div", "log"), ("power",)])
def test_random_programs_draw_only_the_primitives_asked_for(names):
    for seed in range(10):
        program = programs.random_program(random.Random(seed), n_ops=15, primitives=names)
        # nodes nobody uses are summed into the output with add
        assert {op["op"] for op in program["ops"]} <= {*names, "add"}
        assert any(op["op"] in names for op in program["ops"])


def test_unknown_operations_are_refused_everywhere():
    program = {"inputs": [0.5], "ops": [{"op": "tanh", "args": [0]}]}
    for use in (programs.evaluate, programs.wiring, lambda p: programs.build(p, ad)):
        with pytest.raises(ValueError, match="unknown operation 'tanh'"):
            use(program)
