"""serve --okta inside one process: what a failing org does to serve (nothing but a notice), and a tunnel that
comes back at another URL (the hooks follow it)."""

from __future__ import annotations

import base64
import os
import signal
from pathlib import Path

import aiohttp
import pytest

from tests import fake_ngrok
from tests.conftest import until
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


async def test_when_ngrok_restarts_at_another_url_the_hooks_follow_it(tmp_path: Path, org: Org,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    agent = fake_ngrok.install(tmp_path / "bin")
    okta = {"org_url": org.base, "api_token": org.token, "kinds": ["token", "event"],
            "events": ["user.lifecycle.create"], "connect": True, "poll_interval": 1.0}
    tunnel = {"enabled": True, "authtoken": "2abcTOKENsecret_0123456789", "ngrok_path": str(agent)}
    async with live_session(tmp_path, auth=AUTH, okta=okta, tunnel=tunnel) as session:
        first = session.public_url
        assert first and sorted(h.uri for h in org.hooks.values()) == [f"{first}/eventHook", f"{first}/tokenHook"]
        assert session.tunnel is not None and session.tunnel.agent_pid is not None
        os.kill(session.tunnel.agent_pid, signal.SIGKILL)  # the agent crashes; serve restarts it
        moved = await until(lambda: session.tunnel is not None and session.tunnel.public_url not in (None, first)
                            and all(h.uri.startswith(str(session.tunnel.public_url)) for h in org.hooks.values()),
                            "the hooks at the restarted tunnel's URL", within=60)
        assert moved
        second = session.tunnel.public_url
        event_hook = next(h for h in org.hooks.values() if h.kind == "event")
        await until(lambda: event_hook.verification == "VERIFIED", "the event hook verified at its new URL")
        def updated() -> list[str]:  # told once Okta's answer is in, which can be after the org changed the hook
            return [m for _, m in session.seen_notices  # type: ignore[attr-defined]
                    if m.startswith("okta: updated") and f"-> {second}/" in m]

        assert len(await until(lambda: len(updated()) >= 2 and updated(), "both hooks' updates told")) == 2
        messages = [m for _, m in session.seen_notices]  # type: ignore[attr-defined]
        assert f"okta: the tunnel is now {second}; moving the hooks there" in messages
        assert len(org.hooks) == 2 and all(h.status == "ACTIVE" for h in org.hooks.values())
    assert all(h.status == "INACTIVE" for h in org.hooks.values())
