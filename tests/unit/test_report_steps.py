"""The typed result (adkit/outputs/result.py, scoring.py) and the one step from stored
results to every output (adkit/outputs/steps.py): a result survives results.json, results
of the previous kit load, the same stored results give the same outputs, a merge of shards
gives what one folder gives, and student text is escaped in every file."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from adkit.cohort.scoring import MESSAGE_BYTES, score
from adkit.grade.plugin import Outcome
from adkit.model.rubric import load_rubric
from adkit.model.text import escape_controls
from adkit.outputs import console, feedback
from adkit.outputs.cohort import Cohort
from adkit.outputs.gradebook import HEADER
from adkit.outputs.result import StudentResult, read_result, results_text
from adkit.outputs.steps import STEPS, gather, publish
from tests.helpers import FIXTURES

RUBRIC = load_rubric()
KEYS = list(RUBRIC.tests)
EVIL = "\x1b[2J\x1b[8m\u202eevil\x9b1;1H\x07"


def _result(sid: str, lost: int = 0, message: str = "expected 2 but got 7", **run) -> \
        StudentResult:
    outcomes = {k: Outcome(0.0 if i < lost else 1.0, message if i < lost else "")
                for i, k in enumerate(KEYS)}
    return score(sid, RUBRIC, outcomes, seed=7, fingerprint="f" * 16, seconds=1.5,
                 sandbox="bubblewrap", isolated=True, **run)


def _stored(folder: Path, results: list[StudentResult]) -> Path:
    for result in results:
        feedback.write_student(folder, result)
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_result_survives_results_json():
    result = _result("s1", lost=3, left_out=["a.py: a symbolic link"], notes=["**note**"])
    loaded = StudentResult.from_json(json.loads(results_text(result)))
    assert loaded.to_json() == result.to_json()
    assert StudentResult.from_json(loaded.to_json()) == loaded
    assert loaded.score == 100 - sum(RUBRIC.tests[k].points for k in KEYS[:3])
    assert loaded.left_out == ["a.py: a symbolic link"] and loaded.left_out_count == 1
    assert loaded.notes == ["**note**"] and loaded.isolated is True and loaded.seed == 7
    assert [t.lost for t in loaded.tests[:4]] == [True, True, True, False]


def test_results_of_the_previous_kit_load_and_write_back_the_same():
    text = (FIXTURES / "results-e3a5305.json").read_text(encoding="utf-8")
    old = json.loads(text)
    result = StudentResult.from_json(old)
    assert result.student_id == "s2407" and result.score == 92.5 and result.notes == []
    assert result.left_out_count == 1 and result.sandbox == "bubblewrap"
    # the same file, but for the raw escape the old kit stored, now written out
    for test in old["tests"]:
        test["output"] = escape_controls(test["output"])
    assert results_text(result) == json.dumps(old, indent=1) + "\n"
    assert any(t["output"].endswith("\\x1b[2J\\u202eraw") for t in result.to_json()["tests"])
    older = StudentResult.from_json(json.loads(
        (FIXTURES / "results-older.json").read_text(encoding="utf-8")))
    assert older.grader_error is False and older.sandbox is None and older.seed is None


def test_what_is_not_a_result_does_not_load(tmp_path):
    for text in ("{", "[]", '{"score": 0, "output": "failed", "tests": []}',
                 '{"extra_data": {"student_id": 1}, "tests": []}', "[" * 100_000):
        (tmp_path / "results.json").write_text(text)
        assert read_result(tmp_path / "results.json") is None
    assert read_result(tmp_path / "nowhere.json") is None


def test_scoring_caps_and_escapes_what_the_students_code_said():
    result = _result("s1", lost=1, message=EVIL + "x" * (2 * MESSAGE_BYTES))
    said = result.tests[0].output
    assert "\x1b" not in said and "\u202e" not in said and said.startswith("\\x1b[2J")
    assert len(said.encode()) < MESSAGE_BYTES + 100 and "more bytes cut" in said


def test_same_stored_results_give_the_same_outputs(tmp_path):
    results = [_result("s1"), _result("s2", lost=2), _result("s3", lost=40),
               _result("s4", left_out=["x.py: a FIFO"])]
    stored = _stored(tmp_path / "stored", results)
    ids = ["s1", "s2", "s3", "s4", "s5"]
    for name in ("a", "b"):
        shutil.copytree(stored, tmp_path / name)
        publish([tmp_path / name], tmp_path / name, ids, skip=("console",),
                skipped=[("bad name", "not a usable student id")])
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first == second and "report.html" in first and "gradebook.csv" in first
    rows = first["gradebook.csv"].decode().splitlines()
    assert rows[0].split(",") == HEADER and [r.split(",")[0] for r in rows[1:]] == ids[:4]
    assert first["s2/feedback.md"] == (stored / "s2" / "feedback.md").read_bytes()
    assert b"PARTIAL" in first["report.html"] and b"bad name" in first["report.html"]


def test_the_gradebook_and_report_come_from_stored_results_alone(tmp_path):
    stored = _stored(tmp_path / "out", [_result("s1"), _result("s2", lost=5)])
    publish([stored], stored, skip=("console",))
    before = _files(stored)
    for name in ("gradebook.csv", "report.html", "s1/feedback.md"):
        (stored / name).unlink()
    cohort = publish([stored], stored, skip=("console",))
    assert _files(stored) == before and cohort.missing == []


def test_a_merge_of_shards_is_the_same_step_over_more_folders(tmp_path):
    results = [_result(f"s{k}", lost=k) for k in range(6)]
    whole = _stored(tmp_path / "whole", results)
    _stored(tmp_path / "shard0", results[:3])
    _stored(tmp_path / "shard1", results[3:])
    ids = [r.student_id for r in results]
    publish([whole], whole, ids, skip=("console",))
    publish([tmp_path / "shard0", tmp_path / "shard1"], tmp_path / "merged", ids,
            skip=("console",))
    assert _files(tmp_path / "merged") == _files(whole)
    # a shard that is missing leaves a partial merge naming who is not graded
    partial = gather([tmp_path / "shard0"], ids)
    assert partial.missing == ["s3", "s4", "s5"]


def test_a_rewritten_results_json_keeps_the_time_it_was_graded(tmp_path):
    stored = _stored(tmp_path / "out", [_result("s1")])
    path = stored / "s1" / "results.json"
    data = json.loads(path.read_text())
    data["tests"][0]["output"] = EVIL  # as an older kit may have stored it
    path.write_text(json.dumps(data))
    graded = path.stat().st_mtime_ns
    publish([stored], stored, skip=("console",))
    assert "\\x1b[2J" in path.read_text() and path.stat().st_mtime_ns == graded


def test_every_output_escapes_student_text(tmp_path):
    evil = _result("s1", lost=2, message=EVIL, left_out=[f"{EVIL}.py: a FIFO"])
    evil.notes = [EVIL]  # as if stored raw by another tool
    cohort = Cohort([evil], missing=[EVIL], skipped=[(EVIL, EVIL)], others=[(EVIL, EVIL)])
    out = tmp_path / "out"
    for step in ("students", "gradebook", "report"):
        dict(STEPS)[step](cohort, out)
    stream = io.StringIO()
    console.write(cohort, out, stream)
    texts = {**{k: v.decode() for k, v in _files(out).items()}, "console": stream.getvalue()}
    for name, text in texts.items():
        assert not any(c in text for c in "\x1b\u202e\x9b\x07"), name
    assert "\\x1b[2J" in texts["s1/feedback.md"] and "\\x1b[2J" in texts["report.html"]
    assert "\\x1b[2J" in texts["console"]


def test_the_flags_of_a_result_come_from_its_stored_messages():
    hang = _result("s1", lost=1, message="did not finish within the 10 s limit")
    crash = _result("s2", lost=1, message="crashed: killed by SIGSEGV")
    broken = _result("s3", lost=len(KEYS), message="your package could not be imported: x")
    for result in (hang, crash, broken):
        result = StudentResult.from_json(result.to_json())  # as stored
        sid = result.student_id
        assert (result.timed_out, result.crashed, result.not_loaded) == (
            sid == "s1", sid == "s2", sid == "s3")
    assert hang.tasks_saying(("did not finish",)) == ([KEYS[0][0]],
                                                      "did not finish within the 10 s limit")
    assert [a.kind for a in Cohort([hang, crash, broken]).attention] == [
        "could not be graded", "crashed", "timed out"]
