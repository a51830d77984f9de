"""Sharded grading without a scheduler, in-process: the manifest, the secret, the merge.

The runs themselves (shards by hand, the merged OUT equal to one run's, a missing shard, a
node refusing a plan it cannot keep) are in tests/e2e/test_cluster_runs.py.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from adkit.cluster import manifest as manifests
from adkit.cluster.trust import shared_secrets
from adkit.intake.submissions import scan_submissions
from adkit.model.rubric import RubricError, load_rubric, read_secret_file
from tests.helpers import ROOT
from tests.helpers.cluster_compare import differences

DEMO = ROOT / "demo_cohort"


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
