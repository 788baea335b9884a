"""Findings 2 and 4 in the inspector: a stranger's control characters and impossible token times, on screen.

A real `hookdev serve` records calls planting OSC 52 (the clipboard), OSC 0 (the window title), an 8-bit CSI and a
bidi override in the path, the body and the handler's output, and an unsigned token whose `exp` is 1e20. Then
`hookdev inspect` runs in a pseudo-terminal and every tab of both calls is opened; the bytes it writes are read:
the planted sequences are shown escaped, never written raw, and the 1e20 token ends nothing.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.safety.serving import Serve, http, request
from tests.safety.test_terminal_text import BIDI, CSI_8BIT, HOOKS, OSC_CLIPBOARD, OSC_TITLE, planted_body
from tests.tui.pty_terminal import PtyProcess, hookdev

PLANTED = (OSC_TITLE.encode(), OSC_CLIPBOARD.encode(), CSI_8BIT.encode(), BIDI.encode(), b"\x1b]0;PWNED",
           b"\x1b]52;c;")


def unsigned_token(**claims: object) -> str:
    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'planted'})}.{part(claims)}.{part('not a signature')}"


def test_the_inspector_shows_planted_sequences_escaped_and_survives_a_token_from_the_year_1e20(
        tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text(
        '[auth]\nmode = "oauth"\nenforce = false\n[responses]\nhandler = "hooks.py"\n')
    (tmp_path / "hooks.py").write_text(HOOKS)
    token = unsigned_token(iss="http://127.0.0.1/oauth2/default", aud="api://default", exp=1e20, iat=-1e20,
                           nbf="tomorrow", cid=OSC_TITLE)
    with Serve(tmp_path, []) as serve:
        status, _, _ = http(serve.address, request(
            "POST", "/tokenHook%1B]0;PWNED-TITLE%07%E2%80%AEevil", planted_body(), "Content-Type: application/json",
            f"Authorization: Bearer {token}"))
        assert status == 204  # not enforced: the verdict is recorded, the handler answers
        status, _, _ = http(serve.address, request(
            "POST", "/raw", (OSC_TITLE + OSC_CLIPBOARD + "not json").encode(), "Content-Type: text/plain"))
        assert status == 400
        term = PtyProcess(hookdev("inspect"), cwd=tmp_path, cols=120, rows=200)  # tall: whole bodies on screen
        try:
            term.wait_for(lambda text: "/raw" in text and "evil" in text, "both calls listed")
            shown = term.text()
            assert "/tokenHook\\x1b]0;PWNED-TITLE\\x07\\u202eevil" in shown, "the path, escaped and visible"
            term.send("1")
            term.wait_for("\\x1b]0;PWNED-TITLE\\x07\\x1b]52;c;UFdORUQ=\\x07not json", "the raw body, escaped")
            term.send("k")  # the planted call: its auth failed, so it opens on the Auth tab
            term.wait_for("is not a time a clock can show", "the Auth tab with exp 1e20")
            term.send("z1")  # the tabs on the whole screen, on the Request tab
            term.wait_for('"evil": "\\u001b]52;c;UFdORUQ=\\u0007\\u009b31mRED\\u202eevil"',
                          "the JSON body's value, escaped as JSON escapes it")
            term.send("5")
            term.wait_for("evil field: \\x1b]52;c;UFdORUQ=\\x07\\x9b31mRED\\u202eevil", "the handler's log, escaped")
            term.send("2")
            term.wait_for("is not a time a clock can show", "the Auth tab again")
            term.send("zq")
            assert term.wait(30) == 0, "the inspector was not ended by anything it drew"
            for marker in PLANTED:
                assert marker not in term.raw, f"{marker!r} reached the terminal raw"
        finally:
            term.close()
