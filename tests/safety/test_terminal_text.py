"""Finding 2: control characters from a call never reach the terminal raw, in any output of the CLI.

A stranger plants OSC 52 (write the clipboard), OSC 0 (set the window title), an 8-bit CSI and a bidi
override in a path, a header, a JSON body, a non-JSON body and a handler's printed output; every output that
shows them (serve --headless lines and notices, list, show, import, exports to stdout) is read as raw bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SAMPLES
from tests.safety.serving import Serve, assert_terminal_safe, hookdev, http, request, wait_for

OSC_TITLE = "\x1b]0;PWNED-TITLE\x07"
OSC_CLIPBOARD = "\x1b]52;c;UFdORUQ=\x07"
CSI_8BIT = "\u009b31mRED"
BIDI = "\u202eevil"
HOOKS = '''
def token(request):
    print("evil field:", request.get("data.evil"))
    return None
'''


def planted_body() -> bytes:
    body = json.loads((SAMPLES / "token.json").read_text())
    body["data"]["evil"] = OSC_CLIPBOARD + CSI_8BIT + BIDI
    return json.dumps(body, ensure_ascii=False).encode()


def test_no_output_of_the_cli_writes_a_planted_control_sequence_raw(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n[responses]\nhandler = "hooks.py"\n')
    (tmp_path / "hooks.py").write_text(HOOKS)
    path = "/tokenHook%1B]0;PWNED-TITLE%07%E2%80%AEevil"
    with Serve(tmp_path, []) as serve:
        status, headers, _ = http(serve.address, request(
            "POST", path, planted_body(), "Content-Type: application/json",
            "X-Evil: " + CSI_8BIT + BIDI, "X-Hookdev-Replay-Of: \u202e" + "0123456789abc"))
        assert status == 204
        token_id = headers["x-hookdev-exchange"]
        status, headers, _ = http(serve.address, request(
            "POST", "/raw", (OSC_TITLE + OSC_CLIPBOARD + "not json").encode(), "Content-Type: text/plain"))
        assert status == 400
        raw_id = headers["x-hookdev-exchange"]
        wait_for(lambda: raw_id.encode() in serve.out, "the headless line of the second call")
        headless = serve.out
        # Visible, escaped: the developer sees what was sent, the terminal does not act on it.
        assert b"/tokenHook\\x1b]0;PWNED-TITLE\\x07\\u202eevil" in headless
    assert_terminal_safe(headless, "serve --headless")
    assert_terminal_safe(serve.err, "serve's notices")

    outputs = {
        "list": hookdev(tmp_path, "list"),
        "list --json": hookdev(tmp_path, "list", "--json"),
        "show (JSON body, handler log)": hookdev(tmp_path, "show", token_id),
        "show (raw body)": hookdev(tmp_path, "show", raw_id),
        "show --json": hookdev(tmp_path, "show", raw_id, "--json"),
        "export curl": hookdev(tmp_path, "export", "--format", "curl"),
        "export har": hookdev(tmp_path, "export", "--format", "har"),
        "export payload": hookdev(tmp_path, "export", token_id, "--format", "payload"),
    }
    for what, done in outputs.items():
        assert done.returncode == 0, (what, done.stderr)
        assert_terminal_safe(done.stdout, what)
        assert_terminal_safe(done.stderr, what)
    shown = outputs["show (JSON body, handler log)"].stdout
    assert b"evil field: \\x1b]52;c;UFdORUQ=\\x07\\x9b31mRED\\u202eevil" in shown  # the handler's log, escaped
    assert b"X-Evil: \\x9b31mRED\\u202eevil" in shown
    assert b"\\x1b]0;PWNED-TITLE\\x07\\x1b]52;c;UFdORUQ=\\x07not json" in outputs["show (raw body)"].stdout

    # import: a HAR file carrying the same markers in its URL.
    har = json.loads(outputs["export har"].stdout)
    for entry in har["log"]["entries"]:
        entry["request"]["url"] = "http://h/imported%1B]0;PWNED-TITLE%07" + "%E2%80%AE"
    (tmp_path / "planted.har").write_text(json.dumps(har))
    imported = hookdev(tmp_path, "import", "planted.har", "--store", str(tmp_path / "other.db"))
    assert imported.returncode == 0, imported.stderr
    assert b"/imported\\x1b]0;PWNED-TITLE\\x07\\u202e" in imported.stdout
    assert_terminal_safe(imported.stdout, "import")


def test_validate_quotes_an_answer_s_values_escaped(tmp_path: Path) -> None:
    # An answer copied from a captured call (or a forwarded service's) carries whatever the call carried.
    answer = {"commands": [{"type": "com.okta." + OSC_TITLE + CSI_8BIT,
                            "value": [{"op": "add", "path": "/claims/" + OSC_CLIPBOARD, "value": BIDI}]}]}
    (tmp_path / "answer.json").write_text(json.dumps(answer, ensure_ascii=False))
    done = hookdev(tmp_path, "validate", "answer.json", "--kind", "token")
    assert done.returncode == 1  # not a token command: a problem, quoting the value
    assert b"com.okta.\\x1b]0;PWNED-TITLE\\x07\\x9b31mRED is not a token command" in done.stdout
    assert_terminal_safe(done.stdout, "validate")
