"""Finding 8: a long path breaks nothing, and no exception text or file path ever goes back to a caller."""

from __future__ import annotations

import json
from pathlib import Path

from hookdev.answers.templates import MAX_SLUG, path_slug
from tests.conftest import SAMPLES
from tests.safety.serving import Serve, http, request, wait_for

TOKEN = (SAMPLES / "token.json").read_bytes()


def post(serve: Serve, path: str, body: bytes = TOKEN) -> tuple[int, bytes]:
    status, _, answer = http(serve.address, request("POST", path, body, "Content-Type: application/json"))
    return status, answer


def test_a_300_character_path_is_answered_and_the_reloader_keeps_working(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n')
    responses = tmp_path / ".hookdev" / "responses"
    with Serve(tmp_path, ["--json"]) as serve:
        assert post(serve, "/" + "a" * 300) == (204, b"")
        assert post(serve, "/" + "%E2%9C%93" * 200) == (204, b"")  # 600 bytes of UTF-8 once decoded
        assert post(serve, "/tokenHook") == (204, b"")
        # The reloader still sees edits to every later file: the kind's template, then a path's override.
        (responses / "token.json").write_text(json.dumps({"status": 200, "body": {"commands": []}}))
        wait_for(lambda: post(serve, "/tokenHook")[1] == b'{"commands": []}', "the edited token template")
        (responses / "paths").mkdir(exist_ok=True)
        (responses / "paths" / "tokenHook.json").write_text(json.dumps({"status": 200, "body": {"error": None}}))
        wait_for(lambda: post(serve, "/tokenHook")[1] == b'{"error": null}', "the path's own template")
        assert post(serve, "/" + "b" * 300)[0] == 200  # the kind's answer, not a failure

        # A broken template: the caller learns that hookdev failed, not where its files are.
        (responses / "token.json").write_text("{ not json")
        status, body = wait_for(lambda: (r := post(serve, "/" + "c" * 300))[0] == 500 and r, "the broken template")
        assert json.loads(body) == {"error": "the answer template for this call cannot be used; the details are "
                                             "in hookdev, with this exchange"}
        assert str(tmp_path).encode() not in body and b"json" not in body.lower()
        stderr = serve.err
    assert b"Traceback" not in stderr and b"File name too long" not in stderr, stderr[-2000:]
    exchanges = [e for e in serve.json_lines() if e.get("event") == "exchange"]
    assert exchanges[-1]["status"] == 500 and "not valid JSON" in exchanges[-1]["error"]  # the detail stays here


def test_a_crashing_handler_tells_the_caller_nothing_of_its_exception(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n[responses]\nhandler = "hooks.py"\n')
    (tmp_path / "hooks.py").write_text(
        "def token(request):\n    raise RuntimeError('db password hunter2 at ' + __file__)\n")
    with Serve(tmp_path, ["--json"]) as serve:
        status, body = post(serve, "/tokenHook")
    assert status == 500
    assert json.loads(body) == {"error": "the hook handler failed; the details are in hookdev, with this exchange"}
    [exchange] = [e for e in serve.json_lines() if e.get("event") == "exchange"]
    assert "hunter2" in exchange["error"]


def test_path_slugs_stay_short_and_distinct() -> None:
    long_a, long_b = "/x" + "a" * 400, "/x" + "a" * 399 + "b"
    assert len(path_slug(long_a)) <= MAX_SLUG and len(path_slug("/" + "✓" * 300)) <= MAX_SLUG
    assert path_slug(long_a) != path_slug(long_b)
    assert path_slug("/hooks/token") == "hooks--token"
