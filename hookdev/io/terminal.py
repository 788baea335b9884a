"""Untrusted text made safe for a terminal: control and invisible format characters shown escaped, never raw.

Everything a call carries (path, headers, body, token claims, what a handler echoed) reaches the screen
through `safe_text`: the CLI's lines and reports, exports written to stdout, and the inspector. A raw ESC
lets a caller write OSC 52 (the clipboard), OSC 0 (the window title) or move the cursor over what the
developer reads; a bidi override or a zero-width character makes text read differently from what it is.
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls; then the invisible format characters that reorder or hide text:
# soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width spaces and joiners, LRM/RLM,
# line and paragraph separators, the bidi embeddings, overrides and isolates, word joiner and invisible
# operators, the byte order mark, interlinear annotation marks, and the tag characters.
_FORMAT = (
    "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\U000e0000-\U000e007f"
)
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMAT}]")
_UNSAFE_BLOCK = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT}]")
"""In a multi-line block (a body, a log), newline and tab keep their meaning."""


_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def safe_text(text: str, *, multiline: bool = False) -> str:
    """`text` with every control and invisible format character written as a visible escape (ESC -> \\x1b).

    With multiline, newline and tab are kept (a CR before a newline is dropped); everywhere else they are
    escaped too, so one value stays on one line.
    """
    if multiline:
        if "\r\n" in text:
            text = text.replace("\r\n", "\n")
        return _UNSAFE_BLOCK.sub(_escape, text)
    return _UNSAFE_LINE.sub(_escape, text)


def is_safe(text: str, *, multiline: bool = False) -> bool:
    """Whether `text` reaches a terminal unchanged by safe_text."""
    return (_UNSAFE_BLOCK if multiline else _UNSAFE_LINE).search(text) is None
