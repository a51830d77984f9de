"""Sharded grading without a scheduler: the manifest, shards run by hand, the merge.

The merged OUT must equal what one `python -m adkit.grade` run writes (apart from times),
a missing shard must leave a PARTIAL merge whose printed command grades exactly the missing
students, and a node must refuse a plan it cannot keep (other graders, changed submissions,
a shared secret).
"""

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
from adkit.grade.rubric import RubricError, load_rubric, read_secret_file
from adkit.intake.submissions import scan_submissions
from tests.cluster_compare import differences

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo_cohort"
QUICK = ("s2403", "s2406", "s2407")  # a bug, one file, a syntax error: a few seconds each


def _cluster(*args: object, env: dict[str, str] | None = None,
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adkit.cluster", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=env)


def _grade(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adkit.grade", *map(str, args)], cwd=ROOT,
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


# --- the manifest -----------------------------------------------------------------------

def test_shards_split_the_sorted_ids_without_overlap(tmp_path):
    everyone, skipped = scan_submissions(DEMO, tmp_path)
    plan = manifests.plan(everyone, skipped, DEMO, tmp_path / "out", 4, load_rubric(), False,
                          None)
    shards = [plan.shard(i) for i in range(4)]
    assert sorted(sum(shards, [])) == sorted(s.student_id for s in everyone)
    assert [len(s) for s in shards] == [3, 2, 2, 2]
    assert plan.shards_of() == {i: n for n, ids in enumerate(shards) for i in ids}
    assert manifests.load(_written(plan, tmp_path)) == plan


def _written(plan: manifests.Manifest, folder: Path) -> Path:
    manifests.write(plan, folder / "manifest.json")
    return folder / "manifest.json"


def test_a_malformed_manifest_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format": 1, "students": {"a": 3}}))
    with pytest.raises(manifests.ManifestError, match="malformed.*plan again"):
        manifests.load(path)
    with pytest.raises(manifests.ManifestError, match="not found"):
        manifests.load(tmp_path / "none.json")


def test_the_content_digest_follows_the_content_only(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(DEMO / "s2406", a)
    shutil.copytree(DEMO / "s2406", b)
    assert manifests.content_digest(a) == manifests.content_digest(b)
    os.utime(b / "simpleautodiff.py", (1, 1))  # a time is not content
    assert manifests.content_digest(a) == manifests.content_digest(b)
    with open(b / "simpleautodiff.py", "a") as handle:
        handle.write("# changed\n")
    assert manifests.content_digest(a) != manifests.content_digest(b)
    before = manifests.content_digest(a)
    (a / "extra").mkdir()  # an empty folder is content too
    assert manifests.content_digest(a) != before


# --- the course secret's file -----------------------------------------------------------

def test_a_secret_file_others_can_read_is_refused(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    with pytest.raises(RubricError, match=r"mode 0644.*chmod 600"):
        read_secret_file(secret)
    secret.chmod(0o600)
    assert read_secret_file(secret) == "s3cret"
    monkeypatch.setenv("ADKIT_COURSE_SECRET_FILE", str(secret))
    monkeypatch.delenv("ADKIT_COURSE_SECRET", raising=False)
    assert load_rubric().secret == "s3cret"
    monkeypatch.setenv("ADKIT_COURSE_SECRET", "another")
    with pytest.raises(RubricError, match="two course secrets"):
        load_rubric()
    secret.write_text("\n")
    monkeypatch.delenv("ADKIT_COURSE_SECRET")
    with pytest.raises(RubricError, match="empty"):
        load_rubric()
    with pytest.raises(RubricError, match="No such file"):
        read_secret_file(tmp_path / "missing")


def test_a_rubric_may_name_its_secret_file_but_not_both(tmp_path, monkeypatch):
    monkeypatch.delenv("ADKIT_COURSE_SECRET_FILE", raising=False)
    monkeypatch.delenv("ADKIT_COURSE_SECRET", raising=False)
    text = (ROOT / "graders" / "rubric.toml").read_text()
    rubric = ROOT / "graders" / "rubric.toml"
    (tmp_path / "secret").write_text("from the file")
    (tmp_path / "secret").chmod(0o600)
    own = tmp_path / "rubric.toml"
    own.write_text(text.replace('secret = "adkit-demo-secret"', 'secret_file = "secret"'))
    assert load_rubric(own).secret == "from the file"
    own.write_text(text.replace('secret = "adkit-demo-secret"',
                                'secret = "x"\nsecret_file = "secret"'))
    with pytest.raises(RubricError, match="either `secret` or `secret_file`"):
        load_rubric(own)
    assert load_rubric(rubric).secret == "adkit-demo-secret"


def test_files_others_can_read_are_named(tmp_path):
    rubric, secret = tmp_path / "rubric.toml", tmp_path / "secret"
    for path in (rubric, secret):
        path.write_text("x")
        path.chmod(0o644)
    found = shared_secrets(rubric, secret)
    assert f"{rubric} (mode 0644)" in found and f"{secret} (mode 0644)" in found
    rubric.chmod(0o600)
    secret.chmod(0o600)
    assert not [f for f in shared_secrets(rubric, secret) if str(tmp_path) in f]


# --- shards and merge, by hand ----------------------------------------------------------

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


def test_the_comparison_ignores_timings_only(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out, seconds, score in ((a, 1.5, 10), (b, 7.25, 10)):
        (out / "s1").mkdir(parents=True)
        (out / "s1" / "results.json").write_text(json.dumps(
            {"score": score, "extra_data": {"seconds": seconds, "seed": 1}}))
        (out / "report.html").write_text(f"graded 2026-12-07 19:0{score % 7} in {seconds} s")
    assert differences(a, b) == []
    (b / "s1" / "results.json").write_text(json.dumps(
        {"score": 9, "extra_data": {"seconds": 1.5, "seed": 1}}))
    (b / "s2").mkdir()
    (b / "s2" / "feedback.md").write_text("x")
    assert differences(a, b) == [f"only in {b}: s2/feedback.md", "s1/results.json differs"]


def test_make_slurm_grade_passes_its_variables_on():
    run = subprocess.run(["make", "-n", "--no-print-directory", "slurm-grade",
                          "SUBMISSIONS=hw3", "OUT=hw3-grades", "SHARDS=10", "CPUS=32",
                          "SECRET_FILE=/home/ta/course.secret", "MINUTES=60", "PARTITION=short"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert ('-m adkit.cluster slurm "hw3" --out "hw3-grades" --shards "10" --cpus "32" '
            '--secret-file "/home/ta/course.secret" --time "60" --partition "short"'
            in " ".join(run.stdout.replace("\\\n", " ").split()))
