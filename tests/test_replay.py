"""Replays through a real running receiver: fresh auth, new exchange with replay_of, export/import round trip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest

from hookdev.auth.oauth_client import TokenCache
from hookdev.errors import HookdevError
from hookdev.io.export import from_har, to_har
from hookdev.models import RequestSnapshot
from hookdev.receiver.session import Session
from hookdev.receiver.store import Store
from hookdev.runtime import runtime_file
from hookdev.send.payloads import from_file
from hookdev.send.replay import replay, serve_url
from hookdev.send.sender import send
from tests.conftest import SAMPLES, make_exchange, make_settings


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    s = Session(make_settings(tmp_path, auth={"mode": "oauth"}))
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


def expired_bearer(hours: float = 2) -> str:
    exp = int(time.time() - hours * 3600)
    return "Bearer " + jwt.encode({"exp": exp, "cid": "okta-hooks"}, "x" * 32, algorithm="HS256")


async def test_replay_goes_to_the_running_serve_with_a_fresh_token(session: Session) -> None:
    assert session.store is not None
    body = (SAMPLES / "token.json").read_bytes()
    headers = (("Authorization", expired_bearer()), ("Content-Type", "application/json"),
               ("Connection", "keep-alive"), ("Content-Length", str(len(body))))
    original = make_exchange(request=RequestSnapshot(method="POST", path="/tokenHook", headers=headers, body=body))
    session.store.add_now(original)
    result = await replay(session.store, original.id[:9], session.settings)
    assert result.accepted, result.verdict
    assert result.url == session.local_url + "/tokenHook"
    assert "the captured bearer token expired 2 h ago; sent a fresh one" in (result.token_note or "")
    recorded = session.store.get(result.exchange_id or "")
    assert recorded is not None and recorded.replay_of == original.id
    assert recorded.request.body == body and recorded.auth.ok
    assert recorded.request.header("Authorization") != original.request.header("Authorization")


async def test_export_import_replay_round_trip_keeps_the_body(session: Session, tmp_path: Path) -> None:
    assert session.store is not None
    tokens = TokenCache()
    sent = await send(from_file(SAMPLES / "registration-ssr.json"), session.local_url + "/registrationHook",
                      session.settings, tokens=tokens)
    original = session.store.get(sent.exchange_id or "")
    assert original is not None
    har = json.loads(json.dumps(to_har([original], redact=True, secret_header=None)))
    (imported,) = from_har(har)
    other = Store(tmp_path / "imported.db")
    try:
        other.add_now(imported)
        result = await replay(other, imported.id, session.settings, to=session.local_url, tokens=tokens)
    finally:
        other.close()
    again = session.store.get(result.exchange_id or "")
    assert again is not None and again.replay_of == imported.id
    assert again.request.body == original.request.body and again.request.path == "/registrationHook"
    assert again.kind == "registration" and again.auth.ok
    assert tokens.fetches == 1, "the replay reused the token the send fetched"


async def test_replay_of_an_edited_body(session: Session) -> None:
    assert session.store is not None
    original = make_exchange()
    session.store.add_now(original)
    edited = json.dumps({"eventType": "com.okta.oauth2.tokens.transform", "data": {"edited": True}}).encode()
    result = await replay(session.store, original.id, session.settings, edited_body=edited)
    recorded = session.store.get(result.exchange_id or "")
    assert recorded is not None and recorded.request.body == edited and recorded.replay_of == original.id


async def test_an_unknown_id_is_an_error(session: Session) -> None:
    assert session.store is not None
    with pytest.raises(HookdevError, match="no exchange"):
        await replay(session.store, "zzzzzzzzzz", session.settings)


def test_serve_url_without_a_running_serve_says_what_to_do(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with pytest.raises(HookdevError, match="no hookdev serve is running on .*pass --to URL"):
        serve_url(settings)


def test_serve_url_ignores_a_file_left_by_a_dead_serve(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    store = settings.path(settings.server.store)
    store.parent.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid now belongs to no running process
    pid = child.pid
    runtime_file(store).write_text(json.dumps({"url": "http://127.0.0.1:1", "public_url": None, "pid": pid}))
    with pytest.raises(HookdevError, match="no hookdev serve is running"):
        serve_url(settings)
    runtime_file(store).write_text(json.dumps({"url": "http://127.0.0.1:1", "public_url": None, "pid": os.getpid()}))
    assert serve_url(settings) == "http://127.0.0.1:1"
