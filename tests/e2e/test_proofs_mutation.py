"""The mutation harness: mutants of the solution regions only, graded and killed by the graders."""

from __future__ import annotations

import dataclasses

import pytest

from adkit.authoring.regions import find_regions
from adkit.proofs import mutation

# One worker makes the mutants (a few seconds of libcst) for all of these tests.
pytestmark = pytest.mark.xdist_group("proofs_mutation")


@pytest.fixture(scope="module")
def mutants():
    return mutation.make_mutants()


def _one(mutants, file, operator, before, after=None):
    (found,) = [m for m in mutants if m.file == file and m.operator.startswith(operator)
                and m.before == before and (after is None or m.after == after)]
    return found


def test_mutants_change_one_solution_line_and_compile(mutants):
    assert len(mutants) > 300
    assert len({m.source for m in mutants}) == len(mutants)
    assert [m.key for m in mutants] == [f"m{i:03d}" for i in range(1, len(mutants) + 1)]
    for m in mutants:
        regions = find_regions(mutation.REFERENCE / m.file)
        assert any(r.begin < m.line < r.end and r.task == m.task for r in regions), m
        compile(m.source, m.file, "exec")
        assert m.diff().count("\n-") >= 1
    assert {m.task for m in mutants} == {"graph", "topological_order", "forward_mode",
                                         "reverse_mode", "wrapper", "tape", "operators"}
    # Code outside the regions (the given `mul`, Node's constructor) is never mutated.
    assert not [m for m in mutants if "a.value * b.value" in m.before]


@pytest.mark.slow
def test_harness_kills_real_slips_and_spares_the_reference(mutants, tmp_path):
    chosen = [
        # The paper's slip: forward mode keeps old tangents on the nodes.
        _one(mutants, "forward_mode.py", "delete statement", "parent.partial_derivative = 0.0"),
        # Backprop overwrites an adjoint instead of adding to it (fan-out breaks).
        _one(mutants, "reverse_mode.py", "mutmut", "parent.adjoint += adjoint * local",
             "parent.adjoint = adjoint * local"),
        # A Tape that never starts recording.
        _one(mutants, "tape.py", "delete statement", "_recording.append(self)"),
    ]
    unchanged = dataclasses.replace(chosen[0], key="m000", source=(
        mutation.REFERENCE / "forward_mode.py").read_text(encoding="utf-8"))
    outcomes = {o.key: o for o in mutation.grade_mutants([*chosen, unchanged], tmp_path,
                                                         jobs=2, progress=False)}
    for mutant, task in zip(chosen, ("forward_mode", "reverse_mode", "tape")):
        outcome = outcomes[mutant.key]
        assert outcome.killed and not outcome.error, outcome
        assert outcome.failed.startswith(f"{task}:"), outcome
    assert not outcomes["m000"].killed, outcomes["m000"]
    assert outcomes["m000"].score == outcomes["m000"].max_score == 100


def test_report_shows_share_survivors_and_verdicts(mutants):
    a, b, c = mutants[:3]
    outcomes = [mutation.Outcome(a.key, 90, 100, "forward_mode: paper example", 1.0),
                mutation.Outcome(b.key, 100, 100, "", 9.0),
                mutation.Outcome(c.key, 100, 100, "", 9.0)]
    verdicts = {b.signature: {"signature": b.signature, "student": "yes",
                              "why": "forgetting this is common."}}
    text = mutation.report(mutants[:3], outcomes, 12.0, verdicts)
    assert "killed (lost at least one point under the hidden graders): 1 (33.3%)" in text
    assert f"### {b.key}: " in text and f"### {c.key}: " in text and f"### {a.key}:" not in text
    assert "**Could a student write it?** yes. forgetting this is common." in text
    assert "not judged yet" in text
    assert "```diff" in text and f"--- a/{b.file}" in text and b.before in text
