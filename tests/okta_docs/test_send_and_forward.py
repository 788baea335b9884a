"""`send` and forward mode against Okta's guide service (express_sample.py): items 1, 2, 3 and 6 of what a real
Okta does, each with the doc or spec schema it comes from."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web

from hookdev.cli import main
from hookdev.errors import ConfigError
from hookdev.io.render import show_report, summary_line
from hookdev.models import Exchange
from hookdev.receiver.session import Session
from hookdev.send.payloads import from_file, verification
from hookdev.send.sender import send
from tests.conftest import SAMPLES, make_settings
from tests.okta_docs.express_sample import GUIDE_CREDENTIAL, ExpressSample

GUIDE_AUTH = {"mode": "basic", "username": "admin", "password": "supersecret"}


@pytest.fixture
async def guide(aiohttp_server: Any) -> tuple[ExpressSample, str]:
    sample = ExpressSample()
    server = await aiohttp_server(sample.app())
    return sample, str(server.make_url("/userCreated"))


@contextmanager
def in_a_thread(app: web.Application) -> Iterator[str]:
    """The app on its own loop in a thread, for commands that run their own asyncio loop; yields its base URL."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, handle_signals=False)
    ready = threading.Event()
    base: list[str] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        base.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10), "the test server did not start"
    try:
        yield base[0]
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# --- Item 1: Express's sendStatus(200) is an answer Okta accepts -----------------------------------------------
async def test_send_accepts_the_guides_sendstatus_answer_with_a_warning(guide: tuple[ExpressSample, str],
                                                                       tmp_path: Path) -> None:
    sample, url = guide
    result = await send(from_file(SAMPLES / "event.json"), url, make_settings(tmp_path, auth=GUIDE_AUTH))
    assert result.status == 200 and result.response is not None and result.response.body == b"OK"
    assert result.accepted and result.validation is not None and result.validation.problems == ()
    (warning,) = result.validation.warnings
    assert warning.path == "$" and "empty body" in warning.message
    assert result.verdict == "Okta would accept this 200 answer: the delivery counts as done (1 warning)."


def test_the_send_command_exits_0_and_prints_the_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "hookdev.toml"
    config.write_text('[auth]\nmode = "basic"\nusername = "admin"\npassword = "supersecret"\n')
    with in_a_thread(ExpressSample().app()) as base:
        code = main(["send", "event", "--to", base + "/userCreated", "--config", str(config)])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "warnings (Okta accepts the answer, but check these):\n  - $: an event hook answer" in out
        assert "problems:" not in out and "OK  Okta would accept this 200 answer" in out
        assert main(["send", "event", "--to", base + "/userCreated", "--config", str(config), "--json"]) == 0
        as_json = json.loads(capsys.readouterr().out)
    assert as_json["accepted"] is True and as_json["validation"]["ok"] is True
    assert len(as_json["validation"]["warnings"]) == 1 and as_json["validation"]["problems"] == []


def test_validate_exits_0_with_warnings_on_their_own_lines(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # OpenAPI example UserImportMatchExample: the linked id is 00garwpuyxHaWOkdV0g3.
    answer = tmp_path / "match.json"
    answer.write_text(json.dumps({"commands": [
        {"type": "com.okta.action.update", "value": {"result": "LINK_USER"}},
        {"type": "com.okta.user.update", "value": {"id": "00garwpuyxHaWOkdV0g3"}}]}))
    assert main(["validate", str(answer), "--kind", "user_import"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("warning: $.commands[1].value.id: '00garwpuyxHaWOkdV0g3' does not look like")
    assert lines[1] == "valid: Okta accepts this user_import answer (1 warning above)"
    assert main(["validate", str(answer), "--kind", "user_import", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["problems"] == [] and out["warnings"][0].startswith("$.commands[1].value.id: ")


# --- Item 2: forward mode relays the verification GET ----------------------------------------------------------
# developer.okta.com/docs/concepts/event-hooks/, "One-time verification request": the service reads the
# x-okta-verification-challenge header and answers {"verification": value}. In forward mode that is the user's code.
@pytest.fixture
async def forwarding(guide: tuple[ExpressSample, str], tmp_path: Path) -> AsyncIterator[tuple[ExpressSample, Session]]:
    """A serve in forward mode in front of the guide's service."""
    sample, url = guide
    session = Session(make_settings(tmp_path, auth=GUIDE_AUTH, responses={"forward": url.removesuffix("/userCreated")}))
    await session.start()
    try:
        yield sample, session
    finally:
        await session.stop()


async def recorded(session: Session, exchange_id: str | None) -> Exchange:
    assert session.store is not None and exchange_id is not None
    ex = await asyncio.to_thread(session.store.get, exchange_id)
    assert ex is not None
    return ex


async def test_forward_mode_relays_the_verification_get_and_validates_the_answer(
    forwarding: tuple[ExpressSample, Session],
) -> None:
    sample, session = forwarding
    headers = {"x-okta-verification-challenge": "Zq3yA7bXq0Vd2m8t", "Authorization": GUIDE_CREDENTIAL}
    async with aiohttp.ClientSession() as http, http.get(session.local_url + "/userCreated", headers=headers) as resp:
        assert resp.status == 200 and await resp.json() == {"verification": "Zq3yA7bXq0Vd2m8t"}
        ex = await recorded(session, resp.headers["X-Hookdev-Exchange"])
    (call,) = sample.calls
    assert call["method"] == "GET" and call["headers"]["x-okta-verification-challenge"] == "Zq3yA7bXq0Vd2m8t"
    assert call["headers"]["Authorization"] == GUIDE_CREDENTIAL and call["body"] == b""
    assert ex.kind == "event_verification" and ex.source == "forward"
    assert ex.validation.ok and ex.validation.problems == ()


async def test_a_wrong_echo_from_the_service_is_recorded_as_invalid(forwarding: tuple[ExpressSample, Session]) -> None:
    sample, session = forwarding
    sample.echo = False
    result = await send(verification("Zq3yA7bXq0Vd2m8t"), session.local_url + "/userCreated", session.settings)
    assert not result.accepted and result.response is not None
    assert json.loads(result.response.body) == {"verification": "not-the-challenge"}
    ex = await recorded(session, result.exchange_id)
    assert not ex.validation.ok and [p.path for p in ex.validation.problems] == ["$.verification"]
    assert "not the challenge Okta sent" in ex.validation.problems[0].message


async def test_the_guides_event_answer_is_stored_and_shown_as_valid_with_a_warning(
    forwarding: tuple[ExpressSample, Session],
) -> None:
    _, session = forwarding
    result = await send(from_file(SAMPLES / "event.json"), session.local_url + "/userCreated", session.settings)
    assert result.accepted
    ex = await recorded(session, result.exchange_id)
    assert ex.validation.ok and len(ex.validation.warnings) == 1
    assert summary_line(ex).endswith("valid, 1 warning")
    assert "  warning: $: an event hook answer should have an empty body" in show_report(ex)
    assert ex.to_json()["validation"]["warnings"] == [str(ex.validation.warnings[0])]


# --- Item 3: event hooks never get a Bearer token --------------------------------------------------------------
# OpenAPI schema EventHookChannelConfigAuthSchemeType: "The authentication scheme type. Currently only supports
# HEADER." Inline hooks may use OAuth 2.0; event hooks (POST deliveries and the verification GET) may not.
@pytest.fixture
async def recorder(aiohttp_server: Any) -> tuple[list[dict[str, Any]], str]:
    calls: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        calls.append({"method": request.method, "headers": dict(request.headers)})
        if request.method == "GET":
            return web.json_response({"verification": request.headers["x-okta-verification-challenge"]})
        return web.Response(status=204)

    async def token(request: web.Request) -> web.Response:
        calls.append({"method": "TOKEN", "headers": dict(request.headers)})
        return web.json_response({"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})

    app = web.Application()
    app.router.add_post("/oauth2/default/v1/token", token)
    app.router.add_route("*", "/{tail:.*}", hook)
    server = await aiohttp_server(app)
    return calls, str(server.make_url("")).rstrip("/")


@pytest.mark.parametrize(
    ("auth", "sent", "label"),
    [
        ({"header": "x-api-key", "secret": "event-secret"}, ("x-api-key", "event-secret"), "header x-api-key"),
        ({}, ("Authorization", GUIDE_CREDENTIAL), "basic"),
        ({"username": "", "password": ""}, None, "none"),
    ],
    ids=["header-secret", "basic", "nothing-configured"],
)
async def test_oauth_mode_sends_event_hooks_a_header_never_a_token(
    recorder: tuple[list[dict[str, Any]], str], tmp_path: Path, auth: dict[str, str],
    sent: tuple[str, str] | None, label: str,
) -> None:
    calls, base = recorder
    settings = make_settings(tmp_path, auth={"mode": "oauth", "token_url": base + "/oauth2/default/v1/token", **auth})
    event = await send(from_file(SAMPLES / "event.json"), base + "/userCreated", settings)
    verify = await send(verification(), base + "/userCreated", settings)
    assert [c["method"] for c in calls] == ["POST", "GET"], "no token was fetched for an event hook"
    for call, result in zip(calls, (event, verify), strict=True):
        assert not call["headers"].get("Authorization", "").startswith("Bearer")
        if sent is None:
            assert "Authorization" not in call["headers"]
        else:
            assert call["headers"][sent[0]] == sent[1]
        assert result.accepted and result.auth == label
        assert result.token_note is not None and "never an OAuth 2.0 token" in result.token_note
    inline = await send(from_file(SAMPLES / "token.json"), base + "/tokenHook", settings)
    assert calls[-1]["headers"]["Authorization"] == "Bearer tok" and inline.auth == "oauth client_secret_post"


# --- Item 6: the token comes from the configured token URL, never from the target's host -----------------------
# OpenAPI schemas InlineHookOAuthBasicConfig (tokenUrl: "The URI where inline hooks can exchange an authorization
# code for access and refresh tokens") and the example InlineHookMgmtCreateOAuthClientSecretRequest, whose tokenUrl
# (https://example.okta.com/oauth2/default/v1/token) is an authorization server's, on another host than the hook's
# uri (https://example.com/tokenHook): Okta asks the configured token URL, never the hook's host.
async def test_the_token_url_is_the_configured_one_not_the_targets(
    recorder: tuple[list[dict[str, Any]], str], aiohttp_server: Any, tmp_path: Path
) -> None:
    calls, target = recorder
    issuer_calls: list[str] = []

    async def issuer_token(request: web.Request) -> web.Response:
        issuer_calls.append(request.path)
        return web.json_response({"access_token": "from-the-issuer", "token_type": "Bearer", "expires_in": 3600})

    app = web.Application()
    app.router.add_post("/oauth2/aus1/v1/token", issuer_token)
    app.router.add_post("/elsewhere/token", issuer_token)
    issuer = await aiohttp_server(app)
    by_issuer = make_settings(tmp_path, auth={"mode": "oauth", "issuer": str(issuer.make_url("/oauth2/aus1"))})
    result = await send(from_file(SAMPLES / "token.json"), target + "/tokenHook", by_issuer)
    assert issuer_calls == ["/oauth2/aus1/v1/token"]
    assert calls[-1]["headers"]["Authorization"] == "Bearer from-the-issuer"
    assert result.token_note is not None and "the token endpoint of [auth] issuer" in result.token_note
    by_url = make_settings(tmp_path, auth={"mode": "oauth", "issuer": str(issuer.make_url("/oauth2/aus1")),
                                           "token_url": str(issuer.make_url("/elsewhere/token"))})
    result = await send(from_file(SAMPLES / "token.json"), target + "/tokenHook", by_url)
    assert issuer_calls[-1] == "/elsewhere/token" and "([auth] token_url)" in (result.token_note or "")
    assert all(c["method"] != "TOKEN" for c in calls), "the target's own token endpoint is never used"


async def test_without_a_token_url_the_serve_on_the_store_issues_the_token(
    recorder: tuple[list[dict[str, Any]], str], tmp_path: Path
) -> None:
    calls, target = recorder
    settings = make_settings(tmp_path, auth={"mode": "oauth"})
    with pytest.raises(ConfigError) as missing:
        await send(from_file(SAMPLES / "token.json"), target + "/tokenHook", settings)
    assert missing.value.key == "auth.token_url" and "[auth] issuer" in missing.value.problem
    assert calls == []
    session = Session(settings)
    await session.start()
    try:
        result = await send(from_file(SAMPLES / "token.json"), target + "/tokenHook", settings)
    finally:
        await session.stop()
    bearer = calls[-1]["headers"]["Authorization"].split()[1]
    assert jwt.decode(bearer, options={"verify_signature": False})["iss"] == session.local_issuer
    assert "the local authorization server of the hookdev serve running on this store" in (result.token_note or "")


def test_the_send_command_says_when_there_is_no_token_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "hookdev.toml"
    config.write_text('[auth]\nmode = "oauth"\n')
    assert main(["send", "token", "--to", "http://127.0.0.1:9/tokenHook", "--config", str(config)]) == 2
    assert "auth.token_url: oauth mode needs a token URL" in capsys.readouterr().err
