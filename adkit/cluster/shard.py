"""Grading one shard of a manifest, on any machine where the kit is installed.

A shard runs the kit's own command, `python -m adkit.cohort SUBMISSIONS --out
OUT/.cluster/shard-<i> --only <its students>`, so it checks the sandbox exactly like `make
grade`, skips students it already finished, and stops cleanly on SIGTERM (Slurm's warning
before its time limit, or scancel). Each shard writes only into its own folder: shards on
other nodes never touch each other's files. `merge` gathers them into OUT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from adkit.cluster import manifest as manifests
from adkit.cluster.manifest import Manifest
from adkit.cluster.trust import privacy_problem
from adkit.cohort import runner
from adkit.intake.submissions import scan_submissions
from adkit.model.rubric import DEFAULT_RUBRIC, SECRET_FILE_VARIABLE, SECRET_VARIABLE
from adkit.outputs.result import read_results

EXIT_CHANGED = 3  # some students were not graded: their submission changed since the plan


def grade_command(manifest: Manifest, out: Path, ids: list[str], jobs: int,
                  python: str = sys.executable) -> list[str]:
    """The `python -m adkit.cohort` command that grades `ids` of the manifest into `out`."""
    command = [python, "-m", "adkit.cohort", str(manifest.submissions), "--out", str(out),
               "--jobs", str(jobs)]
    if manifest.rubric != DEFAULT_RUBRIC.resolve():
        command += ["--rubric", str(manifest.rubric)]
    if manifest.trusted:
        command.append("--trusted")
    return [*command, "--only", *ids]


def grade_environment(manifest: Manifest) -> dict[str, str]:
    """This process's environment for the grading command: the secret only by its file."""
    env = dict(os.environ)
    if manifest.secret_file is not None:
        env.pop(SECRET_VARIABLE, None)
        env[SECRET_FILE_VARIABLE] = str(manifest.secret_file)
    return env


def changed_since_plan(manifest: Manifest, ids: list[str]) -> dict[str, str]:
    """The students of `ids` whose submission differs from the plan's, with why."""
    mine = set(ids)
    with tempfile.TemporaryDirectory(prefix="adkit-shard-scan-") as unpacked:
        found, _ = scan_submissions(manifest.submissions, Path(unpacked))
        now = {s.student_id: manifests.content_digest(s.folder) for s in found
               if s.student_id in mine}
    changed = {}
    for student_id in ids:
        if student_id not in now:
            changed[student_id] = "no longer in SUBMISSIONS"
        elif now[student_id] != manifest.students[student_id]:
            changed[student_id] = "handed in again since the plan"
    return changed


def run_shard(manifest: Manifest, index: int, jobs: int) -> int:
    """Grade shard `index`: 0 when all its students are graded, else non-zero (why printed)."""
    if not 0 <= index < manifest.shards:
        return _fail(f"--index {index}: the manifest has shards 0 to {manifest.shards - 1}")
    here = manifests.graders_fingerprint()
    if here != manifest.graders_fingerprint:
        return _fail(f"this node's kit differs from the one that planned the run (graders "
                     f"{here}, planned {manifest.graders_fingerprint}): install the same "
                     "version of the kit on every node, or plan again")
    problem = manifest.private and privacy_problem(manifest.rubric, manifest.secret_file)
    if problem:
        return _fail(problem)
    ids = manifest.shard(index)
    print(f"shard {index} of {manifest.shards}: {len(ids)} student(s)", file=sys.stderr,
          flush=True)
    changed = changed_since_plan(manifest, ids)
    for student_id, why in changed.items():
        print(f"not graded: {student_id}: {why} (plan again to grade the new version)",
              file=sys.stderr)
    todo = [i for i in ids if i not in changed]
    out = manifest.shard_out(index)
    code = 0
    if todo:
        out.mkdir(parents=True, exist_ok=True)
        code = _run_forwarding(grade_command(manifest, out, todo, jobs),
                               grade_environment(manifest))
    results = {i: read_results(out / i / "results.json") for i in todo}
    graded = [i for i, data in results.items() if data is not None]
    errors = [i for i in graded if results[i]["extra_data"].get("grader_error")]
    print(f"shard {index}: {len(graded)} of {len(ids)} student(s) have results in {out}"
          + (f", {len(errors)} with a grader error" if errors else ""), file=sys.stderr)
    if code not in (0, 1):  # 1: the others' students are missing from this folder
        return code
    if len(graded) < len(todo) or errors:
        return 1
    return EXIT_CHANGED if changed else 0


def _run_forwarding(command: list[str], env: dict[str, str]) -> int:
    """Run `command`, passing SIGTERM and SIGINT on to it (it stops cleanly on either)."""
    child = subprocess.Popen(command, env=env, cwd=runner.KIT.parent)  # this very kit

    def forward(number: int, _: object) -> None:
        child.send_signal(number)

    previous = {n: signal.signal(n, forward) for n in (signal.SIGTERM, signal.SIGINT)}
    try:
        return child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _fail(message: str) -> int:
    print(f"adkit.cluster: error: {message}", file=sys.stderr)
    return 2
