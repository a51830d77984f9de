"""The course policy (adkit/outputs/policy.py, course.py, tables.py; docs/policy.md): due
dates across time zones and DST, grace, per-hour and per-day penalties, caps, extensions,
overrides of a test, a task and the total, and every bad file stopping with its line.

Stored results are made by adkit.cohort.scoring.score: grading is not the point here."""

from __future__ import annotations

from pathlib import Path

import pytest

from adkit.outputs import feedback
from adkit.outputs.course import load_course
from adkit.outputs.gradebook import HEADER, POLICY_HEADER
from adkit.outputs.steps import publish
from adkit.outputs.tables import PolicyError
from tests.helpers.policy import BERLIN, KEYS, RUBRIC, berlin, course, gradebook, stored  # noqa: F401


def finals(tmp_path: Path, times: dict[str, str | None], **policy) -> dict[str, dict[str, str]]:
    out = stored(tmp_path / "out", times)
    publish([out], out, policy_file=berlin(tmp_path / "course", **policy))
    return gradebook(out)


def test_without_a_course_file_the_gradebook_keeps_its_ten_columns(tmp_path, monkeypatch):
    monkeypatch.delenv("ADKIT_COURSE_POLICY", raising=False)
    out = stored(tmp_path / "out", {"s1": "2026-10-20T10:00:00+00:00"})
    publish([out], out, policy_file=None)
    header = (out / "gradebook.csv").read_text().splitlines()[0].split(",")
    assert header == HEADER
    assert sorted(p.name for p in out.iterdir()) == ["gradebook.csv", "report.html", "s1"]


def test_the_policy_columns_follow_the_ten(tmp_path):
    out = stored(tmp_path / "out", {"s1": "2026-10-15T20:00:00+00:00"})
    publish([out], out, policy_file=berlin(tmp_path / "c"))
    header = (out / "gradebook.csv").read_text().splitlines()[0].split(",")
    assert header == HEADER + POLICY_HEADER == HEADER + ["lateness", "penalty", "override",
                                                         "final"]
    assert gradebook(out)["s1"]["final"] == "100"


def test_a_due_date_across_the_change_from_summer_time(tmp_path):
    # Due Saturday 24 Oct 23:59 CEST (+02:00, 21:59 UTC); clocks go back on Sunday 25 Oct.
    # 23:30 CET (+01:00) on Sunday is 24 h 31 min later: the second day has started.
    rows = finals(tmp_path, {"sun": "2026-10-25T23:30:00+01:00",
                             "sat": "2026-10-25T22:30:00+01:00"}, due="2026-10-24 23:59")
    assert rows["sun"]["lateness"] == "24.52" and rows["sun"]["final"] == "80"
    assert rows["sat"]["lateness"] == "23.52" and rows["sat"]["final"] == "90"
    text = (tmp_path / "out" / "sun" / "feedback.md").read_text()
    assert "Handed in 24 h 31 min after the due date (due 2026-10-24 23:59 Europe/Berlin): " \
           "-20% (10% per started day, capped at 30%), -20 points." in text
    assert "**Final grade: 80 / 100**" in text


def test_a_due_date_in_spring_counts_real_hours(tmp_path):
    # Clocks go forward on 29 Mar 2026 at 02:00 in Berlin: 01:00 -> 04:00 is 2 real hours.
    rows = finals(tmp_path, {"s": "2026-03-29T04:00:00+02:00"}, due="2026-03-29 01:00",
                  per="hour", percent=5)
    assert rows["s"]["lateness"] == "2" and rows["s"]["final"] == "90"


def test_times_in_other_zones_are_the_same_moment(tmp_path):
    # Due 23:59 in Berlin = 17:59 in New York (both on summer time on 15 Oct).
    rows = finals(tmp_path, {"ny_early": "2026-10-15T17:30:00-04:00",
                             "ny_late": "2026-10-15T18:30:00-04:00",
                             "utc_late": "2026-10-15T22:00:00Z"})
    assert rows["ny_early"]["lateness"] == "0" and rows["ny_early"]["final"] == "100"
    assert rows["ny_late"]["lateness"] == "0.52" and rows["ny_late"]["final"] == "90"
    assert rows["utc_late"]["final"] == "90"


def test_the_grace_period(tmp_path):
    rows = finals(tmp_path, {"within": "2026-10-16T00:14:00+02:00",
                             "past": "2026-10-16T00:16:00+02:00"}, grace=15)
    assert rows["within"]["penalty"] == "0" and rows["within"]["final"] == "100"
    assert rows["past"]["penalty"] == "10" and rows["past"]["final"] == "90"
    text = (tmp_path / "out" / "within" / "feedback.md").read_text()
    assert "on time" in text and "within the 15 min grace period" in text


@pytest.mark.parametrize(("per", "percent", "final"), [("hour", 5, "85"), ("day", 10, "90")])
def test_per_hour_and_per_day(tmp_path, per, percent, final):
    # 2 h 5 min late: three started hours, one started day.
    rows = finals(tmp_path, {"s": "2026-10-16T02:04:00+02:00"}, per=per, percent=percent)
    assert rows["s"]["final"] == final


def test_the_cap(tmp_path):
    rows = finals(tmp_path, {"s": "2026-10-21T12:00:00+02:00"}, cap=30)
    assert rows["s"]["penalty"] == "30" and rows["s"]["final"] == "70"
    rows = finals(tmp_path / "b", {"s": "2026-10-21T12:00:00+02:00"}, cap=100)
    assert rows["s"]["penalty"] == "60"


def test_extensions_by_new_due_date_and_by_hours(tmp_path):
    rows = finals(tmp_path, {"dated": "2026-10-17T23:00:00+02:00",
                             "hours": "2026-10-17T23:00:00+02:00",
                             "none": "2026-10-17T23:00:00+02:00"},
                  extensions="student,new_due,extra_hours,reason\n"
                             "dated,2026-10-17 23:59,,illness (note of 12 Oct)\n"
                             "hours,,24,travel\n")
    assert rows["dated"]["final"] == "100" and rows["none"]["final"] == "80"
    assert rows["hours"]["final"] == "90"  # due 16 Oct 23:59, 23 h 1 min late
    text = (tmp_path / "out" / "dated" / "feedback.md").read_text()
    assert "on time (extension to 2026-10-17 23:59 Europe/Berlin: illness (note of 12 Oct))" \
        in text
    assert "Handed in 23 h 1 min after the due date (extension to 2026-10-16 23:59 " \
           "Europe/Berlin: travel): -10% (10% per started day, capped at 30%), -10 points." \
        in (tmp_path / "out" / "hours" / "feedback.md").read_text()


def test_overrides_of_a_task_a_test_and_the_total(tmp_path):
    test = next(iter(RUBRIC.tests))  # (task, test name)
    shown = f"{test[0]}: {test[1].removeprefix('test_').replace('_', ' ')}"
    worth = RUBRIC.tests[test].points
    out = stored(tmp_path / "out", {s: "2026-10-15T12:00:00+02:00"
                                    for s in ("task", "test", "total", "plus", "minus")}, lost=1)
    path = berlin(tmp_path / "c", overrides=(
        "student,target,points,adjustment,reason,by\n"
        "task,graph,20,,the grader misread the task,TA Ana\n"
        f"test,{shown},{worth},,regraded by hand,TA Ben\n"
        "total,total,50,,academic misconduct hearing,Prof. Cy\n"
        "plus,total,,+2.5,bonus for a bug report,TA Ana\n"
        "minus,total,,-3,late resubmission,TA Ana\n"))
    publish([out], out, policy_file=path)
    rows = gradebook(out)
    raw = float(rows["task"]["total"])
    assert raw == 100 - worth
    assert float(rows["task"]["final"]) == 100 and float(rows["task"]["override"]) == worth
    assert float(rows["test"]["final"]) == 100
    assert rows["total"]["final"] == "50" and float(rows["total"]["override"]) == 50 - raw
    assert float(rows["plus"]["final"]) == raw + 2.5
    assert float(rows["minus"]["final"]) == raw - 3
    text = (out / "task" / "feedback.md").read_text()
    assert f"Override of graph: set to 20 (was {20 - worth:g}) by TA Ana: the grader " \
           "misread the task" in text
    assert "by Prof. Cy: academic misconduct hearing" in (out / "total" / "feedback.md"
                                                         ).read_text()


def test_a_test_override_may_name_the_test_function(tmp_path):
    task, name = next(iter(RUBRIC.tests))
    out = stored(tmp_path / "out", {"s": None}, lost=1)
    path = course(tmp_path / "c", "", overrides="student,target,points,reason,by\n"
                  f"s,{task}: {name},{RUBRIC.tests[(task, name)].points},regrade,TA\n")
    publish([out], out, policy_file=path)
    assert gradebook(out)["s"]["final"] == "100"


def test_the_late_penalty_is_taken_from_the_corrected_score(tmp_path):
    out = stored(tmp_path / "out", {"s": "2026-10-16T10:00:00+02:00"}, lost=1)
    path = berlin(tmp_path / "c", overrides="student,target,points,adjustment,reason,by\n"
                  "s,graph,20,,regrade,TA\n")
    publish([out], out, policy_file=path)
    row = gradebook(out)["s"]
    assert row["penalty"] == "10" and row["final"] == "90"


def _error(tmp_path: Path, **policy) -> str:
    out = stored(tmp_path / "out", {"smithjohn_12345": "2026-10-15T12:00:00+02:00",
                                    "doejane_555": "2026-10-15T12:00:00+02:00"})
    path = berlin(tmp_path / "c", **policy)
    cohort = publish([out], out, policy_file=path)
    assert cohort.policy_problem
    assert gradebook(out)["doejane_555"].keys() == set(HEADER)  # made without the policy
    return cohort.policy_problem


def test_an_unknown_student_in_a_csv_is_named_with_a_close_match(tmp_path):
    said = _error(tmp_path, overrides="student,target,points,reason,by\n"
                  "smithjohn_12345,graph,20,ok,TA\nsmithjon_12345,graph,20,ok,TA\n")
    assert said.endswith("overrides.csv:3: no student 'smithjon_12345' in this cohort (did "
                         "you mean smithjohn_12345?); write the id as in gradebook.csv's "
                         "first column")
    said = _error(tmp_path / "b", extensions="student,extra_hours,reason\nnobody,5,x\n")
    assert "extensions.csv:2: no student 'nobody'" in said


@pytest.mark.parametrize(("policy", "said"), [
    ({"submission_times": "student,submitted_at\nsmithjohn_12345,2026-10-15 23:00\n"},
     "submission_times.csv:2: '2026-10-15 23:00' is not a time with its UTC offset; write "
     "e.g. 2026-10-15T23:59:00+02:00"),
    ({"submission_times": "student,submitted_at\nsmithjohn_12345,yesterday\n"},
     "submission_times.csv:2: 'yesterday' is not a time with its UTC offset"),
    ({"extensions": "student,new_due,reason\nsmithjohn_12345,17.10.2026,ill\n"},
     "extensions.csv:2: '17.10.2026' is not a date and time; write e.g. 2026-10-15 23:59"),
    ({"extensions": "student,new_due,extra_hours,reason\nsmithjohn_12345,2026-10-17 10:00,"
                    "5,ill\n"}, "extensions.csv:2: write either new_due"),
    ({"extensions": "student,new_due,reason\nsmithjohn_12345,2026-02-30 10:00,ill\n"},
     "extensions.csv:2: '2026-02-30 10:00' is not a real date"),
    ({"due": "2026-03-29 02:30"}, "2026-03-29 02:30 does not exist in Europe/Berlin"),
    ({"due": "2026-10-25 02:30"}, "2026-10-25 02:30 happens twice in Europe/Berlin"),
    ({"due": "15 Oct 2026"}, "policy.toml:2: '15 Oct 2026' is not a date and time"),
    ({"per": "week"}, "policy.toml:7: per = 'week'; write per = \"day\" or per = \"hour\""),
    ({"overrides": "student,target,points,reason,by\nsmithjohn_12345,graf,20,x,TA\n"},
     "overrides.csv:2: no task or test 'graf' (did you mean graph?)"),
    ({"overrides": "student,target,points,reason,by\nsmithjohn_12345,graph,25,x,TA\n"},
     "overrides.csv:2: smithjohn_12345's graph would be 25, outside 0 to 20"),
    ({"overrides": "student,target,points,reason,by\nsmithjohn_12345,graph,20,,TA\n"},
     "overrides.csv:2: no reason; every row says its reason"),
    ({"overrides": "student,target,pionts,reason,by\n"},
     "overrides.csv:1: unknown column 'pionts' (did you mean points?)"),
    ({"overrides": "student,target,points,reason,by\nsmithjohn_12345,graph,20,x\n"},
     "overrides.csv:2: 4 cells, the header has 5"),
])
def test_a_bad_file_stops_with_its_line_and_what_to_write(tmp_path, policy, said):
    assert said in _error(tmp_path, **policy)


def test_the_course_file_is_checked_key_by_key(tmp_path):
    for text, said in [
        ('[due]\ndate = "2026-10-15 23:59"\ntimezone = "Europe/Berln"\n',
         "policy.toml:3: unknown time zone 'Europe/Berln' (did you mean Europe/Berlin?)"),
        ('[due]\ndate = "2026-10-15 23:59"\ntimezone = "EST"\n', "unknown time zone 'EST'"),
        ('[due]\ndate = "2026-10-15 23:59"\ntimezone = "UTC"\ngrace = 5\n',
         "policy.toml:4: unknown key grace in [due] (did you mean grace_minutes?)"),
        ('[lates]\npenalty_percent = 1\n', "policy.toml:1: unknown table [lates] (did you "
                                           "mean late?)"),
        ('[late]\npenalty_percent = 10\nper = "day"\n', "[late] needs a due date"),
        ('[due]\ndate = 2026-10-15T23:59:00\ntimezone = "UTC"\n',
         "policy.toml:2: [due] date must be a quoted text"),
        ('[due\n', "not valid TOML"),
    ]:
        path = tmp_path / "policy.toml"
        path.write_text(text)
        with pytest.raises(PolicyError) as caught:
            load_course(path)
        assert said in str(caught.value), text


def test_an_unknown_submission_time_is_said_not_guessed(tmp_path, capsys):
    rows = finals(tmp_path, {"known": "2026-10-17T10:00:00+02:00", "unknown": None})
    assert rows["unknown"]["lateness"] == "" and rows["unknown"]["final"] == "100"
    assert "no submission time for 1 student(s) (unknown)" in capsys.readouterr().err
    assert "not known to the grader: no late penalty applied" in \
        (tmp_path / "out" / "unknown" / "feedback.md").read_text()


def test_the_submission_times_csv_wins_over_the_lms(tmp_path):
    rows = finals(tmp_path, {"s": "2026-10-15T10:00:00+02:00"},
                  submission_times="student,submitted_at\ns,2026-10-17T10:00:00+02:00\n")
    assert rows["s"]["final"] == "80"


def test_a_policy_change_needs_no_regrade(tmp_path):
    out = stored(tmp_path / "out", {"s": "2026-10-16T10:00:00+02:00"})
    before = (out / "s" / "results.json").read_bytes()
    publish([out], out, policy_file=berlin(tmp_path / "c", percent=10))
    assert gradebook(out)["s"]["final"] == "90"
    publish([out], out, policy_file=berlin(tmp_path / "c", percent=25))
    assert gradebook(out)["s"]["final"] == "75"
    assert (out / "s" / "results.json").read_bytes() == before  # raw scores as graded


def test_make_grades_applies_the_policy(tmp_path):
    import subprocess
    import sys

    out = stored(tmp_path / "out", {"s": "2026-10-16T10:00:00+02:00"})
    path = berlin(tmp_path / "c")
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(["make", "--no-print-directory", "grades", f"OUT={out}",
                          f"POLICY={path}", f"PY={sys.executable}"], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert gradebook(out)["s"]["final"] == "90"
    (tmp_path / "c" / "policy.toml").write_text('[due]\ndate = "soon"\ntimezone = "UTC"\n')
    run = subprocess.run([sys.executable, "-m", "adkit.outputs", str(out), "--policy",
                          str(path)], cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "policy.toml:2: 'soon' is not a date and time" in run.stderr
    assert "Traceback" not in run.stderr


def test_an_extension_before_the_due_date_is_refused(tmp_path):
    said = _error(tmp_path, extensions="student,new_due,reason\n"
                                       "smithjohn_12345,2026-09-17 23:59,ill\n")
    assert "extensions.csv:2: new_due 2026-09-17 23:59 is not after the course's due date " \
           "(2026-10-15 23:59 Europe/Berlin)" in said


def test_an_lms_late_mark_the_policy_disagrees_with_is_said(tmp_path, capsys):
    out = stored(tmp_path / "out", {"s": "2026-10-15T20:00:00+02:00"})
    from adkit.outputs.result import read_result

    result = read_result(out / "s" / "results.json")
    result.marked_late = True
    feedback.write_student(out, result)
    publish([out], out, policy_file=berlin(tmp_path / "c"))
    assert "the LMS marked 1 student(s) late whom the course file finds on time (s)" in \
        capsys.readouterr().err


def test_override_texts_are_escaped_and_the_report_shows_the_policy(tmp_path):
    out = stored(tmp_path / "out", {"s": "2026-10-16T10:00:00+02:00"})
    path = berlin(tmp_path / "c", overrides="student,target,adjustment,reason,by\n"
                  "s,total,+1,\x1b[2Jfixed\u202e,<b>TA</b>\n")
    publish([out], out, policy_file=path)
    text = (out / "s" / "feedback.md").read_text()
    assert "by <b>TA</b>: \\x1b[2Jfixed\\u202e" in text and "\x1b" not in text
    report = (out / "report.html").read_text()
    assert "<th>hours late</th><th>penalty</th><th>override</th><th>final</th>" in report
    assert '<td data-v="91">91</td></tr>' in report


def test_a_refused_course_file_fails_the_run_after_grading(tmp_path):
    """Every student keeps their stored grade, but the exit status says the policy's grades
    and LMS files were not written (a TA must not import a gradebook without them)."""
    from adkit.outputs import console

    out = stored(tmp_path / "out", {"s1": "2026-10-15T20:00:00+00:00"})
    good = publish([out], out, policy_file=berlin(tmp_path / "good"))
    assert good.policy_problem is None and console.exit_status(good) == 0
    bad = course(tmp_path / "bad", '[due]\ndate = "2026-10-15 23:59"\ntimezone = "EST"\n')
    refused = publish([out], out, policy_file=bad)
    assert refused.policy_problem and console.exit_status(refused) == 1
    assert (out / "s1" / "results.json").is_file()
