"""Student data is data: what the worker sends back is checked for type and size where it
enters the grader (adkit/grade/session.py), read no further than its question can need
(adkit/sandbox/channel.py, session.py) and decoded without long integers or repeated keys.

The worker runs the student's code and can send anything JSON can hold; the handler here
sends such answers on purpose, through a real sandbox.
"""

from __future__ import annotations

import math
import os
import select
import threading

import pytest

from adkit.grade import checks, verdicts
from adkit.grade.session import ERROR_BYTES, Session, checked, unpack_order
from adkit.model import scenarios
from adkit.model.text import escape_controls
from adkit.sandbox import Limits, channel, choose_backend

GRAD = {"kind": "grad", "program": {"inputs": [2.0, 5.0], "ops": []}}
ORDER = {"kind": "order", "program": {"inputs": [2.0], "ops": [{"op": "exp", "args": [0]}]},
         "start": 0, "reverse": False}
FORWARD = {"kind": "forward", "program": {"inputs": [2.0], "ops": [{"op": "exp", "args": [0]}]},
           "roots": [0]}
ESCAPES = "\x1b[2J\x1b[H\x1b]0;title\x07\x9b31m\u202e\r\n## Score: 100\x00"

# What the handler below answers, by the scenario's "lie".
LYING_HANDLER = f"ESCAPES = {ESCAPES!r}\n" + '''
import math

BIG = 10 ** 400 - 1
LIES = {
    "honest": {"grad": [0.5, 2.0]},
    "huge_int": {"grad": [BIG, 1.0]},
    "bool": {"grad": [True, 1.0]},
    "string": {"grad": ["0.5", 1.0]},
    "nested": {"grad": [[0.5], 1.0]},
    "int": {"grad": [1, 1.0]},
    "not_finite": {"grad": [math.nan, math.inf]},
    "escapes": {"error": ESCAPES * 150},
    "error_not_text": {"error": 12},
    "extra_key": {"grad": [0.5, 2.0], "points": 100},
    "padded": {"grad": [0.1234567891] * 200_000},
}


def handle(request):
    import simpleautodiff  # noqa: F401 - as the real handler does
    lies = [s.get("lie") for s in request["scenarios"]]
    if "whole_value_a_list" in lies:
        return [1, 2, 3]
    if "import_error" in lies:
        return {"import_error": ESCAPES * 100}
    return {"results": [LIES[lie] for lie in lies]}
'''


@pytest.fixture(scope="module")
def lying_box(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lying")
    (folder / "student").mkdir()
    (folder / "student" / "simpleautodiff.py").write_text("X = 1\n")
    (folder / "grader").mkdir()
    (folder / "grader" / "lying_handler.py").write_text(LYING_HANDLER)
    backend = choose_backend(trusted=True)
    with backend.open(folder / "student", folder / "grader" / "lying_handler.py", [],
                      Limits(call_seconds=20)) as box:
        yield box


def _session(box) -> Session:
    session = Session("ada", 1, 2, box)
    session.start_test(20.0, "operators")
    return session


def _lying(*lies: str) -> list[dict]:
    return [dict(GRAD, lie=lie) for lie in lies]


def test_every_answer_leaves_the_session_checked(lying_box):
    names = ["honest", "huge_int", "bool", "string", "nested", "int", "not_finite",
             "escapes", "error_not_text", "extra_key"]
    got = dict(zip(names, _session(lying_box).call(_lying(*names)), strict=True))
    assert got["honest"] == {"grad": [0.5, 2.0]}
    assert "grad[0] is <an integer of 400 digits>, not a float" in got["huge_int"]["error"]
    assert "grad[0] is True, not a float" in got["bool"]["error"]
    assert "grad[0] is a string ('0.5'), not a float" in got["string"]["error"]
    assert "grad[0] is a list of length 1, not a float" in got["nested"]["error"]
    assert "grad[0] is an int (1), not a float" in got["int"]["error"]
    assert "unexpected key" in got["extra_key"]["error"]
    assert "did your code change the grader's worker" in got["error_not_text"]["error"]
    # NaN and infinity are floats: judged as wrong numbers, explained, never raised on
    nan, inf = got["not_finite"]["grad"]
    assert math.isnan(nan) and inf == math.inf
    want = {"grad": [0.2, 1.0]}
    assert verdicts.compare_grad(want, got["not_finite"], GRAD) == \
        "∂y/∂x1 from grad(f) should be 0.2 but is nan"
    assert verdicts.compare_grad(want, got["huge_int"], GRAD) == got["huge_int"]["error"]
    # an error the worker sent: capped, every control character escaped, one line
    error = got["escapes"]["error"]
    assert len(error.encode()) <= ERROR_BYTES and escape_controls(error) == error
    assert error.startswith("\\x1b[2J\\x1b[H\\x1b]0;title\\x07\\x9b31m\\u202e\\r\\n## Score")


def test_a_reply_is_read_no_further_than_its_questions_need(lying_box):
    """200,000 numbers of padding (2.6 MB) for two derivatives: the sandbox stops reading
    at the bound of the question, the call fails with a sentence, and the next one works."""
    session = _session(lying_box)
    questions = _lying("padded", "honest")
    most = scenarios.reply_bytes(questions)
    got = session.call(questions)
    assert all("gave an answer larger than" in g["error"] for g in got), got
    # a count of bytes, not a time: the answer frame's cap, plus a fresh worker's ready line
    assert lying_box.reply_read <= most + 1 + len(b'{"ready": true}\n') < 200_000
    session.start_test(20.0, "tape")  # another task: the kind failed in operators only
    assert session.call(_lying("honest")) == [{"grad": [0.5, 2.0]}]
    assert lying_box.reply_read < 2000


def test_a_reply_that_is_no_answer_is_the_students_failure(lying_box):
    """No GraderError for a whole reply of the wrong shape; an import failure's text is
    capped and escaped."""
    session = _session(lying_box)
    got = session.call(_lying("whole_value_a_list", "honest"))
    assert all("did not answer once per check" in g["error"] for g in got)
    got = _session(lying_box).call(_lying("import_error"))
    assert got[0]["error"].startswith("your package could not be imported: \\x1b[2J")
    assert escape_controls(got[0]["error"]) == got[0]["error"]
    assert len(got[0]["error"].encode()) < ERROR_BYTES + 100


# --- decoding a frame ----------------------------------------------------------------------

def test_a_frame_decodes_without_long_integers_repeated_keys_or_deep_nesting():
    frame = channel.decode(b'{"id":"t","ok":true,"value":[1,-2,1.5,NaN,Infinity,-Infinity]}')
    assert frame["value"][:3] == [1, -2, 1.5] and math.isnan(frame["value"][3])
    assert frame["value"][4:] == [math.inf, -math.inf]
    big = channel.decode(b'{"value":[' + b"9" * 400 + b"]}")["value"][0]
    assert type(big) is channel.Unfit and repr(big) == "<an integer of 400 digits>"
    assert channel.decode(b"[" + b"9" * 18 + b"]") == [10**18 - 1]
    assert type(channel.decode(b"[" + b"9" * 19 + b"]")[0]) is channel.Unfit
    assert channel.decode(b'{"id":"t","ok":false,"ok":true}') is None  # a key twice
    assert channel.decode(b"[" * 100_000 + b"]" * 100_000) is None  # too deep
    assert channel.decode(b'{"id":"t"') is None and channel.decode(b"\xff") is None


def test_reading_a_reply_stops_at_its_cap():
    """A writer that never stops: what is read stays within the cap (plus one byte)."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    stop = threading.Event()

    def flood() -> None:
        chunk = b"7," * 32_768
        while not stop.is_set():
            try:
                os.write(write_fd, chunk)
            except OSError:
                return

    writer = threading.Thread(target=flood, daemon=True)
    writer.start()
    buffer = bytearray()
    total = 0
    try:
        for _ in range(200):
            select.select([read_fd], [], [], 5.0)
            read, _ = channel.read_into(read_fd, buffer, 100_000)
            total += read
            if channel.too_long(buffer, 100_000):
                break
        assert channel.too_long(buffer, 100_000)
        assert total == len(buffer) == 100_001
    finally:
        stop.set()
        os.close(read_fd)
        writer.join(5)
        os.close(write_fd)


def test_reading_stops_at_the_end_of_a_line():
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.write(write_fd, b'{"ready":true}\n{"id":"x"}\n')
    buffer = bytearray()
    read, eof = channel.read_into(read_fd, buffer, 1000)
    assert buffer.startswith(b'{"ready":true}\n') and read == len(buffer) and not eof
    assert not channel.too_long(buffer, 15) and channel.too_long(buffer, 13)
    os.close(write_fd)
    os.close(read_fd)


# --- the size of an answer ------------------------------------------------------------------

def test_an_answer_holds_no_more_than_its_question_can_need():
    size = scenarios.graph_size(ORDER)
    most = scenarios.answer_items(ORDER)
    assert scenarios.validate_answer(ORDER, {"order": [0, 1]}) is None
    assert scenarios.validate_answer(ORDER, {"order": [0, 1, 1, 1]}) is None  # an honest bug
    padded = {"order": [0] * (10 * most)}
    assert f"more than the {most:,} items" in scenarios.validate_answer(ORDER, padded)
    assert size == 2
    forward = {"after": [[1.0, 2.0]]}
    assert scenarios.validate_answer(FORWARD, forward) is None
    deep: list = []
    for _ in range(10_000):  # nested far deeper than any answer: counted, not recursed
        deep = [deep, deep]
    assert "more than" in scenarios.validate_answer(FORWARD, {"after": deep})
    build = {"kind": "build", "program": FORWARD["program"]}
    nodes = [{"value": 1.0, "operator": "input", "parents": [], "grads": [], "children": [1]},
             {"value": 2.0, "operator": "exp", "parents": [0], "grads": [2.0], "children": []}]
    others = [{"value": 0.0, "operator": "const", "n_parents": 0}] * 100_000
    assert scenarios.validate_answer(build, {"nodes": nodes, "others": []}) is None
    assert "more than" in scenarios.validate_answer(build, {"nodes": nodes, "others": others})


def test_every_question_bounds_its_reply_by_what_it_needs():
    big = {"kind": "forward", "generate": ["chain", 100_000, 1], "roots": [0]}
    assert scenarios.answer_bytes(big) > 100_003 * 25  # room for an honest big answer
    assert scenarios.answer_bytes(GRAD) < 10_000
    assert scenarios.reply_bytes([GRAD] * 10) < 200_000


def test_a_packed_order_longer_than_its_graph_can_hold_is_damaged():
    import base64
    from array import array

    packed = {"int32": base64.b64encode(array("i", range(5000)).tobytes()).decode()}
    assert unpack_order(packed) == list(range(5000))
    assert unpack_order(packed, most=100) is None
    assert "damaged" in checked(ORDER, {"order": packed})["error"]
    assert unpack_order({"int32": 12}) is None


@pytest.mark.parametrize("got", [10**400, True, "1.0", [1.0], None, channel.Unfit("9" * 30)])
def test_a_number_check_never_raises(got):
    assert checks.close(1.0, got) is False


def test_text_in_a_verdict_is_short_and_escaped():
    build = {"kind": "build", "program": FORWARD["program"]}
    want = {"nodes": [{"value": 2.0, "operator": "input", "parents": [], "grads": [],
                       "children": [1]},
                      {"value": math.exp(2.0), "operator": "exp", "parents": [0],
                       "grads": [math.exp(2.0)], "children": []}], "others": []}
    got = {"nodes": [want["nodes"][0], dict(want["nodes"][1], operator=ESCAPES * 100)],
           "others": []}
    problem = verdicts.compare_build(want, got, ["x1", "y"], build)
    assert problem.startswith("y has operator '\\x1b[2J") and len(problem) < 200
    assert escape_controls(problem) == problem

