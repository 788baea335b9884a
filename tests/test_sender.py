"""Acting as Okta against a real receiver on port 0: headers, auth, token fetching and caching, retries, verdicts."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hookdev.auth.authserver import create_authserver_app
from hookdev.auth.keys import KeyStore
from hookdev.auth.oauth_client import TokenCache
from hookdev.send.payloads import from_file, verification
from hookdev.send.sender import Payload, send
from tests.conftest import SAMPLES, make_settings


@dataclass
class Recorder:
    """A receiver that records each call and answers with what the test sets."""

    status: int = 204
    body: Any = None
    hang: bool = False
    """Answer nothing until the test is over (released): slower than any timeout, however busy the machine."""
    released: asyncio.Event = field(default_factory=asyncio.Event)
    headers: dict[str, str] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    token_calls: list[dict[str, str]] = field(default_factory=list)
    token_expires_in: int | None = 3600

    async def hook(self, request: web.Request) -> web.Response:
        self.calls.append({"method": request.method, "path": request.path, "headers": dict(request.headers),
                           "body": await request.read()})
        if self.hang:
            await self.released.wait()
        if self.body is None:
            return web.Response(status=self.status, headers=self.headers)
        if callable(self.body):
            return web.json_response(self.body(request), status=self.status, headers=self.headers)
        return web.json_response(self.body, status=self.status, headers=self.headers)

    async def token(self, request: web.Request) -> web.Response:
        self.token_calls.append(dict(await request.post()))  # type: ignore[arg-type]
        answer: dict[str, Any] = {"access_token": f"tok-{len(self.token_calls)}", "token_type": "Bearer"}
        if self.token_expires_in is not None:
            answer["expires_in"] = self.token_expires_in
        return web.json_response(answer)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/oauth2/default/v1/token", self.token)
        app.router.add_route("*", "/{tail:.*}", self.hook)
        return app


@pytest.fixture
async def recorder(aiohttp_server: Any) -> AsyncIterator[tuple[Recorder, str]]:
    rec = Recorder()
    server = await aiohttp_server(rec.app())
    yield rec, str(server.make_url("")).rstrip("/")
    rec.released.set()  # before the server closes, which waits for its handlers


def sample(name: str) -> Payload:
    return from_file(SAMPLES / f"{name}.json")


async def test_basic_auth_and_okta_headers_on_an_inline_call(recorder: tuple[Recorder, str], tmp_path: Path) -> None:
    # Accept, Content-Type and the auth header are Okta's documented ones (concepts/inline-hooks, "HTTP headers");
    # User-Agent and X-Okta-Request-Id are what captured Okta calls carried, which Okta does not document.
    rec, base = recorder
    settings = make_settings(tmp_path, auth={"mode": "basic", "username": "admin", "password": "supersecret"})
    result = await send(sample("token"), base + "/tokenHook", settings)
    (call,) = rec.calls
    h = call["headers"]
    assert call["method"] == "POST" and call["path"] == "/tokenHook"
    assert h["Accept"] == "application/json" and h["Content-Type"] == "application/json"
    assert h["User-Agent"] == "Okta-Integrations"
    assert h["Authorization"] == "Basic " + base64.b64encode(b"admin:supersecret").decode()
    assert h["X-Okta-Request-Id"] == "aC0eX6tR9wSg4dFc8jU2kGAAAIs"
    assert call["body"] == (SAMPLES / "token.json").read_bytes()
    assert result.accepted and result.status == 204 and result.attempts == 1 and result.kind == "token"


async def test_header_secret_mode_sends_the_named_header_and_no_authorization(
    recorder: tuple[Recorder, str], tmp_path: Path
) -> None:
    rec, base = recorder
    settings = make_settings(tmp_path, auth={"mode": "header", "header": "x-api-key", "secret": "s3cr3t-value"})
    await send(sample("event"), base + "/userDeactivated", settings)
    h = rec.calls[0]["headers"]
    assert h["x-api-key"] == "s3cr3t-value"
    assert "Authorization" not in h
    assert h["User-Agent"] == "Okta Hook Service v1.0.0 - hookdev"


async def test_captured_credentials_in_a_payload_are_never_sent(recorder: tuple[Recorder, str], tmp_path: Path) -> None:
    rec, base = recorder
    settings = make_settings(tmp_path, auth={"mode": "none"})
    body = (SAMPLES / "saml.json").read_bytes()
    payload = Payload("POST", body, (("Authorization", "Bearer old"), ("Connection", "close"), ("X-Custom", "1")),
                      "saml", "test")
    await send(payload, base + "/saml", settings)
    h = rec.calls[0]["headers"]
    assert "Authorization" not in h and h["X-Custom"] == "1"


@pytest.fixture
async def authserver_url(aiohttp_server: Any, tmp_path: Path) -> tuple[str, list[dict[str, str]]]:
    """The real local authorization server, with every token request's form recorded."""
    seen: list[dict[str, str]] = []
    settings = make_settings(tmp_path)
    keys = KeyStore.in_memory()

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.endswith("/v1/token"):
            seen.append(dict(await request.post()))  # type: ignore[arg-type]
        return await handler(request)

    app = web.Application(middlewares=[count])
    app.add_subapp("/oauth2/default", create_authserver_app(settings.authserver, keys))
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/"), seen


async def test_oauth_fetches_a_token_with_client_secret_post_and_caches_it(
    recorder: tuple[Recorder, str], authserver_url: tuple[str, list[dict[str, str]]], tmp_path: Path
) -> None:
    rec, base = recorder
    issuer_base, seen = authserver_url
    token_url = issuer_base + "/oauth2/default/v1/token"
    settings = make_settings(tmp_path, auth={"mode": "oauth", "token_url": token_url})
    tokens = TokenCache()
    first = await send(sample("token"), base + "/tokenHook", settings, tokens=tokens)
    second = await send(sample("token"), base + "/tokenHook", settings, tokens=tokens)
    assert len(seen) == 1, "the second call reuses the cached token, as Okta does"
    assert seen[0]["client_id"] == "okta-hooks" and seen[0]["client_secret"] == "hookdev-local-secret"
    assert seen[0]["grant_type"] == "client_credentials"
    bearer = [c["headers"]["Authorization"] for c in rec.calls]
    assert bearer[0] == bearer[1] and bearer[0].startswith("Bearer ")
    claims = jwt.decode(bearer[0].split()[1], options={"verify_signature": False})
    assert claims["cid"] == "okta-hooks" and claims["iss"] == issuer_base + "/oauth2/default"
    assert "minted a fresh token" in (first.token_note or "") and "reused" in (second.token_note or "")


async def test_a_token_about_to_expire_is_not_reused(recorder: tuple[Recorder, str], tmp_path: Path) -> None:
    rec, base = recorder
    rec.token_expires_in = 10  # inside the renewal margin
    settings = make_settings(tmp_path, auth={"mode": "oauth", "token_url": base + "/oauth2/default/v1/token"})
    tokens = TokenCache()
    await send(sample("token"), base + "/t", settings, tokens=tokens)
    await send(sample("token"), base + "/t", settings, tokens=tokens)
    assert len(rec.token_calls) == 2
    assert [c["headers"]["Authorization"] for c in rec.calls] == ["Bearer tok-1", "Bearer tok-2"]


async def test_oauth_private_key_jwt_against_the_real_authserver(
    recorder: tuple[Recorder, str], aiohttp_server: Any, tmp_path: Path
) -> None:
    rec, base = recorder
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "client.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "client.pub.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    clients = [{"client_id": "okta-pkj", "public_key": "client.pub.pem"}]
    server_settings = make_settings(tmp_path, authserver={"clients": clients})
    app = web.Application()
    app.add_subapp("/oauth2/default", create_authserver_app(server_settings.authserver, KeyStore.in_memory(),
                                                            base_dir=tmp_path))
    server = await aiohttp_server(app)
    token_url = str(server.make_url("/oauth2/default/v1/token"))
    settings = make_settings(tmp_path, auth={"mode": "oauth", "token_url": token_url, "send_client_id": "okta-pkj",
                                             "private_key": "client.pem"}, authserver={"clients": clients})
    result = await send(sample("token"), base + "/tokenHook", settings)
    assert result.error is None, result.verdict
    claims = jwt.decode(rec.calls[0]["headers"]["Authorization"].split()[1], options={"verify_signature": False})
    assert claims["cid"] == "okta-pkj" and "private_key_jwt" in result.auth


async def test_a_refused_token_request_means_no_hook_call(aiohttp_server: Any, recorder: tuple[Recorder, str],
                                                         authserver_url: tuple[str, list[dict[str, str]]],
                                                         tmp_path: Path) -> None:
    rec, base = recorder
    issuer_base, _ = authserver_url
    settings = make_settings(tmp_path, auth={"mode": "oauth", "token_url": issuer_base + "/oauth2/default/v1/token",
                                             "client_secret": "wrong"})
    result = await send(sample("token"), base + "/tokenHook", settings)
    assert not result.accepted and rec.calls == []
    assert "401" in (result.error or "") and "wrong client_secret" in (result.error or "")


@pytest.mark.parametrize(
    ("name", "status", "attempts"),
    [
        ("event", 500, 2),
        ("event", 404, 1),
        ("registration-ssr", 503, 2),
        ("registration-ssr", 400, 1),
        ("token", 500, 1),
        ("telephony-sms", 500, 1),
        ("user-import", 502, 2),
    ],
)
async def test_retry_rule_per_kind_on_error_answers(
    recorder: tuple[Recorder, str], tmp_path: Path, name: str, status: int, attempts: int
) -> None:
    rec, base = recorder
    rec.status = status
    result = await send(sample(name), base + "/hook", make_settings(tmp_path, auth={"mode": "none"}))
    assert len(rec.calls) == attempts == result.attempts
    assert not result.accepted and result.status == status


@pytest.mark.parametrize(("name", "attempts"), [("saml", 2), ("token", 1), ("event", 2)])
async def test_a_slow_receiver_times_out_and_is_retried_per_kind(
    recorder: tuple[Recorder, str], tmp_path: Path, name: str, attempts: int
) -> None:
    rec, base = recorder
    rec.hang = True
    result = await send(sample(name), base + "/slow", make_settings(tmp_path, auth={"mode": "none"}), timeout=0.2)
    assert len(rec.calls) == attempts == result.attempts
    assert result.status is None and not result.accepted
    assert result.validation is not None and result.validation.timing is not None
    assert result.validation.timing.grade == "timeout"
    assert "gives up after 3 s" in result.verdict


async def test_no_retry_flag_makes_one_attempt(recorder: tuple[Recorder, str], tmp_path: Path) -> None:
    rec, base = recorder
    rec.status = 500
    result = await send(sample("event"), base + "/e", make_settings(tmp_path, auth={"mode": "none"}), retry=False)
    assert len(rec.calls) == 1 and result.attempts == 1


async def test_redirects_are_not_followed(recorder: tuple[Recorder, str], tmp_path: Path) -> None:
    rec, base = recorder
    rec.status, rec.headers = 302, {"Location": base + "/elsewhere"}
    result = await send(sample("token"), base + "/moved", make_settings(tmp_path, auth={"mode": "none"}))
    assert [c["path"] for c in rec.calls] == ["/moved"]
    assert result.status == 302 and not result.accepted and "redirect" in result.verdict


async def test_an_invalid_inline_answer_is_not_accepted(recorder: tuple[Recorder, str], tmp_path: Path) -> None:
    rec, base = recorder
    rec.status, rec.body = 200, {"commands": [{"type": "com.okta.idToken.patch", "value": []}]}
    result = await send(sample("token"), base + "/t", make_settings(tmp_path, auth={"mode": "none"}))
    assert not result.accepted and result.validation is not None and result.validation.problems
    assert result.verdict.startswith("Okta would not accept")


async def test_verification_get_echo_is_checked(recorder: tuple[Recorder, str], tmp_path: Path) -> None:
    rec, base = recorder
    rec.status = 200
    rec.body = lambda request: {"verification": request.headers["X-Okta-Verification-Challenge"]}
    settings = make_settings(tmp_path, auth={"mode": "none"})
    good = await send(verification(), base + "/verify", settings)
    assert good.accepted and rec.calls[0]["method"] == "GET" and rec.calls[0]["body"] == b""
    rec.body = {"verification": "not-the-challenge"}
    bad = await send(verification(), base + "/verify", settings)
    assert not bad.accepted and "challenge" in bad.verdict


async def test_verification_is_retried_once_after_an_error(recorder: tuple[Recorder, str], tmp_path: Path) -> None:
    rec, base = recorder
    rec.status = 401
    result = await send(verification(), base + "/verify", make_settings(tmp_path, auth={"mode": "none"}))
    assert result.attempts == 2 and len(rec.calls) == 2 and not result.accepted


async def test_a_refused_connection_is_a_failed_send(tmp_path: Path) -> None:
    result = await send(sample("token"), "http://127.0.0.1:9/t", make_settings(tmp_path, auth={"mode": "none"}))
    assert result.status is None and not result.accepted and "token is issued unmodified" in result.verdict


async def test_the_receivers_exchange_id_is_reported(recorder: tuple[Recorder, str], tmp_path: Path) -> None:
    rec, base = recorder
    rec.headers = {"X-Hookdev-Exchange": "0abc"}
    result = await send(sample("token"), base + "/t", make_settings(tmp_path, auth={"mode": "none"}))
    out = result.to_json()
    assert out["exchange_id"] == "0abc" and out["accepted"] is True
    json.dumps(out)  # one JSON object, serialisable


def test_verdict_names_what_an_error_object_does():
    from hookdev.models import ResponseSnapshot, Validation
    from hookdev.send.sender import verdict_for

    answer = ResponseSnapshot(status=200, body=json.dumps({
        "commands": [{"type": "com.okta.action.update", "value": {"registration": "DENY"}}],
        "error": {"errorSummary": "Only example.com emails can register."}}).encode())
    sentence = verdict_for("registration", None, answer, Validation(), None, 1, True)  # type: ignore[arg-type]
    assert "error object" in sentence and "denies the registration" in sentence
