"""nbgrader's cells in the kit's sandbox (adkit/platforms/sandboxed_cells.py,
adkit/inside/notebook_cells.py) and the checks on what comes back
(adkit/platforms/cell_outputs.py). The whole course runs in tests/test_course_e2e.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from adkit.platforms import cell_outputs
from adkit.platforms.cell_outputs import BadReply, checked_outputs, outputs

pytest.importorskip("nbgrader")
nbformat = pytest.importorskip("nbformat")


def _reply(**fields) -> dict:
    return {"stdout": "", "stderr": "", "result": None, "display": [], "error": None, **fields}


# --- the checks on a reply: types, sizes, control characters -----------------------------

def test_a_plain_reply_becomes_the_outputs_a_kernel_gives():
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


# --- cells run in a real sandbox ----------------------------------------------------------

def _backends() -> list[str]:
    from adkit.sandbox.choose import backend_named

    found = []
    for name in ("bubblewrap", "container"):
        try:
            backend_named(name)
        except Exception:  # noqa: BLE001 - not on this machine
            continue
        found.append(name)
    return found or ["none"]


def _notebook(*cells: tuple[str, str, dict]) -> dict:
    nb = nbformat.v4.new_notebook()
    for kind, source, grading in cells:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        cell = make(source)
        if grading:
            cell.metadata["nbgrader"] = grading
        nb.cells.append(cell)
    return nb


def _run(backend: str, nb, folder: Path, monkeypatch, timeout: float = 60.0):
    if backend == "none":
        pytest.skip("no isolating sandbox runs here")
    from adkit.platforms import sandboxed_cells

    monkeypatch.setenv("ADKIT_SANDBOX", backend)
    monkeypatch.delenv("ADKIT_TRUSTED", raising=False)
    sandboxed_cells.course_backend.cache_clear()
    nbformat.write(nb, folder / "1_graph.ipynb")
    # The kit's own checkout is the container backend's to protect (tests/test_container.py);
    # here the course folder is what no worker may read.
    execute = sandboxed_cells.SandboxedExecute(timeout=timeout, course_root=str(folder.parent),
                                               kit_secrets=[])
    done, _ = execute.preprocess(nb, {"metadata": {"path": str(folder)}})
    return done


TEST = {"grade": True, "solution": False, "grade_id": "test_secret", "points": 1}


@pytest.mark.parametrize("backend", _backends())
def test_cells_run_one_at_a_time_in_the_sandbox(backend, tmp_path, monkeypatch):
    course = tmp_path / "course"
    folder = course / "autograded" / "alice" / "autodiff"
    folder.mkdir(parents=True)
    os.chmod(tmp_path, 0o700)
    (course / "gradebook.db").write_text("the course's gradebook")
    nb = _notebook(
        ("code", "from __future__ import annotations\nx = 41\nprint('hello')", {}),
        ("markdown", "text", {}),
        ("code", "import glob\nseen = ''.join(open(p).read() for p in glob.glob('*'))\n"
                 "print('HID' + 'DEN' in seen, 'the course' + \"'s\" in seen)\n"
                 "!echo shell says $((6*7))\n"
                 "x + 1", {}),
        ("code", "def f() -> Undefined: pass\nf.__annotations__", {}),
        ("code", f"import os\nos.listdir({str(course)!r})", {}),
        ("code", "import socket\nsocket.socket()", {}),
        ("code", "raise SystemExit('stop')", {}),
        ("code", "assert x == 41  # HIDDEN\nprint('\\x1b[2J')", TEST),
    )
    done = _run(backend, nb, folder, monkeypatch)
    code = [c for c in done.cells if c.cell_type == "code"]
    assert code[0].outputs[0]["text"] == "hello\n"
    texts = "".join(o.get("text", "") for o in code[1].outputs)
    assert "False False" in texts, texts  # no later cell, no course file staged
    assert "shell says 42" in texts, texts  # `!` ran, inside the sandbox
    assert code[1].outputs[-1]["data"]["text/plain"] == "42"
    assert code[2].outputs[-1]["data"]["text/plain"] == "{'return': 'Undefined'}"
    for cell, ename in ((code[3], ("FileNotFoundError", "PermissionError")),
                        (code[4], ("PermissionError", "OSError")),
                        (code[5], ("SystemExit",))):
        assert cell.outputs[-1]["output_type"] == "error", cell.outputs
        assert cell.outputs[-1]["ename"] in ename, cell.outputs
    assert code[6].outputs == [{"output_type": "stream", "name": "stdout",
                                "text": "\\x1b[2J\n"}]
    assert done.metadata["adkit"] == {"sandbox": backend, "isolating": True}
    assert (course / "gradebook.db").read_text() == "the course's gradebook"


@pytest.mark.parametrize("backend", _backends())
def test_a_cell_out_of_time_fails_alone(backend, tmp_path, monkeypatch):
    folder = tmp_path / "alice"
    folder.mkdir()
    nb = _notebook(("code", "x = 1", {}), ("code", "while True:\n    pass", {}),
                   ("code", "x + 1", {}))
    done = _run(backend, nb, folder, monkeypatch, timeout=3.0)
    assert done.cells[1].outputs[0]["ename"] == "CellTimeoutError"
    assert done.cells[2].outputs[0]["data"]["text/plain"] == "2"  # the earlier cells rerun


@pytest.mark.parametrize("backend", _backends())
def test_a_dead_worker_is_a_dead_kernel(backend, tmp_path, monkeypatch):
    from nbclient.exceptions import DeadKernelError

    folder = tmp_path / "alice"
    folder.mkdir()
    nb = _notebook(("code", "import os\nos._exit(3)", {}), ("code", "1", {}))
    with pytest.raises(DeadKernelError, match="kernel died"):
        _run(backend, nb, folder, monkeypatch)


def test_no_sandbox_no_grading_unless_trusted(tmp_path, monkeypatch):
    from adkit.platforms import sandboxed_cells
    from adkit.sandbox import SandboxUnavailable

    monkeypatch.setenv("ADKIT_SANDBOX", "trusted")
    monkeypatch.delenv("ADKIT_TRUSTED", raising=False)
    sandboxed_cells.course_backend.cache_clear()
    folder = tmp_path / "alice"
    folder.mkdir()
    execute = sandboxed_cells.SandboxedExecute(timeout=30.0)
    with pytest.raises(SandboxUnavailable, match="TRUSTED=1"):
        execute.preprocess(_notebook(("code", "1", {})), {"metadata": {"path": str(folder)}})
    monkeypatch.setenv("ADKIT_TRUSTED", "1")
    sandboxed_cells.course_backend.cache_clear()
    done, _ = execute.preprocess(_notebook(("code", "1", {})),
                                 {"metadata": {"path": str(folder)}})
    sandboxed_cells.course_backend.cache_clear()
    assert done.metadata["adkit"]["isolating"] is False
    assert "WITHOUT an isolating sandbox" in done.cells[0].source
    assert done.cells[1].outputs[0]["data"]["text/plain"] == "1"


@pytest.mark.parametrize("grade_id", ["bad id", "x" * 101, "\x1b[2J", 7])
def test_a_cell_id_the_gradebook_should_not_store_stops_the_notebook(grade_id):
    from adkit.platforms.sandboxed_cells import check_cell_ids

    nb = _notebook(("code", "1", {**TEST, "grade_id": grade_id}))
    with pytest.raises(ValueError, match="not graded"):
        check_cell_ids(nb)
    twice = _notebook(("code", "1", TEST), ("code", "2", TEST))
    with pytest.raises(ValueError, match="used twice"):
        check_cell_ids(twice)
