"""The one table of primitives: each one's value, local derivatives, domain and spelling.

Everything in the kit that needs a primitive's rule reads it here: evaluating programs,
drawing random ones, wiring graphs by hand, the wrapper task's float functions, the
operators on Nodes, and the text shown to students. A rule is a Python expression in the
arguments `a`, `b`, `c` (and the op's number, e.g. `p` for power), so that a row is plain
data: the grader sends a row's rules to the sandbox (`Primitive.rule`), and adding a
primitive is one new row here plus its function in the reference
(docs/adding-a-primitive.md).

    >>> value("log", [2.0]), partials("mul", [2.0, 5.0]), in_domain("log", [-1.0])
    (0.6931471805599453, [5.0, 2.0], False)

Standard library only, and nothing from the kit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

ARGUMENTS = ("a", "b", "c")  # the names of a row's arguments, in order


@dataclass(frozen=True)
class Primitive:
    """One row of the table."""

    name: str                   # "log": the function's name, the op in programs, the operator
    arity: int                  # arguments that may be Nodes (power: 1, its p is a number)
    value: str                  # the value, e.g. "math.log(a)"
    partials: tuple[str, ...]   # one derivative per argument, e.g. ("1.0 / a",)
    domain: str = "True"        # where the grader asks about it: defined, with a margin
    operator: str | None = None  # its spelling on Nodes, e.g. "{a} + {b}"; None: a call
    paper: bool = False         # one of the paper's own five (log, mul, add, sub, sin)
    number: str | None = None   # the op's plain-number key and name in the rules ("p")
    numbers: tuple[float, ...] = ()  # the numbers random programs draw for it
    role: str = "primitive"     # "primitive": a function of the student's package;
    # "operator": written only with an operator (`2.0 ** x`); "wrapper": a float function
    # that only the wrapper task turns into a primitive

    def names(self) -> tuple[str, ...]:
        """The rule expressions' parameters: the arguments, then the number if any."""
        return ARGUMENTS[: self.arity] + ((self.number,) if self.number else ())

    def rule(self) -> dict[str, Any]:
        """The rules as the grader sends them to the worker (adkit/model/scenarios.py, Rule)."""
        return {"params": list(ARGUMENTS[: self.arity]), "value": self.value,
                "partials": list(self.partials), "number": self.number}

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-able data (to send it into the sandbox)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Primitive:
        return cls(**dict(data, partials=tuple(data["partials"]),
                          numbers=tuple(data.get("numbers", ()))))


def _rows(*rows: Primitive) -> dict[str, Primitive]:
    return {row.name: row for row in rows}


# Order matters: random programs draw primitives in this order (a new row goes last, so
# that the programs of existing seeds stay the same). Domains keep values where every
# derivative is a well-conditioned float, so they have margins: log at a > 0.05, not a > 0.
TABLE: dict[str, Primitive] = _rows(
    Primitive("add", 2, "a + b", ("1.0", "1.0"), operator="{a} + {b}", paper=True),
    Primitive("sub", 2, "a - b", ("1.0", "-1.0"), operator="{a} - {b}", paper=True),
    Primitive("mul", 2, "a * b", ("b", "a"), operator="{a} * {b}", paper=True),
    Primitive("div", 2, "a / b", ("1.0 / b", "-a / (b * b)"), "abs(b) > 0.2",
              operator="{a} / {b}"),
    Primitive("neg", 1, "-a", ("-1.0",), operator="-{a}"),
    Primitive("log", 1, "math.log(a)", ("1.0 / a",), "a > 0.05", paper=True),
    Primitive("exp", 1, "math.exp(a)", ("math.exp(a)",), "abs(a) < 4.0"),
    Primitive("sin", 1, "math.sin(a)", ("math.cos(a)",), paper=True),
    Primitive("cos", 1, "math.cos(a)", ("-math.sin(a)",)),
    Primitive("power", 1, "a ** p", ("p * a ** (p - 1.0)",),
              # whole positive p: any a; otherwise a > 0 (and away from 0 for p < 0)
              "abs(a) < 20.0 if float(p).is_integer() and p > 0 else 0.2 < a < 50.0",
              operator="{a} ** {p}", number="p", numbers=(2, 3, -1, 0.5, 1.5, -2)),
    # `2.0 ** x`: Node.__rpow__, built from exp, mul and log; no function of its own.
    Primitive("rpow", 1, "base ** a", ("base ** a * math.log(base)",), "base > 0",
              operator="{base} ** {a}", number="base", role="operator"),
    # Float functions the wrapper task turns into primitives, beside the rows above.
    Primitive("square", 1, "a * a", ("2.0 * a",), role="wrapper"),
    Primitive("hypot", 2, "math.sqrt(a * a + b * b)",
              ("a / math.sqrt(a * a + b * b)", "b / math.sqrt(a * a + b * b)"),
              "a * a + b * b > 0.01", role="wrapper"),
    Primitive("muladd", 3, "a * b + c", ("b", "a", "1.0"), role="wrapper"),
)


def _view(role: str) -> dict[str, Primitive]:
    return {name: row for name, row in TABLE.items() if row.role == role}


PRIMITIVES: dict[str, Primitive] = _view("primitive")  # the student's package defines these
OPERATIONS: dict[str, Primitive] = {**PRIMITIVES, **_view("operator")}  # ops in programs
WRAPPER_ONLY: dict[str, Primitive] = _view("wrapper")


def refresh() -> None:
    """Recompute the views and forget compiled rules after TABLE changed (tests, add-ons)."""
    for view, role in ((PRIMITIVES, "primitive"), (WRAPPER_ONLY, "wrapper")):
        view.clear()
        view.update(_view(role))
    OPERATIONS.clear()
    OPERATIONS.update({**PRIMITIVES, **_view("operator")})
    _COMPILED.clear()


def add_row(row: Primitive) -> None:
    """Add (or replace) a row, e.g. one the grader sent as data."""
    TABLE[row.name] = row
    refresh()


# --- the rules, compiled once -------------------------------------------------------------

# What a rule may use: math, and two builtins. No other names, so a row stays plain data.
_SCOPE: dict[str, Any] = {"__builtins__": {}, "math": math, "abs": abs, "float": float}


@dataclass(frozen=True)
class Compiled:
    """A row's rules as Python functions of (*arguments, number)."""

    value: Callable[..., float]
    partials: tuple[Callable[..., float], ...]
    domain: Callable[..., bool]
    operator: Callable[..., Any] | None  # the operator applied to any objects (Nodes too)


_COMPILED: dict[str, Compiled] = {}


def _lambda(params: tuple[str, ...], body: str) -> Callable[..., Any]:
    return eval(f"lambda {', '.join(params)}: {body}", dict(_SCOPE))  # noqa: S307 - our table


def compiled(name: str) -> Compiled:
    """The row `name` compiled (once). KeyError for a name the table does not have."""
    rules = _COMPILED.get(name)
    if rules is None:
        row = TABLE[name]
        params = row.names()
        operator = None
        if row.operator is not None:
            spelled = row.operator.format(**{n: n for n in params})
            operator = _lambda(params, spelled)
        rules = Compiled(_lambda(params, row.value),
                         tuple(_lambda(params, d) for d in row.partials),
                         _lambda(params, row.domain), operator)
        _COMPILED[name] = rules
    return rules


def _call_args(name: str, args: list[Any], p: Any) -> list[Any]:
    return [*args, p] if TABLE[name].number else list(args)


def value(name: str, args: list[float], p: float | None = None) -> float:
    """The primitive's value at `args` (and its number `p`, for power and rpow)."""
    return compiled(name).value(*_call_args(name, args, p))


def partials(name: str, args: list[float], p: float | None = None) -> list[float]:
    """∂value/∂argument for each argument, at `args`."""
    call = _call_args(name, args, p)
    return [d(*call) for d in compiled(name).partials]


def in_domain(name: str, args: list[float], p: float | None = None) -> bool:
    """Whether the grader may ask about the primitive at `args` (defined, with a margin)."""
    try:
        return bool(compiled(name).domain(*_call_args(name, args, p)))
    except (ArithmeticError, ValueError, TypeError):
        return False


def apply_operator(name: str, args: list[Any], p: Any = None) -> Any:
    """The row's Python operator on `args` (Nodes or numbers): `a + b`, `-a`, `a ** p`.

    ValueError for a row that has no operator (a function such as log).
    """
    operator = compiled(name).operator
    if operator is None:
        raise ValueError(f"{name} has no operator")
    return operator(*_call_args(name, args, p))


def function(name: str, p: float | None = None) -> tuple[Callable[..., float], ...]:
    """(value, *partials) as float functions of the arguments, for the wrapper task:
    `primitive(*function("log"), name="log")` is the primitive log. A number (power's p)
    is bound here."""
    rules = compiled(name)
    if not TABLE[name].number:
        return (rules.value, *rules.partials)
    if p is None:
        raise ValueError(f"{name} needs its number")
    number = float(p)

    def bind(f: Callable[..., float]) -> Callable[..., float]:
        return lambda *xs: f(*xs, number)

    return (bind(rules.value), *(bind(d) for d in rules.partials))


def spelled(name: str, args: list[str], p: Any = None) -> str:
    """The op written out for a student: "x1 + x2", "-x1", "x1 ** 2", "log(x1)"."""
    row = TABLE[name]
    words = dict(zip(ARGUMENTS, args))
    if row.number:
        words[row.number] = f"{p:g}" if isinstance(p, (int, float)) else str(p)
    if row.operator is None:
        return f"{name}({', '.join(args)})"
    return row.operator.format(**words)
