"""`hookdev send`, `replay` and `import` from the command line: output, JSON, exit codes."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hookdev.cli import main
from hookdev.io.export import to_har
from hookdev.receiver.store import Store
from tests.conftest import make_exchange


class ThreadedReceiver:
    """A recording receiver on its own loop in a thread, since the command runs its own asyncio loop."""

    def __init__(self) -> None:
        self.status, self.body, self.hang = 204, None, False
        self.released = threading.Event()  # a hanging receiver answers once the test is over
        self.calls: list[dict[str, Any]] = []
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _hook(self, request: web.Request) -> web.Response:
        self.calls.append({"method": request.method, "headers": dict(request.headers), "body": await request.read()})
        if self.hang:
            await asyncio.to_thread(self.released.wait)
        if self.body is None:
            return web.Response(status=self.status)
        return web.json_response(self.body(request) if callable(self.body) else self.body, status=self.status)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._hook)
        self.runner = web.AppRunner(app, handle_signals=False)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        self._ready.set()
        self.loop.run_forever()

    def start(self) -> ThreadedReceiver:
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        self.released.set()
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


@pytest.fixture
def receiver() -> Iterator[ThreadedReceiver]:
    r = ThreadedReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "hookdev.toml"
    path.write_text(
        '[server]\nstore = "data/h.db"\n[auth]\nmode = "header"\nheader = "x-api-key"\nsecret = "k-123456789"\n'
    )
    return path


def test_send_a_sample_prints_status_answer_and_verdict(receiver: ThreadedReceiver, config: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    receiver.status, receiver.body = 200, {"commands": [{"type": "com.okta.access.patch", "value": [
        {"op": "add", "path": "/claims/extra", "value": "x"}]}]}
    code = main(["send", "token", "--to", receiver.url + "/tokenHook", "--config", str(config)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "<- 200 OK" in out and '"com.okta.access.patch"' in out and "Okta would accept" in out
    assert receiver.calls[0]["headers"]["x-api-key"] == "k-123456789"


def test_send_exits_1_when_okta_would_reject_the_answer(receiver: ThreadedReceiver, config: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    receiver.status, receiver.body = 200, {"commands": [{"type": "com.okta.nope", "value": []}]}
    assert main(["send", "token", "--to", receiver.url, "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "problems:" in out and "NO  Okta would not accept" in out


def test_send_timeout_exits_1_with_the_timeout_verdict(receiver: ThreadedReceiver, config: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    receiver.hang = True
    code = main(["send", "telephony-sms", "--to", receiver.url, "--config", str(config), "--timeout", "0.2", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["status"] is None and result["attempts"] == 1
    assert "own rate-limited provider" in result["verdict"]
    assert result["validation"]["timing"]["grade"] == "timeout"


def test_send_json_with_set_edits(receiver: ThreadedReceiver, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["send", "registration-ssr", "--to", receiver.url, "--config", str(config), "--json",
                 "--set", "data.userProfile.email=x@y.com"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["kind"] == "registration" and result["accepted"] is True
    assert json.loads(receiver.calls[0]["body"])["data"]["userProfile"]["email"] == "x@y.com"
    assert all("k-123456789" not in v for _, v in result["request_headers"]), "secrets masked in output"


def test_verify_event_hook(receiver: ThreadedReceiver, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    receiver.status = 200
    receiver.body = lambda request: {"verification": request.headers["X-Okta-Verification-Challenge"]}
    assert main(["send", "--verify-event-hook", "--to", receiver.url + "/userCreated", "--config", str(config)]) == 0
    assert receiver.calls[0]["method"] == "GET" and "event hook is verified" in capsys.readouterr().out


def test_usage_errors_exit_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "--to", "http://127.0.0.1:9", "--config", str(config)]) == 2
    assert main(["send", "token", "--to", "http://127.0.0.1:9", "--config", str(config), "--set", "oops"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_an_unknown_payload_is_a_usage_error(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "no-such-sample", "--to", "http://127.0.0.1:9", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "not a file, a sample name or a stored exchange id" in err and "registration-ssr" in err


@pytest.mark.parametrize("to", ["127.0.0.1:8080/tokenHook", "localhost", "ftp://127.0.0.1/x", "http://", "http://h:x/"])
def test_a_to_that_is_not_an_http_url_is_a_usage_error(to: str, config: Path, receiver: ThreadedReceiver,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "token", "--to", to, "--config", str(config)]) == 2
    assert "--to" in capsys.readouterr().err
    assert main(["replay", "anything", "--to", to, "--config", str(config)]) == 2
    assert receiver.calls == []


def test_a_missing_scheme_gets_a_suggestion(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "token", "--to", "127.0.0.1:8080/tokenHook", "--config", str(config)]) == 2
    assert "did you mean http://127.0.0.1:8080/tokenHook?" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "event_type"), [
    ("registration", "com.okta.user.pre-registration"), ("password_import", "com.okta.user.credential.password.import"),
    ("user-import", "com.okta.import.transform"), ("telephony", "com.okta.telephony.provider"),
])
def test_a_kind_name_sends_its_usual_sample(name: str, event_type: str, receiver: ThreadedReceiver, config: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    main(["send", name, "--to", receiver.url + "/hook", "--config", str(config)])
    assert json.loads(receiver.calls[0]["body"])["eventType"] == event_type


def test_help_lists_the_sample_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["send", "--help"])
    out = capsys.readouterr().out
    for name in ("token", "registration-ssr", "registration-progressive", "telephony-voice", "user-import-match"):
        assert name in out


def test_replay_without_a_serve_exits_1_and_says_so(tmp_path: Path, config: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(tmp_path / "data" / "h.db")
    ex = make_exchange()
    store.add_now(ex)
    store.close()
    assert main(["replay", ex.id, "--config", str(config)]) == 1
    assert "no hookdev serve is running" in capsys.readouterr().err


def test_import_then_replay_to_a_url(receiver: ThreadedReceiver, tmp_path: Path, config: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    ex = make_exchange()
    har = tmp_path / "c.har"
    har.write_text(json.dumps(to_har([ex], redact=True, secret_header=None)))
    assert main(["import", str(har), "--config", str(config)]) == 0
    new_id = capsys.readouterr().out.splitlines()[1].split()[0]
    assert main(["replay", new_id, "--config", str(config), "--to", receiver.url, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    call = receiver.calls[0]
    assert call["body"] == ex.request.body and call["headers"]["X-Hookdev-Replay-Of"] == new_id
    assert "Authorization" not in call["headers"] and result["replay_of"] == new_id
    assert result["url"] == receiver.url + "/tokenHook"
