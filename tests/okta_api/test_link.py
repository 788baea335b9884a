"""serve --okta inside one process: what a failing org does to serve (nothing but a notice)."""

from __future__ import annotations

import base64
from pathlib import Path

import aiohttp

from tests.okta_api.conftest import PASSWORD
from tests.okta_double import Org
from tests.reliability.live import TOKEN_BODY, live_session

AUTH = {"mode": "basic", "username": "okta", "password": PASSWORD}
BASIC = "Basic " + base64.b64encode(f"okta:{PASSWORD}".encode()).decode()


async def test_an_org_that_refuses_is_a_notice_and_the_receiver_keeps_answering(tmp_path: Path, org: Org) -> None:
    okta = {"org_url": org.base, "api_token": "00" + "n" * 40, "kinds": ["token"], "connect": True,
            "poll_interval": 1.0}
    async with live_session(tmp_path, auth=AUTH, okta=okta) as session:
        notices = session.seen_notices  # type: ignore[attr-defined]
        assert any(level == "error" and "connecting the org failed" in m for level, m in notices)
        async with aiohttp.ClientSession() as http, http.post(
            session.local_url + "/tokenHook", data=TOKEN_BODY,
            headers={"Content-Type": "application/json", "Authorization": BASIC},
        ) as answer:
            assert answer.status == 204
    assert org.hooks == {}


async def test_without_a_public_url_serve_says_okta_cannot_reach_it(tmp_path: Path, org: Org) -> None:
    okta = {"org_url": org.base, "api_token": org.token, "kinds": ["token"], "connect": True}
    async with live_session(tmp_path, auth=AUTH, okta=okta) as session:
        messages = [m for _, m in session.seen_notices]  # type: ignore[attr-defined]
    assert any("Okta can't reach 127.0.0.1" in m for m in messages)
    assert org.hooks == {} and not [r for r in org.requests if r[0] != "GET"]
