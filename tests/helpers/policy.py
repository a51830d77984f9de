"""Course-policy helpers shared by the policy, grade-log and export tests: stored results
and course files."""

from __future__ import annotations

import csv
from pathlib import Path

from adkit.cohort.scoring import score
from adkit.grade.plugin import Outcome
from adkit.model.rubric import load_rubric
from adkit.outputs import feedback

RUBRIC = load_rubric()
KEYS = list(RUBRIC.tests)


def stored(out: Path, students: dict[str, str | None], lost: int = 0) -> Path:
    """OUT holding a result for each student (id -> submitted_at), `lost` tests failed."""
    for sid, when in students.items():
        outcomes = {k: Outcome(0.0 if i < lost else 1.0, "expected 2 but got 7")
                    for i, k in enumerate(KEYS)}
        result = score(sid, RUBRIC, outcomes, seed=1, fingerprint="f" * 16, sandbox="bwrap",
                       isolated=True)
        result.submitted_at = when
        feedback.write_student(out, result)
    return out


def course(folder: Path, text: str, **csvs: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in csvs.items():
        (folder / f"{name}.csv").write_text(body, encoding="utf-8")
    files = "".join(f'{name} = "{name}.csv"\n' for name in csvs)
    path = folder / "policy.toml"
    path.write_text(text + (f"\n[files]\n{files}" if files else ""), encoding="utf-8")
    return path


BERLIN = '[due]\ndate = "{due}"\ntimezone = "Europe/Berlin"\ngrace_minutes = {grace}\n' \
         '[late]\npenalty_percent = {percent}\nper = "{per}"\ncap_percent = {cap}\n'


def berlin(folder: Path, due: str = "2026-10-15 23:59", grace: int = 0, percent: float = 10,
           per: str = "day", cap: float = 30, **csvs: str) -> Path:
    return course(folder, BERLIN.format(due=due, grace=grace, percent=percent, per=per,
                                        cap=cap), **csvs)


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {r["student_id"]: r for r in rows}
