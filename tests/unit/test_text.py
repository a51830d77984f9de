"""adkit.model.text: control characters escaped, caps that never split a character."""

from adkit.model.text import cap, escape_controls, shown


def test_terminal_escapes_and_bidi_overrides_are_written_out():
    hostile = "\x1b[2J\x1b[8m hidden \u202egnp.exe\x9b1;1H\x00"
    out = escape_controls(hostile)
    assert "\x1b" not in out and "\u202e" not in out and "\x9b" not in out and "\x00" not in out
    assert out == "\\x1b[2J\\x1b[8m hidden \\u202egnp.exe\\x9b1;1H\\x00"


def test_newline_and_tab_kept_unless_one_line():
    assert escape_controls("a\tb\nc") == "a\tb\nc"
    assert escape_controls("a\tb\nc\r", keep_newlines=False) == "a\\tb\\nc\\r"


def test_str_subclass_is_copied_and_non_str_named():
    class Liar(str):
        def __str__(self):
            return "\x1b[2J"

    assert escape_controls(Liar("ok")) == "ok"
    assert escape_controls(b"\x1b") == "<bytes>"


def test_cap_counts_bytes_and_never_splits_a_character():
    assert cap("é" * 10, 7) == "éé..."
    assert cap("short", 100) == "short"
    assert cap("x" * 20, 10, note=True) == "x" * 10 + "\n[... 10 more bytes cut]"


def test_shown_caps_then_escapes():
    assert shown("\x1b" * 100, most=10) == "\\x1b" * 7 + "..."
    assert shown("line\nnext", one_line=True) == "line\\nnext"
