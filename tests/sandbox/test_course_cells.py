"""nbgrader's cells in the kit's sandbox (adkit/platforms/sandboxed_cells.py,
adkit/inside/notebook_cells.py), under each backend that runs here. The checks on what comes
back: tests/unit/test_cell_outputs.py; the whole course: tests/e2e/test_course_e2e.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.course_notebooks import TEST, notebook_of

pytest.importorskip("nbgrader")
nbformat = pytest.importorskip("nbformat")


# --- the checks on a reply: types, sizes, control characters -----------------------------


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


def _run(backend: str, nb, folder: Path, monkeypatch, timeout: float = 60.0):
    if backend == "none":
        pytest.skip("no isolating sandbox runs here")
    from adkit.platforms import sandboxed_cells

    monkeypatch.setenv("ADKIT_SANDBOX", backend)
    monkeypatch.delenv("ADKIT_TRUSTED", raising=False)
    sandboxed_cells.course_backend.cache_clear()
    nbformat.write(nb, folder / "1_graph.ipynb")
    # The kit's own checkout is the container backend's to protect (tests/e2e/test_container.py);
    # here the course folder is what no worker may read.
    execute = sandboxed_cells.SandboxedExecute(timeout=timeout, course_root=str(folder.parent),
                                               kit_secrets=[])
    done, _ = execute.preprocess(nb, {"metadata": {"path": str(folder)}})
    return done


@pytest.mark.parametrize("backend", _backends())
def test_cells_run_one_at_a_time_in_the_sandbox(backend, tmp_path, monkeypatch):
    course = tmp_path / "course"
    folder = course / "autograded" / "alice" / "autodiff"
    folder.mkdir(parents=True)
    os.chmod(tmp_path, 0o700)
    (course / "gradebook.db").write_text("the course's gradebook")
    nb = notebook_of(
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
    nb = notebook_of(("code", "x = 1", {}), ("code", "while True:\n    pass", {}),
                   ("code", "x + 1", {}))
    done = _run(backend, nb, folder, monkeypatch, timeout=3.0)
    assert done.cells[1].outputs[0]["ename"] == "CellTimeoutError"
    assert done.cells[2].outputs[0]["data"]["text/plain"] == "2"  # the earlier cells rerun


@pytest.mark.parametrize("backend", _backends())
def test_a_dead_worker_is_a_dead_kernel(backend, tmp_path, monkeypatch):
    from nbclient.exceptions import DeadKernelError

    folder = tmp_path / "alice"
    folder.mkdir()
    nb = notebook_of(("code", "import os\nos._exit(3)", {}), ("code", "1", {}))
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
        execute.preprocess(notebook_of(("code", "1", {})), {"metadata": {"path": str(folder)}})
    monkeypatch.setenv("ADKIT_TRUSTED", "1")
    sandboxed_cells.course_backend.cache_clear()
    done, _ = execute.preprocess(notebook_of(("code", "1", {})),
                                 {"metadata": {"path": str(folder)}})
    sandboxed_cells.course_backend.cache_clear()
    assert done.metadata["adkit"]["isolating"] is False
    assert "WITHOUT an isolating sandbox" in done.cells[0].source
    assert done.cells[1].outputs[0]["data"]["text/plain"] == "1"
