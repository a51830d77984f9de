"""How much of the reference's solution regions the hidden graders exercise (`make coverage`).

The reference is copied and graded as a submission by the engine and the real graders,
in this process (coverage.py cannot follow code into the bubblewrap child), with coverage.py
measuring the copy only: the graders' expected values come from the pristine reference,
whose lines do not count. Line and branch coverage are reported per solution region
(adkit.authoring.regions) and overall.

    python -m adkit.proofs.coverage_check [--json] [--fail-under 100]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from adkit.authoring.regions import find_regions

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "simpleautodiff"


@dataclass
class RegionCoverage:
    """One solution region: its lines and branches, and those the graders never ran."""

    file: str
    task: str
    begin: int
    end: int
    lines: int = 0
    branches: int = 0
    missing_lines: list[int] = field(default_factory=list)
    missing_branches: list[list[int]] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.begin}-{self.end}"


@dataclass
class CoverageReport:
    regions: list[RegionCoverage]
    score: float  # the reference's grade (it should be full marks)
    max_score: float

    def totals(self) -> dict[str, Any]:
        lines = sum(r.lines for r in self.regions)
        branches = sum(r.branches for r in self.regions)
        missed_l = sum(len(r.missing_lines) for r in self.regions)
        missed_b = sum(len(r.missing_branches) for r in self.regions)
        return {"lines": lines, "missing_lines": missed_l,
                "branches": branches, "missing_branches": missed_b,
                "line_percent": _percent(lines - missed_l, lines),
                "branch_percent": _percent(branches - missed_b, branches)}


def _percent(hit: int, total: int) -> float:
    return 100.0 if total == 0 else round(100.0 * hit / total, 2)


def regions_coverage(package: Path, files: dict[str, dict[str, Any]]) -> list[RegionCoverage]:
    """Cut coverage.py's JSON report (`files`, keyed by path) down to the solution regions.

    A region's lines are those strictly between its markers; a branch belongs to the region
    holding the line it leaves from.
    """
    by_path = {str(Path(name).resolve()): data for name, data in files.items()}
    out: list[RegionCoverage] = []
    for path in sorted(Path(package).glob("*.py")):
        data = by_path.get(str(path.resolve()))
        for region in find_regions(path):
            row = RegionCoverage(path.name, region.task, region.begin, region.end)
            inside = range(region.begin + 1, region.end)
            if data is None:  # never imported: every statement missed (counted by compiling)
                row.missing_lines = [n for n in _statements(path) if n in inside]
                row.lines = len(row.missing_lines)
            else:
                executed = [n for n in data["executed_lines"] if n in inside]
                row.missing_lines = [n for n in data["missing_lines"] if n in inside]
                row.lines = len(executed) + len(row.missing_lines)
                taken = [a for a in data.get("executed_branches", []) if a[0] in inside]
                row.missing_branches = [a for a in data.get("missing_branches", [])
                                        if a[0] in inside]
                row.branches = len(taken) + len(row.missing_branches)
            out.append(row)
    return out


def _statements(path: Path) -> list[int]:
    import coverage

    return sorted(coverage.Coverage(data_file=None).analysis2(str(path))[1])


def measure(work: Path) -> CoverageReport:
    """Grade a copy of the reference in-process under coverage.py; cut to the regions."""
    import coverage

    from adkit.proofs.inprocess import grade_in_process

    submission = work / "submission"
    package = submission / "simpleautodiff"
    shutil.copytree(REFERENCE, package, ignore=shutil.ignore_patterns("__pycache__"))
    # The engine grades a staged copy of the submission in a temporary folder: keep that
    # folder under `work`, measure only the staged package (never the reference the graders
    # load for their expected values), and read the numbers back onto `package`.
    scratch = work / "tmp"
    scratch.mkdir()
    staged = str(scratch / "*" / "submission" / "simpleautodiff" / "*.py")
    cov = coverage.Coverage(data_file=None, branch=True, config_file=False, include=[staged])
    saved, tempfile.tempdir = tempfile.tempdir, str(scratch)
    cov.start()
    try:
        data = grade_in_process(submission, work / "grades")
    finally:
        cov.stop()
        tempfile.tempdir = saved
    for name in cov.get_data().measured_files():  # removed after grading: put them back
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(package / Path(name).name, name)
    report_path = work / "coverage.json"
    cov.json_report(outfile=str(report_path), include=[staged])
    measured = json.loads(report_path.read_text(encoding="utf-8"))["files"]
    files = {str(package / Path(name).name): numbers for name, numbers in measured.items()}
    return CoverageReport(regions_coverage(package, files), data["score"],
                          data["extra_data"]["max_total"])


def format_report(report: CoverageReport) -> str:
    rows = [f"{'region':<26} {'task':<18} {'lines':>9} {'branches':>9}  not exercised"]
    for r in report.regions:
        lines = f"{r.lines - len(r.missing_lines)}/{r.lines}"
        branches = f"{r.branches - len(r.missing_branches)}/{r.branches}"
        missed = [f"line {n}" for n in r.missing_lines]
        missed += [f"branch {a}->{b if b > 0 else 'exit'}" for a, b in r.missing_branches]
        rows.append(f"{r.where:<26} {r.task:<18} {lines:>9} {branches:>9}  {', '.join(missed)}")
    t = report.totals()
    rows.append(f"solution regions: {t['line_percent']:.2f}% of {t['lines']} lines, "
                f"{t['branch_percent']:.2f}% of {t['branches']} branches exercised by the "
                f"graders (reference graded {report.score:g}/{report.max_score:g})")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adkit.proofs.coverage_check",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--fail-under", type=float, default=None, metavar="PERCENT",
                        help="exit 1 when line or branch coverage is below PERCENT")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="adkit-coverage-") as work:
        report = measure(Path(work))
    if args.json:
        print(json.dumps({"regions": [asdict(r) for r in report.regions],
                          "totals": report.totals(), "score": report.score,
                          "max_score": report.max_score}, indent=1))
    else:
        print(format_report(report))
    t = report.totals()
    lowest = min(t["line_percent"], t["branch_percent"])
    if args.fail_under is not None and lowest < args.fail_under:
        print(f"coverage below {args.fail_under:g}%: add graders for the lines and branches "
              "listed above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
