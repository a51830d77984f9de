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
