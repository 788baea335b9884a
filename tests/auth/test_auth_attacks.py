"""Attacks and faults against every verifier, each with the reason it must be refused for; none accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from hookdev.auth.jwks import KeySetCache
from hookdev.auth.verifiers import Verifier, build_verifier, default_keys_uri
from hookdev.config import AuthSettings
from hookdev.errors import ConfigError
from hookdev.models import RequestSnapshot
from tests.auth.authkit import (
    AUDIENCE,
    CLIENT_ID,
    SCOPE,
    FakeClock,
    KeyServer,
    RsaKey,
    b64,
    bearer,
    claims_for,
    request_with,
    unsigned_token,
)

BASIC = AuthSettings(mode="basic", username="admin", password="supersecret")
HEADER = AuthSettings(mode="header", header="X-Api-Key", secret="s3cr3t-value")


def oauth_settings(issuer: str) -> AuthSettings:
    return AuthSettings(mode="oauth", issuer=issuer, audience=AUDIENCE, client_id=CLIENT_ID, scope=SCOPE)


def basic(user: str, password: str) -> RequestSnapshot:
    return request_with(("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()))


def hs256_with_public_pem(key: RsaKey, issuer: str) -> str:
    """The classic key-confusion forgery, built by hand because PyJWT refuses to sign it."""
    pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    body = b64(json.dumps(claims_for(issuer)).encode())
    sig = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def tampered(token: str, **changes: object) -> str:
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(changes)
    return f"{head}.{b64(json.dumps(claims).encode())}.{sig}"


@dataclass(frozen=True)
class Case:
    name: str
    scheme: str
    request: Callable[[str, dict[str, RsaKey]], RequestSnapshot]
    reason: str


def _t(fn: Callable[[str, dict[str, RsaKey]], str]) -> Callable[[str, dict[str, RsaKey]], RequestSnapshot]:
    return lambda iss, keys: bearer(fn(iss, keys))


CASES = [
    Case("basic: no header", "basic", lambda i, k: request_with(), "missing"),
    Case("basic: Bearer instead of Basic", "basic",
         lambda i, k: request_with(("Authorization", "Bearer abc")), "malformed"),
    Case("basic: not base64", "basic", lambda i, k: request_with(("Authorization", "Basic !!!")), "malformed"),
    Case("basic: no colon", "basic",
         lambda i, k: request_with(("Authorization", "Basic " + base64.b64encode(b"admin").decode())), "malformed"),
    Case("basic: wrong password", "basic", lambda i, k: basic("admin", "guess"), "bad_credentials"),
    Case("basic: wrong user", "basic", lambda i, k: basic("root", "supersecret"), "bad_credentials"),
    Case("header: no header", "header", lambda i, k: request_with(("Authorization", "s3cr3t-value")), "missing"),
    Case("header: wrong secret", "header", lambda i, k: request_with(("x-api-key", "s3cr3t-valuf")), "bad_credentials"),
    Case("oauth: no header", "oauth", lambda i, k: request_with(), "missing"),
    Case("oauth: Basic in oauth mode", "oauth", lambda i, k: basic("admin", "supersecret"), "malformed"),
    Case("oauth: not a JWT", "oauth", lambda i, k: bearer("not.a.jwt"), "malformed"),
    Case("oauth: alg none", "oauth",
         _t(lambda i, k: unsigned_token({"alg": "none", "typ": "JWT"}, claims_for(i))), "alg_not_allowed"),
    Case("oauth: HS256 signed with the public key", "oauth",
         _t(lambda i, k: hs256_with_public_pem(k["main"], i)), "alg_not_allowed"),
    Case("oauth: expired", "oauth",
         _t(lambda i, k: k["main"].sign(claims_for(i, exp=int(time.time()) - 240 - 120))), "expired"),
    Case("oauth: not yet valid", "oauth",
         _t(lambda i, k: k["main"].sign(claims_for(i, nbf=int(time.time()) + 600))), "not_yet_valid"),
    Case("oauth: wrong issuer", "oauth",
         _t(lambda i, k: k["attacker"].sign(claims_for("https://evil.example/oauth2/default"))), "wrong_issuer"),
    Case("oauth: wrong audience", "oauth",
         _t(lambda i, k: k["main"].sign(claims_for(i, aud="api://other"))), "wrong_audience"),
    Case("oauth: wrong client", "oauth",
         _t(lambda i, k: k["main"].sign(claims_for(i, cid="0oaSomeoneElse"))), "wrong_client"),
    Case("oauth: missing scope", "oauth",
         _t(lambda i, k: k["main"].sign(claims_for(i, scp=["profile"]))), "missing_scope"),
    Case("oauth: unknown kid", "oauth", _t(lambda i, k: k["attacker"].sign(claims_for(i))), "unknown_kid"),
    Case("oauth: tampered claims", "oauth",
         _t(lambda i, k: tampered(k["main"].sign(claims_for(i, scp=["profile"])), scp=[SCOPE])), "bad_signature"),
    Case("oauth: attacker key under the issuer's kid", "oauth",
         _t(lambda i, k: RsaKey("kid-main", k["attacker"].private).sign(claims_for(i))), "bad_signature"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def verifiers(key_server: KeyServer):
    built: dict[str, Verifier] = {
        "basic": build_verifier(BASIC),
        "header": build_verifier(HEADER),
        "oauth": build_verifier(oauth_settings(key_server.issuer)),
    }
    yield built
    for v in built.values():
        await v.close()


async def test_attack_table_zero_wrongly_accepted(verifiers, key_server: KeyServer, rsa_keys) -> None:
    results = []
    for case in CASES:
        verdict = await verifiers[case.scheme].verify(case.request(key_server.issuer, rsa_keys))
        results.append((case.name, case.reason, verdict))
    wrongly_accepted = [name for name, _, v in results if v.ok]
    wrong_reason = [(name, want, v.reason, v.detail) for name, want, v in results if v.reason != want]
    assert wrongly_accepted == []
    assert wrong_reason == []
    schemes = [c.scheme for c in CASES]
    assert all(v.detail and v.scheme == scheme for (_, _, v), scheme in zip(results, schemes, strict=True))
    # A genuine call of each kind still gets through, so the table is not passing by refusing everything.
    assert (await verifiers["basic"].verify(basic("admin", "supersecret"))).ok
    assert (await verifiers["header"].verify(request_with(("x-api-key", "s3cr3t-value")))).ok
    good = await verifiers["oauth"].verify(bearer(rsa_keys["main"].sign(claims_for(key_server.issuer))))
    assert good.ok and good.claims["cid"] == CLIENT_ID and good.token_header["kid"] == "kid-main"


async def test_key_set_down_is_a_verdict(rsa_keys) -> None:
    issuer = f"http://127.0.0.1:{free_port()}/oauth2/default"
    verifier = build_verifier(oauth_settings(issuer))
    try:
        verdict = await verifier.verify(bearer(rsa_keys["main"].sign(claims_for(issuer))))
    finally:
        await verifier.close()
    assert (verdict.ok, verdict.reason) == (False, "jwks_unavailable")
    assert issuer in verdict.detail


async def test_unknown_kid_accepted_after_the_key_set_rotates(key_server: KeyServer, rsa_keys) -> None:
    clock = FakeClock()
    cache = KeySetCache(default_keys_uri(key_server.issuer), clock=clock, cooldown=30)
    verifier = build_verifier(oauth_settings(key_server.issuer), key_cache=cache)
    token = bearer(rsa_keys["next"].sign(claims_for(key_server.issuer)))
    try:
        first = await verifier.verify(token)
        key_server.keys.append(rsa_keys["next"].jwk())  # the issuer publishes its next key
        clock.now += 5
        during_cooldown = await verifier.verify(token)
        fetches_before = key_server.fetches
        clock.now += 30
        after = await verifier.verify(token)
    finally:
        await verifier.close()
    assert first.reason == "unknown_kid" and "kid-next" in first.detail
    assert during_cooldown.reason == "unknown_kid" and "next refetch allowed" in during_cooldown.detail
    assert after.ok and key_server.fetches == fetches_before + 1


async def test_detail_sentences_say_what_to_fix(verifiers, key_server: KeyServer, rsa_keys) -> None:
    iss = key_server.issuer
    expired = await verifiers["oauth"].verify(
        bearer(rsa_keys["main"].sign(claims_for(iss, exp=int(time.time()) - 240)))
    )
    aud = await verifiers["oauth"].verify(bearer(rsa_keys["main"].sign(claims_for(iss, aud="api://other"))))
    assert expired.detail.startswith("token expired 4 min ago (exp ") and "mint a fresh one" in expired.detail
    assert "aud is api://other, expected api://default" in aud.detail
    assert expired.claims["aud"] == AUDIENCE and expired.token_header["alg"] == "RS256"


async def test_details_never_carry_the_secret_material(verifiers, key_server: KeyServer, rsa_keys) -> None:
    token = rsa_keys["main"].sign(claims_for(key_server.issuer, aud="api://other"))
    verdicts = [
        await verifiers["basic"].verify(basic("admin", "hunter2-guess")),
        await verifiers["header"].verify(request_with(("x-api-key", "leaked-value"))),
        await verifiers["oauth"].verify(bearer(token)),
    ]
    for v in verdicts:
        text = json.dumps(v.to_json())
        assert "hunter2-guess" not in text and "leaked-value" not in text and token not in text
        assert "supersecret" not in v.detail and "s3cr3t-value" not in v.detail


async def test_leeway_accepts_a_token_just_past_exp(verifiers, key_server: KeyServer, rsa_keys) -> None:
    token = rsa_keys["main"].sign(claims_for(key_server.issuer, exp=int(time.time()) - 60))
    assert (await verifiers["oauth"].verify(bearer(token))).ok


async def test_missing_required_claims_are_refused(verifiers, key_server: KeyServer, rsa_keys) -> None:
    sign = rsa_keys["main"].sign
    iss = key_server.issuer
    no_exp = await verifiers["oauth"].verify(bearer(sign(claims_for(iss, exp=None))))
    no_aud = await verifiers["oauth"].verify(bearer(sign(claims_for(iss, aud=None))))
    no_iss = await verifiers["oauth"].verify(bearer(sign(claims_for(iss, iss=None))))
    assert [no_exp.reason, no_aud.reason, no_iss.reason] == ["malformed", "wrong_audience", "wrong_issuer"]


def test_header_name_is_case_insensitive() -> None:
    import asyncio

    verdict = asyncio.run(build_verifier(HEADER).verify(request_with(("X-API-KEY", "s3cr3t-value"))))
    assert verdict.ok


@pytest.mark.parametrize(
    "issuer, ok",
    [
        ("http://127.0.0.1:8080/oauth2/default", True),
        ("http://[::1]:8080/oauth2/default", True),
        ("http://localhost:8080/oauth2/default", True),
        ("https://dev-1.okta.com/oauth2/default", True),
        ("http://dev-1.okta.com/oauth2/default", False),
        ("http://10.0.0.5/oauth2/default", False),
        ("ftp://127.0.0.1/x", False),
    ],
)
def test_plain_http_issuers_only_on_loopback(issuer: str, ok: bool) -> None:
    if ok:
        assert build_verifier(oauth_settings(issuer)) is not None
    else:
        with pytest.raises(ConfigError) as info:
            build_verifier(oauth_settings(issuer))
        assert info.value.key == "auth.issuer"


def test_oauth_without_issuer_uses_the_local_one_or_says_what_to_set() -> None:
    settings = AuthSettings(mode="oauth")
    with pytest.raises(ConfigError, match="auth.issuer"):
        build_verifier(settings)
    verifier = build_verifier(settings, local_issuer="http://127.0.0.1:8080/oauth2/default")
    assert verifier.issuer == "http://127.0.0.1:8080/oauth2/default"
    assert verifier.keys.uri == "http://127.0.0.1:8080/oauth2/default/v1/keys"


async def test_none_mode_accepts_everything() -> None:
    verdict = await build_verifier(AuthSettings(mode="none")).verify(request_with())
    assert (verdict.ok, verdict.scheme, verdict.reason) == (True, "none", None)


@pytest.mark.parametrize("published", [True, False], ids=["alg-published", "alg-left-out"])
async def test_a_key_published_for_one_alg_refuses_a_token_signed_with_another(
    key_server: KeyServer, rsa_keys, published: bool
) -> None:
    # The same RSA key can sign RS384; only the alg its issuer published with it says that it should not.
    jwk = rsa_keys["main"].jwk()
    if not published:
        del jwk["alg"]
    key_server.keys = [jwk]
    settings = AuthSettings(mode="oauth", issuer=key_server.issuer, audience=AUDIENCE, client_id=CLIENT_ID,
                            scope=SCOPE, algorithms=("RS256", "RS384"))
    verifier = build_verifier(settings)
    token = jwt.encode(claims_for(key_server.issuer), rsa_keys["main"].private, algorithm="RS384",
                       headers={"kid": rsa_keys["main"].kid})
    try:
        verdict = await verifier.verify(bearer(token))
    finally:
        await verifier.close()
    if published:
        assert (verdict.ok, verdict.reason) == (False, "bad_signature")
        assert "the token says alg RS384 but key kid-main is for RS256" in verdict.detail
    else:
        assert verdict.ok, verdict.detail
