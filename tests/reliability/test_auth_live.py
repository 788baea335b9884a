"""Auth attacks against a live receiver in basic, header and oauth modes: none accepted, each recorded as refused."""

from __future__ import annotations

import base64
import time

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from hookdev.auth.authserver import mint_token
from hookdev.receiver.store import Filter
from tests.auth.authkit import RsaKey, b64, unsigned_token
from tests.reliability.live import TOKEN_BODY, live_session


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


BASIC_ATTACKS = [
    None, "", "Basic", "Basic ", "Basic !!!notbase64", basic("admin", "wrong"), basic("root", "supersecret"),
    basic("admin", "supersecre"), basic("admin", "supersecretX"), basic("admin", ""), basic("", "supersecret"),
    basic("admin:supersecret", ""), "Basic " + base64.b64encode(b"adminsupersecret").decode(),
    "Bearer " + base64.b64encode(b"admin:supersecret").decode(), "Basic YWRtaW46c3VwZXJzZWNyZXQ=x",
    basic("ADMIN", "SUPERSECRET"), basic("admin", "supersecret\x00"), "supersecret", "admin:supersecret",
]
HEADER_ATTACKS = [None, "", "s3cr3t-valu", "s3cr3t-value-and-more", "S3CR3T-VALUE", "Bearer s3cr3t-value",
                  "x" * 5_000, "s3cr3t-valuf"]


async def post(session, authorization: str | None, header: str = "Authorization") -> int:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers[header] = authorization
    async with aiohttp.ClientSession() as http:
        async with http.post(session.local_url + "/tokenHook", data=TOKEN_BODY, headers=headers) as resp:
            return resp.status


async def refused_everything(session, attacks: list[str | None], header: str = "Authorization") -> None:
    statuses = [await post(session, a, header) for a in attacks]
    assert statuses == [401] * len(attacks), [a for a, s in zip(attacks, statuses, strict=True) if s != 401]
    stored = session.store.list(Filter(path="/tokenHook"))
    assert len(stored) == len(attacks) and not any(e.auth.ok for e in stored)
    assert session.store.count(Filter(auth_ok=False)) == len(attacks)


async def test_basic_mode_refuses_every_attack(tmp_path):
    async with live_session(tmp_path, auth={"mode": "basic"}) as session:
        await refused_everything(session, BASIC_ATTACKS)
        assert await post(session, basic("admin", "supersecret")) == 204


async def test_header_mode_refuses_every_attack(tmp_path):
    auth = {"mode": "header", "header": "X-Api-Key", "secret": "s3cr3t-value"}
    async with live_session(tmp_path, auth=auth) as session:
        await refused_everything(session, HEADER_ATTACKS, header="X-Api-Key")
        assert await post(session, "s3cr3t-value", header="Authorization") == 401  # right secret, wrong header
        assert await post(session, "s3cr3t-value", header="X-Api-Key") == 204


@pytest.fixture(scope="module")
def attacker() -> RsaKey:
    return RsaKey("attacker", rsa.generate_private_key(public_exponent=65537, key_size=2048))


async def test_oauth_mode_refuses_every_forged_or_stale_token(tmp_path, attacker):
    async with live_session(tmp_path, auth={"mode": "oauth"}) as session:
        keys, issuer = session.keys, session.local_issuer
        settings = session.settings.authserver
        good, _ = mint_token(settings, keys, issuer, "okta-hooks", ["okta.hooks"])
        now = int(time.time())
        claims = {"iss": issuer, "aud": "api://default", "iat": now, "exp": now + 600, "cid": "okta-hooks",
                  "scp": ["okta.hooks"], "sub": "okta-hooks"}
        head, body, sig = good.split(".")
        kid = keys.active.kid
        forged_body = b64(f'{{"iss": "{issuer}", "aud": "api://default", "exp": {now + 600}, "sub": "root"}}'.encode())
        attacks = [
            None, "Bearer", "Bearer not.a.jwt", "Basic " + good, good,
            "Bearer " + unsigned_token({"alg": "none", "typ": "JWT", "kid": kid}, claims),
            "Bearer " + unsigned_token({"alg": "HS256", "typ": "JWT", "kid": kid}, claims, b"\x00" * 32),
            "Bearer " + attacker.sign(claims),  # a key the issuer never published
            "Bearer " + attacker.sign(claims, kid=kid),  # the issuer's kid, the attacker's signature
            "Bearer " + f"{head}.{forged_body}.{sig}",  # claims swapped under a valid signature
            "Bearer " + f"{head}.{body}.{sig[:-4]}AAAA",  # signature altered
            "Bearer " + mint_token(settings, keys, issuer, "okta-hooks", ["okta.hooks"], now=now - 7200)[0],  # expired
            "Bearer " + mint_token(settings, keys, "http://127.0.0.1:1/oauth2/default", "okta-hooks",
                                   ["okta.hooks"])[0],
            "Bearer " + mint_token(settings.__class__(audience="api://other"), keys, issuer, "okta-hooks",
                                   ["okta.hooks"])[0],
        ]
        await refused_everything(session, attacks)
        assert await post(session, "Bearer " + good) == 204
