"""Sharded grading without a scheduler (adkit/cluster): shards then a merge write what one
run writes, a missing shard leaves a partial merge and the command that finishes it, a node
refuses a plan it cannot keep, and make slurm-grade passes its variables on. (The
manifest and merge in-process: tests/unit/test_cluster.py; a real Slurm:
tests/e2e/test_cluster_slurm.py.)"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adkit.cluster import manifest as manifests
from adkit.cluster.trust import shared_secrets
from tests.helpers import ROOT
from tests.helpers.cluster_compare import differences

DEMO = ROOT / "demo_cohort"
QUICK = ("s2403", "s2406", "s2407")  # a bug, one file, a syntax error: a few seconds each


def _cluster(*args: object, env: dict[str, str] | None = None,
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adkit.cluster", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=env)


def _grade(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adkit.cohort", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture
def secret_env(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("a course secret\n")
    secret.chmod(0o600)
    env = dict(os.environ, ADKIT_COURSE_SECRET_FILE=str(secret))
    env.pop("ADKIT_COURSE_SECRET", None)
    return env


@pytest.fixture
def cohort(tmp_path):
    folder = tmp_path / "submissions"
    for student in QUICK:
        shutil.copytree(DEMO / student, folder / student)
    return folder


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """One single-machine run of the quick cohort, to compare the merges with."""
    base = tmp_path_factory.mktemp("local")
    secret = base / "secret"
    secret.write_text("a course secret\n")
    secret.chmod(0o600)
    folder = base / "submissions"
    for student in QUICK:
        shutil.copytree(DEMO / student, folder / student)
    env = dict(os.environ, ADKIT_COURSE_SECRET_FILE=str(secret))
    env.pop("ADKIT_COURSE_SECRET", None)
    done = _grade(folder, "--out", base / "grades", "--jobs", "2", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return base / "grades"


@pytest.mark.slow
def test_shards_then_merge_write_what_one_run_writes(cohort, tmp_path, secret_env, local):
    out = tmp_path / "grades"
    planned = _cluster("plan", cohort, "--out", out, "--shards", 2, env=secret_env)
    assert planned.returncode == 0, planned.stderr
    manifest = manifests.default_path(out)
    for index in (0, 1):
        done = _cluster("shard", "--manifest", manifest, "--index", index, "--jobs", 1,
                        env=secret_env)
        assert done.returncode == 0, done.stderr[-3000:]
    merged = _cluster("merge", "--manifest", manifest, env=secret_env)
    assert merged.returncode == 0, merged.stderr[-3000:]
    assert "PARTIAL" not in merged.stderr
    assert differences(local, out, detail=True) == []
    again = _cluster("shard", "--manifest", manifest, "--index", 0, env=secret_env)
    assert "already graded and unchanged" in again.stderr, again.stderr[-2000:]


@pytest.mark.slow
def test_a_missing_shard_leaves_a_partial_merge_and_the_command_that_finishes_it(
        cohort, tmp_path, secret_env, local):
    out = tmp_path / "grades"
    assert _cluster("plan", cohort, "--out", out, "--shards", 2,
                    env=secret_env).returncode == 0
    manifest = manifests.default_path(out)
    done = _cluster("shard", "--manifest", manifest, "--index", 1, env=secret_env)
    assert done.returncode == 0, done.stderr[-3000:]
    merged = _cluster("merge", "--manifest", manifest, env=secret_env)
    assert merged.returncode == 1
    missing = manifests.load(manifest).shard(0)
    assert f"PARTIAL: 2 of 3 student(s) not graded: {', '.join(missing)}" in merged.stderr
    assert "PARTIAL" in (out / "report.html").read_text()
    command = merged.stderr.split("grade only them")[1].splitlines()[1].strip()
    words = shlex.split(command)
    assert words[words.index("--only") + 1:] == missing
    assert "a course secret" not in command  # the secret's file, never the secret
    secret = secret_env.pop("ADKIT_COURSE_SECRET_FILE")
    assert words[words.index("&&") + 1] == f"ADKIT_COURSE_SECRET_FILE={secret}"
    finished = subprocess.run(command, shell=True, cwd="/", capture_output=True, text=True,
                              timeout=300, env=secret_env)  # as printed, from anywhere
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert differences(local, out, detail=True) == []


@pytest.mark.slow
def test_a_node_refuses_a_plan_it_cannot_keep(cohort, tmp_path, secret_env):
    out = tmp_path / "grades"
    assert _cluster("plan", cohort, "--out", out, "--shards", 2,
                    env=secret_env).returncode == 0
    path = manifests.default_path(out)
    data = json.loads(path.read_text())
    data["graders_fingerprint"] = "0" * 16
    path.write_text(json.dumps(data))
    other = _cluster("shard", "--manifest", path, "--index", 0, env=secret_env)
    assert other.returncode == 2 and "this node's kit differs" in other.stderr

    assert _cluster("plan", cohort, "--out", out, "--shards", 2,
                    env=secret_env).returncode == 0
    assert manifests.load(path).shard(1) == ["s2406"]
    (cohort / "s2406" / "extra.py").write_text("x = 1\n")
    changed = _cluster("shard", "--manifest", path, "--index", 1, env=secret_env)
    assert changed.returncode == 3, changed.stderr[-2000:]
    assert "not graded: s2406: handed in again since the plan" in changed.stderr
    assert not (manifests.load(path).shard_out(1) / "s2406").exists()

    data = json.loads(path.read_text()) | {"private": True}
    path.write_text(json.dumps(data))
    shared = _cluster("shard", "--manifest", path, "--index", 0, env=secret_env)
    if shared_secrets(Path(data["rubric"]), None):  # a checkout others can read, as usual
        assert shared.returncode == 2 and "chmod -R go-rwx" in shared.stderr

    wrong = _cluster("shard", "--manifest", path, "--index", 5, env=secret_env)
    assert wrong.returncode == 2 and "shards 0 to 1" in wrong.stderr


def test_the_slurm_driver_takes_the_secret_from_a_file_only(cohort, tmp_path, secret_env):
    loud = dict(secret_env, ADKIT_COURSE_SECRET="visible-in-job-records")
    done = _cluster("slurm", cohort, "--out", tmp_path / "o", "--shards", 2, "--cpus", 1,
                    env=loud)
    assert done.returncode == 2 and "never from the environment" in done.stderr
    bare = {k: v for k, v in secret_env.items() if k != "ADKIT_COURSE_SECRET_FILE"}
    done = _cluster("slurm", cohort, "--out", tmp_path / "o", "--shards", 2, "--cpus", 1,
                    env=bare)
    assert done.returncode == 2 and "only from a file of mode 0600" in done.stderr


def test_make_slurm_grade_passes_its_variables_on():
    run = subprocess.run(["make", "-n", "--no-print-directory", "slurm-grade",
                          "SUBMISSIONS=hw3", "OUT=hw3-grades", "SHARDS=10", "CPUS=32",
                          "SECRET_FILE=/home/ta/course.secret", "MINUTES=60", "PARTITION=short"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert ('-m adkit.cluster slurm "hw3" --out "hw3-grades" --shards "10" --cpus "32" '
            '--secret-file "/home/ta/course.secret" --time "60" --partition "short"'
            in " ".join(run.stdout.replace("\\\n", " ").split()))
