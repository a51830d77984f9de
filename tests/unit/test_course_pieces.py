"""Issue 21: the notebooks' given code is the reference's, word for word: dropping the
`primitives.` qualifier (one namespace in a notebook) leaves sentences alone."""


from adkit.authoring.course import reference_piece
from tests.helpers import ROOT


def test_a_sentence_ending_in_primitives_keeps_its_last_word():
    piece = reference_piece("@@ primitives.py:mul", "test")
    assert "given in full as a model for the other primitives.\n" in piece
    released = (ROOT / "assignments" / "source" / "autodiff" / "1_graph.ipynb").read_text(
        encoding="utf-8")
    assert "as a model for the other primitives." in released
    assert "as a model for the other \\n" not in released


def test_nbgraders_log_names_why_each_student_was_not_graded():
    """The causes a TA reads in the course report, taken from nbgrader's log: a sandbox
    that failed (on a machine too busy to give a cell its CPU time) is not the student's."""
    from adkit.platforms.course_chores import _failure_causes

    log = ("[AutogradeApp | ERROR] There was an error processing assignment: "
           "submitted/ada/autodiff\nTraceback...\nDeadKernelError: the kernel died: crashed\n"
           "[AutogradeApp | ERROR] There was an error processing assignment: "
           "submitted/bo/autodiff\nTraceback...\nadkit.sandbox.common.SandboxError: the "
           "machine was too busy to grade this call\n"
           "[AutogradeApp | ERROR] There was an error processing assignment: "
           "submitted/cy/autodiff\nValueError: something else\n")
    assert _failure_causes(log) == {
        "ada": "the kernel died",
        "bo": "the sandbox failed (a machine too busy?): grade again",
        "cy": "an error (see the log)"}
