"""From stored results to every output, in one place.

`gather` reads the stored results of one or more folders (a run's OUT, or the shards of a
split run) into a `Cohort`; `publish` gathers and runs the named steps over it, each step a
function `(cohort, out) -> None` in a module of its own (like nbgrader's converters):

    policy     the course policy applied to each result       (adkit/outputs/policy.py)
    students   OUT/<student>/feedback.md and results.json   (adkit/outputs/feedback.py)
    gradebook  OUT/gradebook.csv                             (adkit/outputs/gradebook.py)
    log        OUT/grade-log.csv, every change of a grade    (adkit/outputs/log.py)
    canvas     OUT/canvas-grades.csv, Canvas's import         (adkit/outputs/canvas.py)
    moodle     OUT/moodle-grades.csv, Moodle's worksheet      (adkit/outputs/moodle.py)
    report     OUT/report.html                               (adkit/outputs/report.py)
    console    the summary on stderr                         (adkit/outputs/console.py)

`make grade` (at the end of every run, interrupted or not), `make similarity` (which
re-renders the report with its pairs), `make grades` (the course policy applied again,
no regrading) and a merge of shards all call `publish`; a new output is one more module
and one more line in STEPS. The same stored results give the same outputs. The policy,
log and LMS steps do nothing without a course file (docs/policy.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from adkit.outputs import canvas, console, feedback, gradebook, log, moodle, policy, report
from adkit.outputs.cohort import Cohort
from adkit.outputs.result import StudentResult
from adkit.outputs.similar import Similarity, read_similarity

Step = Callable[[Cohort, Path], None]
STEPS: list[tuple[str, Step]] = [
    ("policy", policy.write),
    ("students", feedback.write),
    ("gradebook", gradebook.write),
    ("log", log.write),
    ("canvas", canvas.write),
    ("moodle", moodle.write),
    ("report", report.write),
    ("console", console.write),
]


def _stored(folder: Path, student_id: str) -> tuple[StudentResult, Path, int, bool] | None:
    """The result stored for `student_id` in `folder`: (result, its path, its time, whether
    the file holds exactly what this kit would write for it)."""
    path = folder / student_id / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        result = StudentResult.from_json(data)
        when = path.stat().st_mtime_ns
    except (OSError, ValueError, RecursionError):
        return None
    if result.student_id != student_id:
        return None  # not this student's (a copied folder): not trusted as theirs
    return result, path, when, result.to_json() == data


def _students_in(folders: Sequence[Path]) -> list[str]:
    found = set()
    for folder in folders:
        if folder.is_dir():
            found |= {p.parent.name for p in folder.glob("*/results.json")}
    return sorted(found)


def gather(folders: Sequence[Path], expected: Sequence[str] | None = None, *,
           skipped: Sequence[tuple[str, str]] = (), others: Sequence[tuple[str, str]] = (),
           partial: bool = False, fresh: Sequence[str] = (),
           wanted: Sequence[str] = (), policy_file: Path | None = None) -> Cohort:
    """The cohort stored in `folders`: for each student of `expected` (default: everyone
    with a results.json in any folder), in that order, their newest stored result; students
    with none are `missing`. `fresh`: those this run graded, of the `wanted` it set out to
    grade. The similarity pairs are the newest similarity.csv's. `policy_file`: the course
    file (default: adkit.outputs.course.course_file's)."""
    folders = [Path(f) for f in folders]
    results, missing, sources, exact = [], [], {}, set()
    for sid in (_students_in(folders) if expected is None else expected):
        found = [s for s in (_stored(f, sid) for f in folders) if s is not None]
        if not found:
            missing.append(sid)
            continue
        result, path, _, as_written = max(found, key=lambda s: s[2])
        results.append(result)
        sources[sid] = path
        if as_written:
            exact.add(sid)
    pairs = [s for s in (read_similarity(f) for f in folders) if s is not None]
    similarity: Similarity | None = max(pairs, key=lambda s: s.written) if pairs else None
    return Cohort(results, missing, list(skipped), list(others), partial, similarity,
                  list(fresh), sources, exact, list(wanted), policy_file=policy_file)


def write_outputs(cohort: Cohort, out: Path, skip: Collection[str] = ()) -> None:
    """Run every step of STEPS over `cohort` into `out`, but those named in `skip`."""
    unknown = set(skip) - {name for name, _ in STEPS}
    if unknown:
        raise ValueError(f"no output step named {', '.join(sorted(unknown))} (the steps: "
                         f"{', '.join(name for name, _ in STEPS)})")
    out.mkdir(parents=True, exist_ok=True)
    for name, step in STEPS:
        if name not in skip:
            step(cohort, out)


def publish(folders: Sequence[Path], out: Path, expected: Sequence[str] | None = None, *,
            skip: Collection[str] = (), **cohort: object) -> Cohort:
    """Gather the results stored in `folders` (see `gather`, which takes the other keyword
    arguments) and write every output into `out`; the cohort, for the caller's exit status."""
    gathered = gather(folders, expected, **cohort)  # type: ignore[arg-type]
    write_outputs(gathered, out, skip)
    return gathered
