"""Scenarios declared once: what the grader asks the sandbox, and what comes back.

A *scenario* is a JSON-able request that adkit/inside/handler.py runs with a package (the
student's in the sandbox, the reference in the grader's process); its *answer* is a
JSON-able dict, or {"error": sentence}. Each kind's request and answer is one TypedDict
below, and the checks read those declarations: `validate_request` (the kit's own tests
run it on every scenario the graders build, so a malformed one fails loudly) and
`validate_answer` (the grader runs it on what the sandbox sent back, which the student's
code may have damaged).

Standard library only, and nothing from the kit but the table.
"""

import functools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict, Union

from adkit.model import primitives as table
from adkit.model.text import cap, escape_controls

Number = int | float  # in requests; answers hold floats only


class Const(TypedDict):
    const: Number


Arg = int | Const  # a node index, or a plain number


class Op(TypedDict):
    op: str  # a name in the table (adkit/model/primitives.py)
    args: list[Arg]
    p: NotRequired[Number]  # the row's number, for power
    base: NotRequired[Number]  # ... and for rpow


class Program(TypedDict):
    inputs: list[Number]
    ops: list[Op]


# --- requests -----------------------------------------------------------------------------

class Wiring(TypedDict):
    """A graph as data (programs.wiring), for the worker to wire by hand from `Node`."""

    values: list[float]
    ops: list[str]  # operator names, "input" or "const"
    parents: list[list[int]]
    grads: list[list[float]]  # the local derivatives, one per parent
    index: NotRequired[list[int]]  # the entry of program node i
    output: NotRequired[int]


class Rule(TypedDict):
    """One row's rules as expressions, sent for the worker to compile (the wrapper task)."""

    params: list[str]  # the arguments' names, "a", "b", ...
    value: str
    partials: list[str]
    number: str | None  # the plain number's name (power's "p"), bound when called


class PackedWiring(TypedDict):
    """A generated graph's wiring as packed columns (adkit/grade/stand_in_data.py)."""

    names: list[str]  # the operator names the codes in `ops` stand for
    ops: str  # base64, one byte per node: its operator's code
    values: dict[str, str]  # {"float64": base64}
    counts: str  # base64, one byte per node: its number of parents
    parents: dict[str, str]  # {"int32": base64}, every node's parents in turn
    grads: dict[str, str]  # {"float64": base64}, every node's local derivatives in turn


# [start, order]: what a stand-in order hands out from `start` (indices, or packed
# {"int32": base64} for big graphs), computed by the grader for this scenario only.
SentOrder = list[Any]


class Graph(TypedDict):
    """The graph a scenario runs on: one of a program, its wiring, or a generated one."""

    kind: str
    program: NotRequired[Program]
    wiring: NotRequired[Wiring]  # computed by the grader from the table
    generate: NotRequired[list[Any]]  # [kind ("chain" or "star"), size, seed]: big graphs
    packed: NotRequired[PackedWiring]  # a generated graph's wiring, added before sending
    trial: NotRequired[PackedWiring]  # with record_if_fit: the chain a Tape is timed on
    keep: NotRequired[bool]  # built once per worker and reused (big graphs)
    record: NotRequired[bool]  # built inside `with Tape()`
    record_if_fit: NotRequired[bool]  # ... only if the Tape is fit to share (the shared chain)
    inputs_outside: NotRequired[bool]  # the inputs made before the tape starts
    report: NotRequired[list[int] | None]  # the nodes whose numbers come back (None: all)


class BuildRequest(TypedDict):
    kind: Literal["build"]
    program: Program
    via: NotRequired[Literal["primitives", "operators", "wrapper"]]
    rows: NotRequired[dict[str, Rule]]  # via "wrapper": the rules of the ops used


class OrderRequest(Graph):
    start: int
    reverse: bool


class ForwardRequest(Graph):
    roots: list[int]  # forward(root) for each, in turn, on one graph
    orders: NotRequired[list[SentOrder]]  # the stand-in's order from each root


class BackwardRequest(Graph):
    outputs: list[int]  # backward(output) for each, in turn
    orders: NotRequired[list[SentOrder]]  # the stand-in's reverse order from each output


class TapeRequest(Graph):
    calls: list[list[Any]]  # ["forward" or "backward", node index], in turn
    recorded: NotRequired[bool]  # send tape.nodes back (default True)


class WrapperRequest(TypedDict):
    kind: Literal["wrapper"]
    function: NotRequired[str]  # a row of the table (wrapper-only rows too) by name ...
    row: NotRequired[Rule]  # ... or its rules, sent (one of the two)
    name: str | None  # primitive(..., name=name); None: called without name=
    args: list[Number | Const]  # inputs become Nodes; {"const": x} stay numbers


class NeighboursRequest(TypedDict):
    """Describe in full the neighbours c<start>, c<start+1>, ... that a kept answer named
    (a graph of unknown shape, read ring by ring by adkit/grade/rings.py)."""

    kind: Literal["neighbours"]
    token: int  # the answer's `more`
    start: int


class GradRequest(TypedDict):
    kind: Literal["grad"]
    program: Program
    via: NotRequired[Literal["primitives", "operators"]]
    wiring: NotRequired[Wiring]  # for the grader's own backward, swapped in
    positions: NotRequired[list[int]]  # the wiring's entry of each program node
    adjoints: NotRequired[list[list[Any]]]  # [index, adjoint] backward(output) sets
    orders: NotRequired[list[SentOrder]]  # the reverse order from the output


# --- answers ------------------------------------------------------------------------------

class NodeSeen(TypedDict):
    value: float
    operator: str
    parents: list[int | str]  # index in the answer's nodes, or "c<k>" for others[k]
    grads: list[float]
    children: list[int | str]


class OtherSeen(TypedDict):
    value: float
    operator: str
    n_parents: int
    # Built with operators, every node of the graph is described (any shape is graded):
    parents: NotRequired[list[int | str]]
    grads: NotRequired[list[float]]
    children: NotRequired[list[int | str]]


class Packed(TypedDict):
    int32: str  # base64 of 32-bit integers: a long order


class BuildAnswer(TypedDict):
    nodes: list[NodeSeen]
    others: list[OtherSeen]
    more: NotRequired[int]  # built with operators: a token to ask for the neighbours


class NeighboursAnswer(TypedDict):
    rows: list[OtherSeen]  # the neighbours asked for, described in full
    total: int  # the neighbours named so far


class OrderAnswer(TypedDict):
    order: list[int] | Packed  # node indices, -1 for objects not in the graph


class NumbersAnswer(TypedDict):
    # One list per call, one number per reported node; where a node's attribute is not a
    # number, what it is instead ("a NoneType"): wrong only where the call had to set it.
    after: list[list[float | str]]


class TapeAnswer(TypedDict):
    after: list[list[float | str]]
    recorded: NotRequired[list[int]]


class GradAnswer(TypedDict):
    grad: list[float]


@dataclass(frozen=True)
class Kind:
    """A kind of scenario, as the grader's side knows it: its request and answer, the most
    items an answer may hold (below), and, for a kind run on a graph, the nodes a request
    names. What runs it in the worker: adkit/inside/handler.py SCENARIOS, same key."""

    request: type
    answer: type
    items: Callable[[dict[str, Any]], int]
    starts: Callable[[dict[str, Any]], list[int]] | None = None
    # what an answer of the right types must also hold (its lengths), said with its intro
    lengths: Callable[[dict[str, Any], dict[str, Any], str], str | None] | None = None
    describes: bool = False  # its answers describe nodes (operator names: text, not numbers)


def _described_items(scenario: dict[str, Any]) -> int:
    """Each described node: value, operator, counts, and its references in and out."""
    n = (len(scenario["args"]) + 1 if scenario["kind"] == "wrapper"
         else programs_nodes(scenario["program"]))
    return min(MADE_PER_NODE * (n + 8), DESCRIBED_MOST) * (4 + 2 * MANY * 2)


def _numbers_items(calls: str) -> Callable[[dict[str, Any]], int]:
    def items(scenario: dict[str, Any]) -> int:
        report = scenario.get("report")
        per_call = graph_size(scenario) if report is None else len(report)
        recorded = MANY * graph_size(scenario) + EXTRA_ITEMS if scenario["kind"] == "tape" \
            else 0
        return len(scenario[calls]) * (per_call + 2) + recorded
    return items


# --- checking a value against a declaration -----------------------------------------------

# `_problem` walks a value and says what is wrong; `_fits` answers only yes or no, with a
# check compiled once per declaration. Answers are checked with `_fits` first: the big
# graphs' answers hold thousands of numbers, and `_problem` cost 0.05-0.1 s per student.

_Check = typing.Callable[[Any], bool]


@functools.cache
def _fits_check(hint: Any, strict_floats: bool) -> _Check:
    """A yes/no check of `hint`, agreeing with `_problem(..) is None`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return lambda value: True
    if origin is NotRequired:
        return _fits_check(args[0], strict_floats)
    if origin in (Union, types.UnionType):
        checks = [_fits_check(h, strict_floats) for h in args]
        return lambda value: any(check(value) for check in checks)
    if origin is Literal:
        return lambda value: value in args
    if origin is dict:
        item = _fits_check(args[1], strict_floats)
        return lambda value: (type(value) is dict and all(type(k) is str for k in value)
                              and all(item(v) for v in value.values()))
    if origin is list:
        exact = _exact_types(args[0], strict_floats)
        if exact is not None:  # a list of plain values: its items' types, at C speed
            return lambda value: type(value) is list and set(map(type, value)) <= exact
        item = _fits_check(args[0], strict_floats)
        return lambda value: type(value) is list and all(item(v) for v in value)
    if typing.is_typeddict(hint):
        hints = {key: _fits_check(h, strict_floats)
                 for key, h in _hints(hint).items()}
        required = hint.__required_keys__

        def fields(value: Any) -> bool:
            return (type(value) is dict and required <= value.keys()
                    and all(key in hints and hints[key](item) for key, item in value.items()))
        return fields
    exact = _exact_types(hint, strict_floats)
    if exact is None:
        raise TypeError(f"no check for {hint!r}")
    return lambda value: type(value) in exact


def _exact_types(hint: Any, strict_floats: bool) -> frozenset[type] | None:
    """The exact types a plain (non-container) declaration admits, or None if it is not one."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        parts = [_exact_types(h, strict_floats) for h in typing.get_args(hint)]
        return None if any(p is None for p in parts) else frozenset().union(*parts)
    if hint is type(None) or hint in (int, float, str, bool):
        extra = {int} if hint is float and not strict_floats else set()
        return frozenset({hint, *extra})
    return None


@functools.cache
def _hints(typed_dict: Any) -> dict[str, Any]:
    return typing.get_type_hints(typed_dict, include_extras=True)


def _fits(value: Any, hint: Any, strict_floats: bool) -> bool:
    return _fits_check(hint, strict_floats)(value)


def _problem(value: Any, hint: Any, where: str, strict_floats: bool) -> str | None:
    """None if `value` fits `hint`, else what is wrong, naming `where`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return None
    if origin is NotRequired:
        return _problem(value, args[0], where, strict_floats)
    if origin in (Union, types.UnionType):
        problems = [_problem(value, h, where, strict_floats) for h in args]
        if not all(problems):
            return None
        for h, problem in zip(args, problems):  # the alternative of the value's own type
            if (typing.get_origin(h) or (dict if typing.is_typeddict(h) else h)) is type(value):
                return problem
        return f"{where or 'it'} is {_kind(value)}, not {_wanted(hint)}"
    if origin is Literal:
        if value in args:
            return None
        return f"{where or 'it'} is {_kind(value)}, not one of {list(args)}"
    if origin is dict:
        if type(value) is not dict or any(type(k) is not str for k in value):
            return f"{where or 'it'} is {_kind(value)}, not a dict"
        for key, item in value.items():
            problem = _problem(item, args[1], f"{where}.{key}", strict_floats)
            if problem:
                return problem
        return None
    if origin is list:
        if type(value) is not list:
            return f"{where or 'it'} is {_kind(value)}, not a list"
        for i, item in enumerate(value):
            problem = _problem(item, args[0], f"{where}[{i}]", strict_floats)
            if problem:
                return problem
        return None
    if typing.is_typeddict(hint):
        return _fields(value, hint, where, strict_floats)
    if hint is type(None):
        return None if value is None else f"{where or 'it'} is {_kind(value)}, not None"
    if hint is float and not strict_floats and type(value) is int:
        return None
    if type(value) is not hint:  # exact: True is not an int here, 1 is not a float
        return f"{where or 'it'} is {_kind(value)}, not {_wanted(hint)}"
    return None


def _fields(value: Any, hint: Any, where: str, strict_floats: bool) -> str | None:
    if type(value) is not dict:
        return f"{where or 'it'} is {_kind(value)}, not a dict"
    hints = _hints(hint)
    for key in sorted(hint.__required_keys__):
        if key not in value:
            return f"{where or 'it'} is missing {key!r}"
    for key, item in value.items():
        if key not in hints:
            return f"{where or 'it'} has an unexpected key {_kind(key)}"
        problem = _problem(item, hints[key], f"{where}.{key}" if where else key, strict_floats)
        if problem:
            return problem
    return None


def _kind(value: Any) -> str:
    """What `value` is, in a few words: never the repr of a whole container (an answer may
    be megabytes) nor a string's control characters."""
    if value is None or type(value) is bool:
        return repr(value)
    if type(value) in (int, float):
        return f"{_wanted(type(value))} ({value!r:.40})"
    if type(value) is str:
        return f"a string ({escape_controls(cap(value, 40), keep_newlines=False)!r})"
    if type(value) in (list, dict):
        return f"a {type(value).__name__} of length {len(value)}"
    return repr(value) if type(value).__name__ == "Unfit" else f"a {type(value).__name__}"


def _wanted(hint: Any) -> str:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (Union, types.UnionType):
        return " or ".join(_wanted(h) for h in args)
    if typing.is_typeddict(hint):
        return "a dict"
    return {type(None): "None", int: "an int", float: "a float", str: "a string",
            bool: "True or False"}.get(hint, f"a {getattr(hint, '__name__', hint)}")


# --- requests -----------------------------------------------------------------------------

def validate_program(program: Any, where: str = "the program") -> None:
    """ValueError unless `program` is well formed: known ops, right arity, earlier args."""
    problem = _problem(program, Program, "", strict_floats=False)
    if problem:
        raise ValueError(f"{where}: {problem}")
    n = len(program["inputs"])
    for k, op in enumerate(program["ops"]):
        here = f"{where}, op {k} ({op['op']})"
        row = table.OPERATIONS.get(op["op"])
        if row is None:
            raise ValueError(f"{here}: the table has no such operation")
        if len(op["args"]) != row.arity:
            raise ValueError(f"{here}: {len(op['args'])} arguments, not {row.arity}")
        if any(type(a) is int and not 0 <= a < n + k for a in op["args"]):
            raise ValueError(f"{here}: an argument is not an earlier node")
        numbers = {key for key in ("p", "base") if key in op}
        if numbers != ({row.number} if row.number else set()):
            raise ValueError(f"{here}: carries {sorted(numbers)}, not its number {row.number}")


def graph_size(scenario: dict[str, Any]) -> int:
    """How many nodes the scenario's hand-wired graph has (constants are nodes there)."""
    if "generate" in scenario:
        kind, size = scenario["generate"][:2]
        return size + (3 if kind == "chain" else 1)
    if "wiring" in scenario:
        return len(scenario["wiring"]["values"])
    program = scenario["program"]
    consts = sum(1 for op in program["ops"] for a in op["args"] if type(a) is dict)
    return len(program["inputs"]) + len(program["ops"]) + consts


def validate_request(scenario: Any) -> None:
    """ValueError, saying what is wrong, unless `scenario` is a well-formed request."""
    if type(scenario) is not dict or scenario.get("kind") not in REQUESTS:
        raise ValueError(f"not a scenario of a known kind: {scenario!r:.80}")
    kind = scenario["kind"]
    problem = _problem(scenario, REQUESTS[kind], "", strict_floats=False)
    if problem:
        raise ValueError(f"the {kind} scenario: {problem}")
    if kind in ("build", "grad"):
        validate_program(scenario["program"])
        for name, rule in scenario.get("rows", {}).items():
            _validate_rule(rule, f"the rule sent for {name}")
        if "wiring" in scenario:
            _validate_wiring(scenario["wiring"])
            if len(scenario.get("positions", ())) != programs_nodes(scenario["program"]):
                raise ValueError("the grad scenario needs one position per program node")
    elif kind == "wrapper":
        if ("function" in scenario) == ("row" in scenario):
            raise ValueError("the wrapper scenario needs exactly one of 'function' and 'row'")
        if "row" in scenario:
            _validate_rule(scenario["row"], "the wrapper scenario's rule")
            arity, what = len(scenario["row"]["params"]), "its rule"
        elif scenario["function"] not in table.TABLE:
            raise ValueError(f"the wrapper scenario wraps {scenario['function']!r}, "
                             "which is not in the table")
        else:
            arity, what = table.TABLE[scenario["function"]].arity, scenario["function"]
        if len(scenario["args"]) != arity:
            raise ValueError(f"the wrapper scenario gives {what} "
                             f"{len(scenario['args'])} arguments, not {arity}")
    elif kind != "neighbours":  # a token and a start: the types say it all
        _validate_graph(scenario)


def programs_nodes(program: dict[str, Any]) -> int:
    return len(program["inputs"]) + len(program["ops"])


def _validate_rule(rule: dict[str, Any], where: str) -> None:
    """The expressions must compile with the parameters they name."""
    names = [*rule["params"], *([rule["number"]] if rule["number"] else [])]
    for body in (rule["value"], *rule["partials"]):
        try:
            compile(f"lambda {', '.join(names)}: {body}", where, "eval")
        except SyntaxError as error:
            raise ValueError(f"{where}: {body!r} is not an expression ({error.msg})") from None
    if len(rule["partials"]) != len(rule["params"]):
        raise ValueError(f"{where}: {len(rule['partials'])} partials for "
                         f"{len(rule['params'])} arguments")


def _validate_wiring(wired: dict[str, Any]) -> None:
    n = len(wired["values"])
    if not len(wired["ops"]) == len(wired["parents"]) == len(wired["grads"]) == n:
        raise ValueError("the wiring's values, ops, parents and grads differ in length")
    for i, (ps, gs) in enumerate(zip(wired["parents"], wired["grads"])):
        if len(ps) != len(gs) or any(not 0 <= p < i for p in ps):
            raise ValueError(f"the wiring's node {i}: parents must be earlier nodes, "
                             "one local derivative each")


def _validate_graph(scenario: dict[str, Any]) -> None:
    kind = scenario["kind"]
    given = [key for key in ("program", "wiring", "generate") if key in scenario]
    if len(given) != 1:
        raise ValueError(f"the {kind} scenario needs exactly one of 'program', 'wiring' and "
                         f"'generate', not {given}")
    if "program" in scenario:
        validate_program(scenario["program"])
    elif "wiring" in scenario:
        _validate_wiring(scenario["wiring"])
    else:
        spec = scenario["generate"]
        if (len(spec) != 3 or spec[0] not in ("chain", "star") or type(spec[1]) is not int
                or type(spec[2]) is not int or spec[1] < 1):
            raise ValueError(f"the {kind} scenario generates {spec!r}: not [chain|star, "
                             "size, seed]")
    size = graph_size(scenario)
    named = KINDS[kind].starts
    starts = [] if named is None else named(scenario)
    if kind == "tape":
        for call in scenario["calls"]:
            if len(call) != 2 or call[0] not in ("forward", "backward") or type(call[1]) is not int:
                raise ValueError(f"the tape scenario has a call {call!r}: not "
                                 "[forward|backward, node index]")
    report = scenario.get("report") or []
    for i in [*starts, *report]:
        if not 0 <= i < size:
            raise ValueError(f"the {kind} scenario names node {i} of a graph of {size} nodes")


# --- answers ------------------------------------------------------------------------------

# What an answer may hold, by what its question can need. An honest answer, right or wrong,
# stays far inside these bounds; a padded one is refused before any costly work (reading
# past the reply's bound, decoding, checking types, judging).
NUMBER_BYTES = 32  # one number or index as JSON, with its comma: -2.2250738585072014e-308,
ERROR_BYTES = 4096  # an {"error": sentence} answer (the worker caps messages shorter)
TEXT_BYTES = 256  # an operator's name
EXTRA_ITEMS = 64  # a wrong but honest list may be somewhat longer than the right one
MANY = 4  # ... up to this many times longer (an order that visits nodes twice, ...)
MADE_PER_NODE = 8  # nodes made for one node of a function (constants, helper nodes)
DESCRIBED_MOST = 20_000  # the handler describes no more nodes than this (MAX_DESCRIBED)


def answer_items(scenario: dict[str, Any]) -> int:
    """The most items (numbers, indices, described nodes' fields) an answer to `scenario`
    may hold: a bound from the question alone, generous for honest bugs."""
    return KINDS[scenario["kind"]].items(scenario) + EXTRA_ITEMS


def answer_bytes(scenario: dict[str, Any]) -> int:
    """The most bytes the JSON of an answer to `scenario` may take."""
    items = answer_items(scenario)
    extra = TEXT_BYTES * items // 8 if KINDS[scenario["kind"]].describes else 0
    return NUMBER_BYTES * items + extra + ERROR_BYTES


def reply_bytes(scenarios: list[dict[str, Any]]) -> int:
    """The most bytes a reply answering `scenarios` may take (the sandbox reads no more)."""
    return sum(map(answer_bytes, scenarios)) + 64 * 1024


_FLAT = frozenset({float, int, str, bool, type(None)})


def _count(value: Any, most: int) -> int:
    """The items in `value` (lists and dicts, all the way down), counting no further than
    `most` + 1: cheap whatever `value` holds, iterative (no recursion on deep nesting)."""
    count, stack = 0, [value]
    while stack and count <= most:
        item = stack.pop()
        count += 1
        if type(item) is list:
            count += len(item)
            if count <= most and not _FLAT.issuperset(map(type, item)):  # at C speed
                stack.extend(x for x in item if type(x) in (list, dict))
        elif type(item) is dict:
            count += len(item)
            if count <= most:
                stack.extend(x for x in item.values() if type(x) in (list, dict))
    return count


def validate_answer(scenario: dict[str, Any], answer: Any) -> str | None:
    """None if `answer` has the shape `scenario` asks for, else a sentence for the student.

    The answer came from the sandbox, where the student's code ran: no more items than the
    question can need (checked first, before anything walks it), right types (numbers are
    exact floats: no bool, no int, no string; indices exact ints), every key, one entry per
    call (root, output) and one number per reported node. An {"error": ...} answer is well
    formed; the caller reports the error itself.
    """
    kind = scenario["kind"]
    intro = f"the answer to the grader's {kind} question"
    if type(answer) is dict and set(answer) == {"error"} and type(answer["error"]) is str:
        return None
    most = answer_items(scenario)
    if _count(answer, most) > most:
        problem = (f"{intro} holds more than the {most:,} items its question can need (is "
                   "something repeated without end?)")
        return f"{problem} (did your code change the grader's worker or its output?)"
    problem = None
    if not _fits(answer, ANSWERS[kind], strict_floats=True):
        problem = _problem(answer, ANSWERS[kind], "", strict_floats=True)
    if problem is not None:
        problem = f"{intro}: {problem}"
    else:
        lengths = KINDS[kind].lengths
        problem = None if lengths is None else lengths(scenario, answer, intro)
    if problem is None:
        return None
    return f"{problem} (did your code change the grader's worker or its output?)"


def _described_lengths(scenario: dict[str, Any], answer: dict[str, Any], intro: str) -> str | None:
    if scenario["kind"] == "build":
        want = len(scenario["program"]["inputs"]) + len(scenario["program"]["ops"])
    else:
        want = sum(1 for a in scenario["args"] if type(a) is not dict) + 1
    if len(answer["nodes"]) != want:
        return f"{intro} describes {len(answer['nodes'])} nodes, not {want}"
    return None


def _order_lengths(scenario: dict[str, Any], answer: dict[str, Any], intro: str) -> str | None:
    order, size = answer["order"], graph_size(scenario)
    # Its items are ints (checked before): the bounds at C speed, on 100,000 of them.
    if type(order) is list and order and (min(order) < -1 or max(order) >= size):
        return f"{intro} names a node that is not in the graph"
    return None


def _numbers_lengths(calls: str) -> Callable[[dict[str, Any], dict[str, Any], str], str | None]:
    def lengths(scenario: dict[str, Any], answer: dict[str, Any], intro: str) -> str | None:
        n_calls = len(scenario[calls])
        report = scenario.get("report")
        per_call = graph_size(scenario) if report is None else len(report)
        if len(answer["after"]) != n_calls:
            return f"{intro} holds numbers after {len(answer['after'])} calls, not {n_calls}"
        for k, numbers in enumerate(answer["after"]):
            if len(numbers) != per_call:
                return (f"{intro} holds {len(numbers)} numbers after call {k + 1}, not "
                        f"{per_call}")
        if (scenario["kind"] == "tape" and scenario.get("recorded", True)
                and "recorded" not in answer):
            return f"{intro} is missing 'recorded' (tape.nodes)"
        return None
    return lengths


# --- the kinds ----------------------------------------------------------------------------

# Every kind of scenario; a new one is a row here and a function in handler.py's SCENARIOS.
KINDS: dict[str, Kind] = {
    "build": Kind(BuildRequest, BuildAnswer, _described_items, lengths=_described_lengths,
                  describes=True),
    "order": Kind(OrderRequest, OrderAnswer, lambda s: MANY * graph_size(s),
                  lambda s: [s["start"]], _order_lengths),
    "forward": Kind(ForwardRequest, NumbersAnswer, _numbers_items("roots"),
                    lambda s: s["roots"], _numbers_lengths("roots")),
    "backward": Kind(BackwardRequest, NumbersAnswer, _numbers_items("outputs"),
                     lambda s: s["outputs"], _numbers_lengths("outputs")),
    "tape": Kind(TapeRequest, TapeAnswer, _numbers_items("calls"),
                 lambda s: [c[1] for c in s["calls"]], _numbers_lengths("calls")),
    "wrapper": Kind(WrapperRequest, BuildAnswer, _described_items, lengths=_described_lengths,
                    describes=True),
    # a wrong count is the student's grad's bug: compare_grad explains it
    "grad": Kind(GradRequest, GradAnswer, lambda s: MANY * len(s["program"]["inputs"])),
    # a ring of a graph built with operators: at most all its nodes (checked against what
    # it was asked by adkit/grade/rings.py)
    "neighbours": Kind(NeighboursRequest, NeighboursAnswer,
                       lambda s: DESCRIBED_MOST * (4 + 2 * MANY * 2), describes=True),
}
REQUESTS = {name: kind.request for name, kind in KINDS.items()}
ANSWERS = {name: kind.answer for name, kind in KINDS.items()}
