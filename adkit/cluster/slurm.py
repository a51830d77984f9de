"""The Slurm driver: one array job (a task per shard) and a merge job that runs after it.

The jobs run `python -m adkit.cluster shard|merge` with this kit, as the user who submits.
Nothing secret goes into a job's record: the scripts name the manifest, the manifest names
the secret file, and the jobs start with an empty environment (`--export=NONE`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from adkit.cluster.manifest import FOLDER, Manifest
from adkit.cohort import runner

STOP_GRACE = 60  # seconds between Slurm's SIGTERM and its time limit (the shard stops cleanly)


class SlurmError(RuntimeError):
    """sbatch is missing or refused the job; the message says what it said."""


@dataclass(frozen=True)
class Submitted:
    shards: str  # the array job's id
    merge: str


def script(manifest_path: Path, command: str, python: str = sys.executable) -> str:
    """A batch script that runs `python -m adkit.cluster <command>` with this kit."""
    kit = runner.KIT.parent
    return ("#!/bin/sh\n"
            "# Written by `python -m adkit.cluster slurm`; the options are on sbatch's "
            "command line.\n"
            f"cd {shlex.quote(str(kit))} || exit 2  # this kit, the one that planned the run\n"
            f"exec {shlex.quote(python)} -m adkit.cluster {command} "
            f"--manifest {shlex.quote(str(manifest_path))}\n")


def _write_script(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o700)
    return path


def _sbatch(options: list[str], batch: Path) -> str:
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise SlurmError("sbatch not found: run this on a Slurm login node (Debian: "
                         "`apt-get install slurm-client`)")
    done = subprocess.run([sbatch, "--parsable", "--export=NONE", *options, str(batch)],
                          capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise SlurmError(f"sbatch refused the job: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip().split(";")[0]


def submit(manifest: Manifest, manifest_path: Path, cpus: int, minutes: int | None = None,
           partition: str | None = None) -> Submitted:
    """Submit the array of shards, then the merge after it (whatever their ends)."""
    jobs = manifest.out / FOLDER
    shards = _write_script(jobs / "shards.sh", script(
        manifest_path, f"shard --jobs {cpus} --index \"$SLURM_ARRAY_TASK_ID\""))
    merge = _write_script(jobs / "merge.sh", script(manifest_path, "merge"))
    common = [f"--partition={partition}"] if partition else []
    limits = [f"--time={minutes}"] if minutes else []
    array = _sbatch([*common, *limits, "--job-name=adkit-shards",
                     f"--array=0-{manifest.shards - 1}", f"--cpus-per-task={cpus}",
                     f"--signal=B:TERM@{STOP_GRACE}",
                     f"--output={jobs}/shard-%A_%a.out"], shards)
    after = _sbatch([*common, "--job-name=adkit-merge", f"--dependency=afterany:{array}",
                     "--kill-on-invalid-dep=yes", f"--output={jobs}/merge-%j.out"], merge)
    return Submitted(array, after)


def follow_lines(manifest: Manifest, submitted: Submitted) -> str:
    """What to tell the TA after submitting: the job ids and how to follow them."""
    jobs = manifest.out / FOLDER
    a, m = submitted.shards, submitted.merge
    return "\n".join([
        f"submitted: shards = job {a} ({manifest.shards} array task(s), "
        f"{len(manifest.students)} student(s)); merge = job {m}, after them",
        f"  follow:  squeue -j {a},{m}",
        f"  logs:    tail -f {jobs}/shard-{a}_*.out {jobs}/merge-{m}.out",
        f"  ended:   sacct -j {a},{m} --format=JobID,State,Elapsed,ExitCode  "
        "(where Slurm keeps accounting)",
        f"  cancel:  scancel {a} {m}",
        f"results when job {m} ends: {manifest.out}/gradebook.csv, {manifest.out}/report.html"])
