"""Running a test's scenarios on both sides and judging them: one case per scenario or
function, and the smallest failing function explained, shrunk (adkit/grade/explain.py)."""

from __future__ import annotations

import hashlib
import json
import time
from array import array
from collections.abc import Callable
from typing import Any

from adkit.grade import builders, reference
from adkit.grade.explain import shrink, to_text
from adkit.grade.session import Session
from adkit.grade.verdicts import Judge, derivative_verdict, order_verdict
from adkit.model.scenarios import Program


def check_programs(
    session: Session,
    judge: Judge,
    programs_: list[Program],
    scenario_of: Callable[[Program], dict[str, Any]],
    verdict: Callable[[Program, dict[str, Any], dict[str, Any]], str | None],
    what: str,
    shrinkable: bool = True,
) -> None:
    """Run one scenario per program (smallest first); explain the smallest failure, shrunk.

    `verdict(program, want, got)`. A failure that is a crash of the student's code is
    reported as it is, not shrunk.
    """
    programs_ = sorted(programs_, key=lambda p: len(p["ops"]))
    scenarios = [scenario_of(p) for p in programs_]
    got = session.call(scenarios)
    want = reference.expect(scenarios)
    failures = []
    for program, w, g in zip(programs_, want, got, strict=True):
        problem = verdict(program, w, g)
        judge.case(problem is None)
        if problem is not None:
            failures.append((program, problem, "error" in g))
    if not failures:
        return
    program, problem, crashed = failures[0]
    # judge.shrink: False once an earlier kind of the test failed (adkit/grade/behaviours.py)
    if shrinkable and getattr(judge, "shrink", True) and not crashed \
            and session.time_left() > 1.0:
        def failing(candidates: list[Program]) -> list[bool]:
            sc = [scenario_of(c) for c in candidates]
            return [verdict(c, w, g) is not None for c, w, g in
                    zip(candidates, reference.expect(sc), session.call(sc), strict=True)]

        program = shrink(program, failing, _shrinking_time(session))
        scenario = scenario_of(program)
        again = session.call([scenario])[0]
        problem = verdict(program, reference.expect([scenario])[0], again) or problem
    judge.problem(f"{what} for {to_text(program)}: {problem}"
                  + (f" ({len(failures)} of {len(programs_)} functions failed)"
                     if len(failures) > 1 else ""))


def _order_problem(program: Program, scenario: dict[str, Any], got: dict[str, Any]) -> str | None:
    return order_verdict(scenario, got, builders.wiring_of(program), builders.names_of(program),
                         builders.children_of_program(program))


def check_orders(session: Session, judge: Judge, programs_: list[Program],
                 shrinkable: bool = True) -> None:
    """Every order scenario of every program is one case (any valid order passes)."""
    # One call for all programs: flatten, then judge each program on all of its orders.
    flat = [(p, s) for p in programs_ for s in builders.order_scenarios(p)]
    got = session.call([s for _, s in flat])

    by_program: dict[int, list[str]] = {}
    crashed = False
    for (p, s), g in zip(flat, got, strict=True):
        problem = _order_problem(p, s, g)
        judge.case(problem is None)
        if problem:
            by_program.setdefault(id(p), []).append(problem)
            crashed = crashed or "error" in g
    failing = [p for p in programs_ if id(p) in by_program]
    if not failing:
        return
    program = min(failing, key=lambda p: len(p["ops"]))
    problem = by_program[id(program)][0]
    # judge.shrink: False once an earlier kind of the test failed (adkit/grade/behaviours.py)
    if shrinkable and getattr(judge, "shrink", True) and not crashed \
            and session.time_left() > 1.0:
        def fails(candidates: list[Program]) -> list[bool]:
            flat_c = [(c, s) for c in candidates for s in builders.order_scenarios(c)]
            results = session.call([s for _, s in flat_c])
            bad = {id(c): False for c in candidates}
            for (c, s), g in zip(flat_c, results, strict=True):
                if _order_problem(c, s, g) is not None:
                    bad[id(c)] = True
            return [bad[id(c)] for c in candidates]

        program = shrink(program, fails, _shrinking_time(session))
        scenarios = builders.order_scenarios(program)
        for s, g in zip(scenarios, session.call(scenarios), strict=True):
            found = _order_problem(program, s, g)
            if found:
                problem = found
                break
    judge.problem(f"the order for {to_text(program)}: {problem}")


def check_derivatives(session: Session, judge: Judge, programs_: list[Program],
                      make: Callable[[Program], dict[str, Any]], what: str,
                      shrinkable: bool = True) -> None:
    """forward/backward/tape numbers: one case per program."""
    def verdict(p: Program, want: dict[str, Any], got: dict[str, Any]) -> str | None:
        return derivative_verdict(make(p), want, got, builders.wiring_of(p),
                                  builders.names_of(p), builders.reach_of(p))

    check_programs(session, judge, programs_, make, verdict, what, shrinkable)


def check_big(session: Session, judge: Judge,
              make: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]], what: str,
              kinds: tuple[str, ...] = ("chain",), record: bool = False) -> None:
    """`make(spec, wired)` gives the scenario; each big graph is one case."""
    for spec, wired, names, text in builders.big_graphs(session.common_seed, record):
        if spec["generate"][0] not in kinds:
            continue
        scenario = make(dict(spec), wired)
        got = session.call([scenario])[0]
        if scenario["kind"] == "order":
            problem = big_order_verdict(scenario, wired, names, got)
        else:
            want = reference.expect([scenario], same_for_all=True)[0]
            problem = derivative_verdict(scenario, want, got, wired, names,
                                         builders.reach_of_generated(wired))
        judge.case(problem is None)
        if problem:
            judge.problem(f"{what} on {text}: {problem}")


# Verdicts on big orders other than the reference's, by the order's digest: the big graphs
# are everyone's, and most students' walks return one of a few orders (Kahn's, a DFS's), so
# the 20-40 ms check runs once per order and grading job, not once per student. Not
# reference.cached: that collects and freezes the heap for each new key, made for the few
# answers every student shares, not for one key per distinct student order.
_BIG_VERDICTS: dict[tuple[str, bytes], str | None] = {}
_BIG_VERDICTS_KEPT = 4_096


def big_order_verdict(scenario: dict[str, Any], wired: dict[str, Any], names: list[str],
                      got: dict[str, Any]) -> str | None:
    """An order on a generated graph: equal to the reference's (checked at C speed), or
    valid (checked once per distinct order)."""
    key = None
    if isinstance(got, dict) and "order" in got:
        want = reference.expect([scenario], same_for_all=True)[0]
        if got["order"] == want["order"]:  # the common case
            return None
        key = _digest(scenario, got)
        if key in _BIG_VERDICTS:
            return _BIG_VERDICTS[key]
    verdict = order_verdict(scenario, got, wired, names, builders.children_of_generated(wired))
    if key is not None:
        if len(_BIG_VERDICTS) >= _BIG_VERDICTS_KEPT:
            _BIG_VERDICTS.clear()
        _BIG_VERDICTS[key] = verdict
    return verdict


def _digest(scenario: dict[str, Any], got: dict[str, Any]) -> tuple[str, bytes] | None:
    """(the question, a digest of the answer's order), or None when the answer is not a
    plain list of ints that fit in 64 bits (then it is judged afresh)."""
    order = got["order"]
    if type(order) is not list or set(map(type, order)) - {int} or set(got) != {"order"}:
        return None
    try:
        packed = array("q", order).tobytes()
    except OverflowError:
        return None
    question = json.dumps([scenario[k] for k in ("generate", "start", "reverse")])
    return question, hashlib.blake2b(packed, digest_size=32).digest()


def _shrinking_time(session: Session) -> Callable[[], bool]:
    """While shrinking may go on: until it used 2 s of CPU time, the grader's own and the
    student's together, and at most half of what the test has left (keeping the rest for
    the call that shows the smallest failing function). CPU time, not the wall clock's: the
    example shown does not depend on how busy the machine was."""
    left = session.time_left()
    budget = min(2.0, left / 2)
    started = time.process_time()
    return lambda: time.process_time() - started + left - session.time_left() < budget
