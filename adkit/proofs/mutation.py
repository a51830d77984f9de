"""Mutation testing of the reference with the hidden graders as the test suite (`make mutation`).

Mutants come from mutmut 3's own mutation operators (`mutmut.mutation.file_mutation
.create_mutations`, restricted to the lines of the solution regions), plus one operator
mutmut lacks: deleting a simple statement, the commonest real slip (a forgotten reset, a
forgotten `append`). mutmut 3 itself cannot run here: it runs the test suite in-process
against trampolined source, while our suite grades a *submission* (a package folder) with
expected values from the pristine reference. So each mutant is written as a copy of the
reference with one change, and graded by the engine (`runner.grade`, the rubric, every
hidden test), in-process with each call stopped at the rubric's time limit, two at a time.
A mutant is killed when it loses any point.

    python -m adkit.proofs.mutation [--jobs 2] [--limit N] [--report docs/mutation-report.md]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from adkit.authoring.regions import find_regions

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "simpleautodiff"
JUDGEMENTS = Path(__file__).with_name("mutation_judgements.toml")
MEMORY_BYTES = 4 * 1024**3  # per grading process: a mutant that hoards memory fails, not us


@dataclass(frozen=True)
class Mutant:
    key: str  # m001, m002, ... in generation order
    file: str  # module file name inside the package
    line: int  # first changed line
    task: str  # the rubric task of the region it lies in
    operator: str
    before: str  # the changed lines, stripped
    after: str
    source: str  # the whole mutated module

    @property
    def signature(self) -> str:
        """Stable across runs and line shifts: file, original line text, mutated text."""
        return f"{self.file} | {self.before} | {self.after}"

    def diff(self) -> str:
        original = (REFERENCE / self.file).read_text(encoding="utf-8").splitlines(True)
        return "".join(difflib.unified_diff(original, self.source.splitlines(True),
                                            f"a/{self.file}", f"b/{self.file}", n=1))


@dataclass(frozen=True)
class Outcome:
    key: str
    score: float
    max_score: float
    failed: str  # the first hidden test it failed ("task: test"), "" for a survivor
    seconds: float
    error: str = ""

    @property
    def killed(self) -> bool:
        return bool(self.error) or self.score < self.max_score


# --- making mutants ---------------------------------------------------------------------

def _region_lines(path: Path) -> dict[int, str]:
    """Line -> task for every line strictly inside a solution region of `path`."""
    return {n: r.task for r in find_regions(path) for n in range(r.begin + 1, r.end)}


def _statement_deletions(code: str, lines: set[int]) -> list[tuple[object, object]]:
    """(statement, `pass`) for every simple statement line inside the regions."""
    import libcst as cst
    import libcst.matchers as m
    from libcst.metadata import MetadataWrapper, PositionProvider

    found: list[tuple[object, object]] = []

    class Visitor(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:  # noqa: N802
            start = self.get_metadata(PositionProvider, node).start.line
            docstring = m.matches(node, m.SimpleStatementLine([m.Expr(m.SimpleString())]))
            if start in lines and not docstring and not all(
                    isinstance(s, cst.Pass) for s in node.body):
                found.append((node, node.with_changes(body=[cst.Pass()])))

    wrapper = MetadataWrapper(cst.parse_module(code))
    wrapper.visit(Visitor())
    return [(wrapper.module, *pair) for pair in found]  # type: ignore[misc]


def _mutmut_defaults() -> None:
    """Load mutmut's default settings once, without a mutmut section in our project files."""
    from mutmut import configuration

    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="adkit-mutmut-") as empty:
        os.mkdir(os.path.join(empty, "src"))  # mutmut insists on guessing a source folder
        os.chdir(empty)
        try:
            configuration.config()
        finally:
            os.chdir(here)


def make_mutants(package: Path = REFERENCE) -> list[Mutant]:
    """Every distinct mutant of the solution regions that still compiles."""
    from mutmut.mutation.file_mutation import create_mutations, deep_replace

    _mutmut_defaults()
    found: list[Mutant] = []
    seen: set[str] = set()
    for path in sorted(Path(package).glob("*.py")):
        tasks = _region_lines(path)
        if not tasks:
            continue
        code = path.read_text(encoding="utf-8")
        module, mutations, _, _ = create_mutations(str(path), code, set(tasks))
        candidates = [(module, m.original_node, m.mutated_node, "mutmut") for m in mutations]
        candidates += [(*t, "delete statement") for t in _statement_deletions(code, set(tasks))]
        for tree, old, new, operator in candidates:
            source = deep_replace(tree, old, new).code
            if source == code or source in seen:
                continue
            try:
                compile(source, str(path), "exec")
            except SyntaxError:
                continue
            seen.add(source)
            before, after, line = _changed(code, source)
            if line not in tasks:
                continue
            found.append(Mutant("", path.name, line, tasks[line], operator, before, after,
                                source))
    # Numbered in file and line order, so a key names the same mutant while the code stays.
    found.sort(key=lambda mutant: (mutant.file, mutant.line))
    return [replace(mutant, key=f"m{i:03d}") for i, mutant in enumerate(found, start=1)]


def _changed(code: str, source: str) -> tuple[str, str, int]:
    a, b = code.splitlines(), source.splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            return (" / ".join(s.strip() for s in a[i1:i2]),
                    " / ".join(s.strip() for s in b[j1:j2]), i1 + 1)
    return "", "", 0


# --- grading mutants --------------------------------------------------------------------

def write_mutant(mutant: Mutant, folder: Path) -> Path:
    """A student folder holding the reference with this one change."""
    package = folder / "simpleautodiff"
    shutil.copytree(REFERENCE, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / mutant.file).write_text(mutant.source, encoding="utf-8")
    return folder


def _init_process(fail_fast: bool) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if fail_fast:  # read by the pytest.main the engine runs for each mutant
        os.environ["PYTEST_ADDOPTS"] = "-p adkit.proofs.fail_fast -x"
    sys.setrecursionlimit(1000)  # as in a student's worker: deep recursion must fail


def grade_mutant(mutant: Mutant, work: Path) -> Outcome:
    """Grade one mutant with the hidden tests; expected values from the pristine reference."""
    from adkit.proofs.inprocess import grade_in_process

    started = time.perf_counter()
    folder = write_mutant(mutant, work / "mutants" / mutant.key)
    try:
        data = grade_in_process(folder, work / "grades", mutant.key, timeouts=True)
    except BaseException as error:  # noqa: B036 - a mutant broke the grading: killed, say how
        return Outcome(mutant.key, 0.0, 0.0, "", time.perf_counter() - started,
                       f"{type(error).__name__}: {error}"[:200])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    failed = next((t["name"] for t in data["tests"] if t["score"] < t["max_score"]
                   and "did not run" not in t["output"]), "")
    return Outcome(mutant.key, data["score"], data["extra_data"]["max_total"], failed,
                   time.perf_counter() - started)


def grade_mutants(mutants: list[Mutant], work: Path, jobs: int = 2, fail_fast: bool = True,
                  progress: bool = True) -> list[Outcome]:
    """Grade every mutant, `jobs` at a time, each worker process grading many in turn.

    With `fail_fast`, the graders run cheapest first and stop at a mutant's first lost point
    (adkit/proofs/fail_fast.py); a survivor has passed every hidden test either way.
    """
    outcomes: list[Outcome] = []
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context,
                                                initializer=_init_process,
                                                initargs=(fail_fast,)) as pool:
        futures = {pool.submit(grade_mutant, m, work): m for m in mutants}
        for future in concurrent.futures.as_completed(futures):
            mutant = futures[future]
            try:
                outcome = future.result()
            except Exception as error:  # the worker process died: the mutant broke it
                outcome = Outcome(mutant.key, 0.0, 0.0, "", 0.0,
                                  f"grading process died: {type(error).__name__}")
            outcomes.append(outcome)
            if progress:
                verdict = f"killed by {outcome.failed or outcome.error}" if outcome.killed \
                    else "SURVIVED"
                print(f"[{len(outcomes)}/{len(mutants)}] {mutant.key} {mutant.file}:"
                      f"{mutant.line} {verdict[:70]} ({outcome.seconds:.1f} s)",
                      file=sys.stderr, flush=True)
    return sorted(outcomes, key=lambda o: o.key)


# --- the report ---------------------------------------------------------------------------

def load_judgements(path: Path = JUDGEMENTS) -> dict[str, dict[str, str]]:
    """Verdicts on surviving mutants, by signature: could a student write it, and why."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {entry["signature"]: entry for entry in data.get("survivor", [])}


def report(mutants: list[Mutant], outcomes: list[Outcome], seconds: float,
           judgements: dict[str, dict[str, str]] | None = None) -> str:
    judgements = load_judgements() if judgements is None else judgements
    by_key = {m.key: m for m in mutants}
    killed = [o for o in outcomes if o.killed]
    survivors = [by_key[o.key] for o in outcomes if not o.killed]
    share = 100.0 * len(killed) / len(outcomes) if outcomes else 0.0
    lines = ["# Mutation report", "",
             "Generated by `make mutation` (adkit/proofs/mutation.py); see docs/proofs.md.", "",
             f"- mutants of the reference's solution regions: {len(outcomes)}",
             f"- killed (lost at least one point under the hidden graders): {len(killed)} "
             f"({share:.1f}%)",
             f"- survived: {len(survivors)}",
             f"- time: {seconds:.0f} s on {os.cpu_count()} cores", ""]
    lines += ["## Mutants per task", "", "| task | mutants | killed |", "|---|---|---|"]
    for task in dict.fromkeys(m.task for m in mutants):
        mine = [o for o in outcomes if by_key[o.key].task == task]
        lines.append(f"| {task} | {len(mine)} | {sum(o.killed for o in mine)} |")
    lines += ["", "## Survivors", ""]
    if not survivors:
        lines.append("None.")
    for mutant in survivors:
        verdict = judgements.get(mutant.signature)
        lines += [f"### {mutant.key}: {mutant.file}:{mutant.line} ({mutant.task}, "
                  f"{mutant.operator})", "", "```diff", mutant.diff().rstrip(), "```", ""]
        if verdict:
            lines += [f"**Could a student write it?** {verdict['student']}. "
                      f"{verdict['why']}", ""]
        else:
            lines += ["**Could a student write it?** not judged yet (add it to "
                      "adkit/proofs/mutation_judgements.toml).", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adkit.proofs.mutation",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants graded at once")
    parser.add_argument("--limit", type=int, default=None,
                        help="grade only the first N mutants (a quick look)")
    parser.add_argument("--only", nargs="+", metavar="KEY", help="grade only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--report", type=Path, default=None,
                        help="also write the report (Markdown) to this file")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    mutants = make_mutants()
    if args.only:
        unknown = set(args.only) - {m.key for m in mutants}
        if unknown:
            parser.error(f"no mutant named {', '.join(sorted(unknown))} (see --list)")
        mutants = [m for m in mutants if m.key in set(args.only)]
    if args.limit is not None:
        mutants = mutants[: args.limit]
    if args.list:
        for m in mutants:
            print(f"{m.key} {m.file}:{m.line} [{m.task}] {m.operator}: {m.before}  ->  {m.after}")
        return 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="adkit-mutation-") as work:
        outcomes = grade_mutants(mutants, Path(work), args.jobs)
    text = report(mutants, outcomes, time.perf_counter() - started)
    print(text)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
