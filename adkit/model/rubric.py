"""The rubric: points, visibility and time limits per hidden test, read from graders/rubric.toml."""

from __future__ import annotations

import ast
import hashlib
import math
import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

GRADERS = Path(__file__).resolve().parents[2] / "graders"
DEFAULT_RUBRIC = GRADERS / "rubric.toml"


def _task_tables(path: Path) -> tuple[str, ...]:
    """The [tasks.<name>] tables of a rubric file, in order; () when it cannot be read
    (load_rubric then says what is wrong with it)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ()
    tasks = data.get("tasks")
    return tuple(tasks) if isinstance(tasks, dict) else ()


# The rubric tasks, in gradebook order (docs/contract.md, section 2): the task tables of
# the kit's own rubric, so that adding a task starts with one table there.
TASKS = _task_tables(DEFAULT_RUBRIC)
SECRET_VARIABLE = "ADKIT_COURSE_SECRET"
SECRET_FILE_VARIABLE = "ADKIT_COURSE_SECRET_FILE"
SECRET_FILE_BYTES = 4096
TASK_KEYS = ("points", "tests", "shared_graphs")  # what a [tasks.<name>] table may hold
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class RubricError(ValueError):
    """The rubric file is wrong; the message says where and what to change."""


@dataclass(frozen=True)
class TestRule:
    task: str
    name: str
    points: float
    visibility: str
    timeout: float


@dataclass(frozen=True)
class Rubric:
    secret: str
    tasks: dict[str, float]  # task -> points, in gradebook order
    tests: dict[tuple[str, str], TestRule]  # (task, test function) -> rule, in rubric order
    path: Path
    run_order: tuple[str, ...] = TASKS  # the order a student's tasks run in
    shared_graphs: frozenset[str] = frozenset()  # tasks that run on the shared big graphs

    @property
    def total(self) -> float:
        return sum(self.tasks.values())

    def tests_of(self, task: str) -> list[TestRule]:
        return [rule for (t, _), rule in self.tests.items() if t == task]


def student_seed(secret: str, student_id: str) -> int:
    """A seed from the course secret and a name, the same on every regrade. The cases that
    score come from the course's (adkit/cohort/runner.py BIG_GRAPHS_ID), never a student's."""
    digest = hashlib.sha256(f"{secret}\0{student_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def grader_tests(graders: Path = GRADERS) -> dict[str, list[str]]:
    """The test functions defined in graders/test_<task>.py, per task (read, not imported)."""
    found: dict[str, list[str]] = {}
    for task in TASKS:
        module = graders / f"test_{task}.py"
        if not module.exists():
            found[task] = []
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        found[task] = [node.name for node in tree.body
                       if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    return found


def load_rubric(path: Path = DEFAULT_RUBRIC, graders: Path = GRADERS) -> Rubric:
    """Read and validate the rubric; raise RubricError with one clear sentence if it is wrong."""
    where = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RubricError(f"rubric {where} not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise RubricError(f"rubric {where} is not valid TOML: {error}") from None
    unknown_keys = set(data) - {"secret", "secret_file", "total", "run_order", "tasks"}
    if unknown_keys:
        raise RubricError(f"rubric {where}: unknown setting(s) {sorted(unknown_keys)}; "
                          "allowed: secret, secret_file, total, run_order, tasks")
    if not TASKS:
        raise RubricError(f"the kit's task list is read from {DEFAULT_RUBRIC}, which is "
                          "missing or not valid TOML: restore it (git checkout "
                          "graders/rubric.toml)")
    secret = _secret(data, Path(path))
    tasks_table = data.get("tasks")
    if not isinstance(tasks_table, dict):
        raise RubricError(f"rubric {where}: no [tasks.<name>] tables")
    unknown = [t for t in tasks_table if t not in TASKS]
    if unknown:
        raise RubricError(f"rubric {where}: unknown task(s) {unknown}; the tasks are "
                          f"{', '.join(TASKS)}")
    missing = [t for t in TASKS if t not in tasks_table]
    if missing:
        raise RubricError(f"rubric {where}: task(s) {missing} have no [tasks.<name>] table")
    defined = grader_tests(graders)
    tasks: dict[str, float] = {}
    tests: dict[tuple[str, str], TestRule] = {}
    for task in TASKS:
        table = tasks_table[task]
        extra = sorted(set(table) - set(TASK_KEYS)) if isinstance(table, dict) else table
        if not isinstance(table, dict) or extra:
            raise RubricError(f"rubric {where}: [tasks.{task}] has unknown key(s) {extra}; "
                              f"allowed: {', '.join(TASK_KEYS)}")
        if not isinstance(table.get("shared_graphs", False), bool):
            raise RubricError(f"rubric {where}: [tasks.{task}] shared_graphs must be true or "
                              "false")
        points = _number(table.get("points"), f"[tasks.{task}] points", where)
        rules = table.get("tests")
        if not isinstance(rules, dict) or not rules:
            raise RubricError(f"rubric {where}: [tasks.{task}] lists no tests")
        for name, rule in rules.items():
            tests[(task, name)] = _rule(task, name, rule, defined[task], where)
        spent = sum(r.points for (t, _), r in tests.items() if t == task)
        if not math.isclose(spent, points, abs_tol=1e-9):
            raise RubricError(f"rubric {where}: the tests of task {task} add up to {spent:g} "
                              f"points, but the task has {points:g}")
        unlisted = [n for n in defined[task] if (task, n) not in tests]
        if unlisted:
            raise RubricError(f"rubric {where}: graders/test_{task}.py defines {unlisted}, "
                              f"which the rubric does not list under [tasks.{task}]")
        tasks[task] = points
    total = data.get("total")
    if total is not None and not math.isclose(_number(total, "total", where), sum(tasks.values())):
        raise RubricError(f"rubric {where}: the tasks add up to {sum(tasks.values()):g} points, "
                          f"but total = {total}")
    return Rubric(secret=secret, tasks=tasks, tests=tests, path=Path(path),
                  run_order=_run_order(data.get("run_order", list(TASKS)), where),
                  shared_graphs=frozenset(t for t in TASKS
                                          if tasks_table[t].get("shared_graphs", False)))


def _run_order(order: object, where: str) -> tuple[str, ...]:
    """`run_order`: every task once (the order decides what a task's hand-outs can reach:
    docs/adding-a-task.md)."""
    if (not isinstance(order, list) or not all(isinstance(t, str) for t in order)
            or sorted(order) != sorted(TASKS)):
        raise RubricError(f"rubric {where}: run_order must list every task once, got "
                          f"{order!r}; the tasks are {', '.join(TASKS)}")
    return tuple(order)


def _secret(data: dict[str, object], path: Path) -> str:
    """The course secret: from a private file (ADKIT_COURSE_SECRET_FILE, else the rubric's
    `secret_file`, relative to the rubric), else ADKIT_COURSE_SECRET, else `secret`."""
    where = str(path)
    named = os.environ.get(SECRET_FILE_VARIABLE) or data.get("secret_file")
    if named is None or named == "":
        secret = os.environ.get(SECRET_VARIABLE) or data.get("secret")
        if not isinstance(secret, str) or not secret:
            raise RubricError(f"rubric {where}: set `secret = \"...\"` (or {SECRET_VARIABLE}, "
                              f"or a private file: {SECRET_FILE_VARIABLE})")
        return secret
    if not isinstance(named, str):
        raise RubricError(f"rubric {where}: secret_file must be a path in quotes")
    if os.environ.get(SECRET_VARIABLE):
        raise RubricError(f"two course secrets: {SECRET_VARIABLE} and the file {named}; unset "
                          f"{SECRET_VARIABLE} (a secret in the environment is visible in job "
                          "records)")
    if "secret" in data and not os.environ.get(SECRET_FILE_VARIABLE):
        raise RubricError(f"rubric {where}: set either `secret` or `secret_file`, not both")
    return read_secret_file(path.parent / named)


def read_secret_file(path: Path) -> str:
    """The secret held in `path`, a regular file only its owner may read (mode 0600 or 0400).

    Raises RubricError saying what is wrong (missing, shared, empty, not text)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as error:
        raise RubricError(f"course secret file {path}: {error.strerror}; write the secret "
                          f"into it and `chmod 600 {path}`") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RubricError(f"course secret file {path} is not a regular file")
        if info.st_mode & 0o077:
            raise RubricError(f"course secret file {path} has mode "
                              f"{stat.S_IMODE(info.st_mode):04o}: other users could read it; "
                              f"`chmod 600 {path}` first")
        raw = os.read(fd, SECRET_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > SECRET_FILE_BYTES:
        raise RubricError(f"course secret file {path} is over {SECRET_FILE_BYTES} bytes: it "
                          "should hold one line, the secret")
    try:
        secret = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise RubricError(f"course secret file {path} is not UTF-8 text") from None
    if not secret:
        raise RubricError(f"course secret file {path} is empty: write the secret into it")
    return secret


def _number(value: object, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise RubricError(f"rubric {where}: {what} must be a number of points >= 0, got {value!r}")
    return float(value)


def _rule(task: str, name: str, rule: object, defined: list[str], where: str) -> TestRule:
    what = f"[tasks.{task}] tests.{name}"
    if name not in defined:
        raise RubricError(f"rubric {where}: {what} names a test that graders/test_{task}.py "
                          f"does not define (it defines {', '.join(defined) or 'none'})")
    if not isinstance(rule, dict):
        raise RubricError(f"rubric {where}: {what} must be a table "
                          "{ points = ..., visibility = ..., timeout = ... }")
    extra = set(rule) - {"points", "visibility", "timeout"}
    if extra:
        raise RubricError(f"rubric {where}: {what} has unknown key(s) {sorted(extra)}")
    visibility = rule.get("visibility", "after_published")
    if visibility not in VISIBILITIES:
        raise RubricError(f"rubric {where}: {what} visibility must be one of "
                          f"{', '.join(VISIBILITIES)}, got {visibility!r}")
    timeout = _number(rule.get("timeout", 10), f"{what} timeout", where)
    if timeout <= 0:
        raise RubricError(f"rubric {where}: {what} timeout must be > 0 seconds")
    return TestRule(task, name, _number(rule.get("points"), f"{what} points", where),
                    visibility, timeout)
