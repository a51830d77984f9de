"""The checks on what a notebook cell run in the sandbox sends back (adkit/platforms/
cell_outputs.py): types, sizes and control characters, a malformed reply fails its cell; and
cell ids the gradebook should not store stop the notebook. In-process; the cells in a real
sandbox: tests/sandbox/test_course_cells.py."""

from __future__ import annotations

import json

import pytest

from adkit.platforms import cell_outputs
from adkit.platforms.cell_outputs import BadReply, checked_outputs, outputs
from tests.helpers.course_notebooks import TEST, notebook_of


def _reply(**fields) -> dict:
    return {"stdout": "", "stderr": "", "result": None, "display": [], "error": None, **fields}


@pytest.mark.slow  # nbformat's validator (jsonschema) takes about 10 s of CPU to load
def test_a_plain_reply_becomes_the_outputs_a_kernel_gives():
    nbformat = pytest.importorskip("nbformat")
    out = outputs(_reply(stdout="hi\n", stderr="warn\n", result="42"), "direct\n", 3)
    assert out == [
        {"output_type": "stream", "name": "stdout", "text": "hi\ndirect\n"},
        {"output_type": "stream", "name": "stderr", "text": "warn\n"},
        {"output_type": "execute_result", "execution_count": 3, "metadata": {},
         "data": {"text/plain": "42"}}]
    for output in out:
        nbformat.validator.validate(nbformat.from_dict(output), ref="output", version=4,
                                    version_minor=5)


def test_an_error_is_kept_with_its_traceback():
    out = outputs(_reply(error={"ename": "AssertionError", "evalue": "no",
                                "traceback": ["line 1", "line 2"]}))
    assert out == [{"output_type": "error", "ename": "AssertionError", "evalue": "no",
                    "traceback": ["line 1", "line 2"]}]


def test_huge_outputs_are_capped():
    huge = "x" * (10 * 1024**2)
    out = outputs(_reply(stdout=huge, stderr=huge, result=huge, display=[huge],
                         error={"ename": huge, "evalue": huge, "traceback": [huge] * 5000}),
                  printed=huge)
    assert len(json.dumps(out)) < 400 * 1024
    stream = out[0]["text"].encode()
    assert len(stream) <= cell_outputs.STREAM_BYTES
    error = out[-1]
    assert len(error["traceback"]) == cell_outputs.TRACEBACK_LINES
    assert len(error["ename"].encode()) <= cell_outputs.NAME_BYTES


def test_control_characters_are_escaped():
    nasty = "\x1b[2J\x1b]0;owned\x07\u202egnp.exe\r\x00"
    out = outputs(_reply(stdout=nasty, result=nasty, display=[nasty],
                         error={"ename": nasty, "evalue": nasty, "traceback": [nasty]}))
    text = json.dumps(out, ensure_ascii=False)
    for bad in ("\x1b", "\x07", "\u202e", "\r", "\x00"):
        assert bad not in text, repr(bad)
    assert "\\x1b[2J" in out[0]["text"]


@pytest.mark.parametrize("reply, why", [
    ("text", "not a dict"),
    ([1, 2], "not a dict"),
    ({"stdout": ""}, "keys"),
    ({**_reply(), "extra": 1}, "keys"),
    (_reply(stdout=5), "stdout is a int"),
    (_reply(stderr=None), "stderr is a NoneType"),
    (_reply(result=["x"]), "the result is a list"),
    (_reply(display="x"), "display"),
    (_reply(display=["x"] * 1000), "display"),
    (_reply(display=[{"image/svg+xml": "<svg/>"}]), "a displayed item is a dict"),
    (_reply(error="boom"), "error"),
    (_reply(error={"ename": "E", "evalue": "v"}), "error"),
    (_reply(error={"ename": 1, "evalue": "v", "traceback": []}), "name is a int"),
    (_reply(error={"ename": "E", "evalue": "v", "traceback": "tb"}), "traceback"),
    (_reply(error={"ename": "E", "evalue": "v", "traceback": [None]}), "traceback line"),
])
def test_a_malformed_reply_fails_the_cell(reply, why):
    with pytest.raises(BadReply, match=why):
        outputs(reply)
    (error,) = checked_outputs(reply)
    assert error["output_type"] == "error" and error["ename"] == "SandboxReplyError"


def test_a_str_subclass_is_not_trusted():
    class Liar(str):
        def __len__(self):
            return 0

    with pytest.raises(BadReply):
        outputs(_reply(stdout=Liar("x")))


@pytest.mark.parametrize("grade_id", ["bad id", "x" * 101, "\x1b[2J", 7])
@pytest.mark.slow  # importing nbgrader (tornado, jupyter_server) takes about 5 s of CPU
def test_a_cell_id_the_gradebook_should_not_store_stops_the_notebook(grade_id):
    pytest.importorskip("nbgrader")
    pytest.importorskip("nbformat")
    from adkit.platforms.sandboxed_cells import check_cell_ids

    nb = notebook_of(("code", "1", {**TEST, "grade_id": grade_id}))
    with pytest.raises(ValueError, match="not graded"):
        check_cell_ids(nb)
    twice = notebook_of(("code", "1", TEST), ("code", "2", TEST))
    with pytest.raises(ValueError, match="used twice"):
        check_cell_ids(twice)
