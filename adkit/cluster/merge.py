"""Merging the shards: their per-student results into OUT, then OUT's outputs from them.

The outputs are written by the same step a single-machine run ends with
(`adkit.outputs.steps.publish`: the one place that turns stored results into the
gradebook, the report and the exports), so a merged OUT is what `python -m adkit.cohort`
would have written, apart from timings.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from adkit.cluster.manifest import Manifest
from adkit.cluster.shard import grade_command
from adkit.cohort import runner
from adkit.model.rubric import SECRET_FILE_VARIABLE
from adkit.outputs import console
from adkit.outputs.atomic import write_atomic
from adkit.outputs.result import read_results
from adkit.outputs.steps import publish

RESULTS = "results.json"  # written last: its presence means "this student is done"


def gather(manifest: Manifest, student_id: str, shard: int) -> bool:
    """Copy the student's files from their shard's folder into OUT/<id> when the shard's are
    newer (OUT's may come from a later run of the printed command); whether any was copied."""
    source = manifest.shard_out(shard) / student_id
    target = manifest.out / student_id
    data = read_results(source / RESULTS)
    if data is None or data["extra_data"].get("fingerprint") != manifest.rubric_fingerprint:
        return False
    when = os.stat(source / RESULTS).st_mtime
    if read_results(target / RESULTS) is not None and os.stat(target / RESULTS).st_mtime >= when:
        return False
    files = sorted(p for p in source.iterdir()
                   if p.is_file() and not p.is_symlink() and not p.name.startswith("."))
    for path in sorted(files, key=lambda p: p.name == RESULTS):  # results.json last
        _copy(path, target / path.name)
    return True


def _copy(source: Path, target: Path) -> None:
    """Copy one output file atomically, keeping its time (re-runs compare it with the
    submission's and the graders' to skip finished students)."""
    info = os.stat(source)
    write_atomic(target, source.read_text(encoding="utf-8"))
    os.utime(target, (info.st_atime, info.st_mtime))


def to_grade_again(manifest: Manifest) -> tuple[list[str], list[str]]:
    """(students with no results in OUT, students whose results are a grader error)."""
    missing, errors = [], []
    for student_id in manifest.students:
        data = read_results(manifest.out / student_id / RESULTS)
        if data is None:
            missing.append(student_id)
        elif data["extra_data"].get("grader_error"):
            errors.append(student_id)
    return missing, errors


def again_command(manifest: Manifest, ids: list[str]) -> str:
    """The shell command that grades only `ids` into OUT (and rewrites its outputs)."""
    command = grade_command(manifest, manifest.out, ids, os.cpu_count() or 1)
    secret = (f"{SECRET_FILE_VARIABLE}={shlex.quote(str(manifest.secret_file))} "
              if manifest.secret_file else "")
    return f"cd {shlex.quote(str(runner.KIT.parent))} && {secret}{shlex.join(command)}"


def merge(manifest: Manifest) -> int:
    """Gather every shard into OUT, write OUT's outputs; 0 when everyone is graded."""
    copied = sum(gather(manifest, i, n) for i, n in manifest.shards_of().items())
    missing, errors = to_grade_again(manifest)
    print(f"merged {manifest.shards} shard(s): {copied} student(s) gathered into "
          f"{manifest.out}", file=sys.stderr)
    skipped = manifest.skipped_entries()
    cohort = publish([manifest.out], manifest.out, manifest.students,
                     skipped=[(s.name, s.reason) for s in skipped if not s.plain_file],
                     others=[(s.name, s.reason) for s in skipped if s.plain_file],
                     partial=bool(missing))
    code = console.exit_status(cohort)
    if missing:
        print(f"PARTIAL: {len(missing)} of {len(manifest.students)} student(s) not graded: "
              f"{', '.join(missing)} (a shard failed, was cancelled or ran out of time; "
              "report.html is marked PARTIAL)", file=sys.stderr)
    if missing or errors:
        print("grade only them (here, or in a job), which also rewrites the gradebook and "
              f"the report:\n  {again_command(manifest, missing + errors)}", file=sys.stderr)
        if manifest.again:
            print("or submit the whole run again (finished students are skipped):\n  "
                  + manifest.again, file=sys.stderr)
    return code
