"""safe_text: the one way untrusted text reaches a terminal."""

from __future__ import annotations

import unicodedata

import pytest

from hookdev.io.terminal import is_safe, safe_text


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b]52;c;SGk=\x07", "\\x1b]52;c;SGk=\\x07"),      # OSC 52: write the clipboard
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),          # OSC 0: set the window title
    ("a\x00b\x7fc", "a\\x00b\\x7fc"),                   # NUL and DEL
    ("\u009b31m", "\\x9b31m"),                          # C1 CSI (UTF-8 terminals act on it)
    ("\u0085", "\\x85"),                                # C1 next line
    ("abc\u202edef", "abc\\u202edef"),                  # bidi override
    ("x\u2066y\u2069", "x\\u2066y\\u2069"),             # bidi isolates
    ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
    ("line\u2028sep", "line\\u2028sep"),
    ("tag\U000e0041", "tag\\U000e0041"),
    ("a\nb\tc\rd", "a\\nb\\tc\\rd"),                    # one value stays on one line
    ("José ✓ 日本", "José ✓ 日本"),                       # ordinary text is left alone
])
def test_controls_and_invisible_characters_are_escaped_visibly(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown
    assert is_safe(safe_text(raw))
    assert safe_text(safe_text(raw)) == safe_text(raw)


def test_a_multiline_block_keeps_newlines_and_tabs_but_nothing_else() -> None:
    assert safe_text("a\r\n\tb\x1b[2J\rc", multiline=True) == "a\n\tb\\x1b[2J\\rc"
    assert is_safe("a\n\tb", multiline=True) and not is_safe("a\n\tb")


def test_every_c0_c1_and_format_character_is_caught() -> None:
    # Independent of the table in the module: every code point Unicode calls a control or a format character
    # in the Basic Multilingual Plane (and the tags), except the handful of Arabic and Kaithi number signs that
    # shape visible digits.
    visible_format = {0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2}
    for code in [*range(0x10000), *range(0xE0000, 0xE0080)]:
        char = chr(code)
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp") or (category == "Cf" and code not in visible_format):
            assert not is_safe(char), f"U+{code:04X} ({category}) passes through"
            assert is_safe(safe_text(char))
