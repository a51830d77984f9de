"""Each task of a submission is graded in a process of its own, under the trusted backend: a
new task gets a fresh process. (The grader's building blocks: tests/unit/test_grade_checks.py.)"""

_PID_HANDLER = """
import os

def handle(request):
    import simpleautodiff  # noqa: F401 - as the real handler: the student's package
    # as a grad answer (two floats): the session checks every answer against its kind
    return {"results": [{"grad": [float(os.getpid()), float(os.getppid())]}
                        for _ in request["scenarios"]]}
"""
_PID_QUESTION = {"kind": "grad", "program": {"inputs": [0.0, 0.0], "ops": []}}


def test_a_new_task_gets_a_fresh_process(tmp_path):
    """Nothing swapped in or kept during one task survives into the next: each task's calls
    run in a process of their own, forked from the worker after import."""
    from adkit.grade.session import Session
    from adkit.sandbox import Limits, choose_backend

    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "simpleautodiff.py").write_text("X = 1\n")
    (tmp_path / "grader").mkdir()
    handler_file = tmp_path / "grader" / "pid_handler.py"
    handler_file.write_text(_PID_HANDLER)
    backend = choose_backend(trusted=True)
    with backend.open(tmp_path / "student", handler_file, [], Limits(call_seconds=20)) as box:
        session = Session("ada", 1, 2, box)
        assert session.per_task
        worker = box.call({"scenarios": [{}]}).value["results"][0]["grad"][0]  # no task: itself
        seen = []
        for task in ("graph", "graph", "operators", "tape", "tape", "graph"):
            session.start_test(5.0, task)
            (answer,) = session.call([_PID_QUESTION])
            pid, ppid = answer["grad"]
            assert ppid == worker, "forked from the worker"
            seen.append(pid)
        assert seen[0] == seen[1] and seen[3] == seen[4], "one process per task"
        assert len({seen[0], seen[2], seen[3], seen[5]} | {worker}) == 5, "a fresh one each"
