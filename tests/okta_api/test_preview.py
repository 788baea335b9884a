"""Okta's Preview: the org double executes the hook through the real receiver; the verdict and the exchange."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookdev.errors import ConfigError, OktaError
from hookdev.okta_api.client import OktaClient
from hookdev.okta_api.connect import state_for
from hookdev.okta_api.preview import PreviewResult, preview
from hookdev.receiver.session import Session
from tests.answers.calls import sample
from tests.okta_api.conftest import PASSWORD, okta_settings
from tests.okta_api.test_connect import connect_all
from tests.okta_double import Org
from tests.reliability.live import live_session


async def run_preview(settings, kind: str, body: dict) -> PreviewResult:
    store = settings.path(settings.server.store)
    async with OktaClient.from_settings(settings) as client:
        return await preview(client, state_for(store), store, kind, body)


async def test_okta_executes_the_hook_and_the_call_it_made_is_the_recorded_exchange(
    tmp_path: Path, org: Org, receiver: Session
) -> None:
    settings = okta_settings(tmp_path, org)
    await connect_all(settings, receiver.local_url, ["registration"])
    result = await run_preview(settings, "registration", sample("registration-ssr"))
    assert (result.ok, result.okta_status, result.error, result.problems) == (True, 200, None, ())
    assert result.response["commands"][0]["value"] == {"registration": "ALLOW"}
    [exchange] = receiver.store.list()
    assert result.exchange_id == exchange.id and exchange.auth.ok and exchange.request.path == "/registrationHook"
    [call] = org.calls
    assert exchange.request.header("X-Okta-Request-Id") == call["headers"]["X-Okta-Request-Id"]
    assert json.loads(exchange.request.body)["eventId"] != sample("registration-ssr")["eventId"]  # a fresh one
    assert result.to_json()["exchange_id"] == exchange.id
    assert set(result.to_json()) >= {"kind", "hook_id", "ok", "okta_status", "response", "error", "exchange_id"}


async def test_a_hook_that_fails_gets_okta_s_400_with_its_causes(tmp_path: Path, org: Org) -> None:
    handler = tmp_path / "hooks.py"
    handler.write_text("def token(request):\n    return {'oops': True}, 500\n")
    auth = {"mode": "basic", "username": "okta", "password": PASSWORD}
    async with live_session(tmp_path, auth=auth, responses={"handler": str(handler)}) as session:
        settings = okta_settings(tmp_path, org)
        await connect_all(settings, session.local_url, ["token"])
        result = await run_preview(settings, "token", sample("token"))
        exchanges = session.store.list()
    assert (result.ok, result.okta_status, result.response) == (False, 400, None)
    assert result.error and "E0000001" in result.error and "responded with HTTP 500" in result.error
    assert len(exchanges) == 2 and result.exchange_id == exchanges[-1].id  # Okta retried once after the 5xx


async def test_an_answer_okta_passes_on_is_still_checked_for_the_kind(tmp_path: Path, org: Org) -> None:
    handler = tmp_path / "hooks.py"
    handler.write_text("def token(request):\n"
                       "    return {'commands': [{'type': 'com.okta.identity.patch', 'value': [{'op': 'add', "
                       "'path': '/claims/sub', 'value': 'x'}]}]}\n")
    async with live_session(tmp_path, auth={"mode": "basic", "username": "okta", "password": PASSWORD},
                            responses={"handler": str(handler)}) as session:
        settings = okta_settings(tmp_path, org)
        await connect_all(settings, session.local_url, ["token"])
        result = await run_preview(settings, "token", sample("token"))
    assert result.okta_status == 200 and not result.ok
    assert any("sub" in p.message for p in result.problems)


async def test_a_hook_deleted_in_the_admin_console_is_okta_s_404_not_a_verdict(tmp_path: Path, org: Org) -> None:
    settings = okta_settings(tmp_path, org)
    [change] = await connect_all(settings, "https://abc.ngrok.app", ["token"])
    del org.hooks[change.id]
    with pytest.raises(OktaError) as caught:
        await run_preview(settings, "token", sample("token"))
    assert (caught.value.status, caught.value.code) == (404, "E0000007")
    assert "`hookdev okta connect` creates what is missing" in str(caught.value) and org.calls == []


async def test_preview_needs_a_connected_hook_of_that_kind(tmp_path: Path, org: Org) -> None:
    with pytest.raises(ConfigError, match="hookdev okta connect --kinds saml"):
        await run_preview(okta_settings(tmp_path, org), "saml", sample("saml"))


async def test_in_oauth_mode_okta_gets_a_token_from_the_local_server_and_the_receiver_accepts_it(
    tmp_path: Path, org: Org
) -> None:
    async with live_session(tmp_path, auth={"mode": "oauth"}) as session:
        settings = okta_settings(tmp_path, org, auth={"mode": "oauth"})
        await connect_all(settings, session.local_url, ["saml"])
        result = await run_preview(settings, "saml", sample("saml"))
        [exchange] = session.store.list()
    assert result.ok and result.okta_status == 204 and result.exchange_id == exchange.id
    assert (exchange.auth.scheme, exchange.auth.ok) == ("oauth", True)
    assert org.calls[0]["headers"]["Authorization"].startswith("Bearer ey")
