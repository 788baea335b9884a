"""The local authorization server: discovery, keys, each client authentication, and its tokens verified twice."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization

from hookdev.auth.authserver import create_authserver_app
from hookdev.auth.keys import KeyStore
from hookdev.auth.verifiers import build_verifier
from hookdev.config import AuthServerSettings, AuthSettings, ClientSettings
from hookdev.errors import ConfigError
from tests.auth.authkit import RsaKey, bearer

PREFIX = "/oauth2/default"
SECRET = "client-s3cret"


@pytest.fixture(scope="module")
def signing_keys() -> KeyStore:
    return KeyStore.in_memory()


def server_settings() -> AuthServerSettings:
    return AuthServerSettings(
        scopes=("okta.hooks", "okta.other"),
        clients=(
            ClientSettings("okta-hooks", client_secret=SECRET),
            ClientSettings("pkj-pem", public_key="client.pub.pem"),
            ClientSettings("pkj-jwks", public_key="client.jwks.json"),
        ),
    )


@pytest.fixture
async def client(aiohttp_client: Any, tmp_path, rsa_keys, signing_keys: KeyStore):
    public = rsa_keys["next"].private.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "client.pub.pem").write_bytes(pem)
    (tmp_path / "client.jwks.json").write_text(json.dumps({"keys": [rsa_keys["next"].jwk()]}))
    root = web.Application()
    root.add_subapp(PREFIX, create_authserver_app(server_settings(), signing_keys, base_dir=tmp_path))
    return await aiohttp_client(root)


def url(client: Any, path: str = "") -> str:
    return str(client.make_url(PREFIX + path))


def assertion(client: Any, key: RsaKey, client_id: str, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": url(client, "/v1/token"), "iat": now, "exp": now + 300,
              "jti": secrets.token_hex(8)}
    claims.update(changes)
    return key.sign({k: v for k, v in claims.items() if v is not None})


async def token_call(client: Any, data: dict[str, str], auth: Any = None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()} if auth else {}
    resp = await client.post(PREFIX + "/v1/token", data=data, headers=headers)
    return resp.status, await resp.json()


def pkj(client: Any, key: RsaKey, client_id: str = "pkj-pem", **changes: Any) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion(client, key, client_id, **changes),
    }


async def test_discovery_names_the_endpoints(client) -> None:
    doc = await (await client.get(PREFIX + "/.well-known/oauth-authorization-server")).json()
    oidc = await (await client.get(PREFIX + "/.well-known/openid-configuration")).json()
    assert doc["issuer"] == url(client) and doc["token_endpoint"] == url(client, "/v1/token")
    assert doc["jwks_uri"] == url(client, "/v1/keys") and oidc["issuer"] == doc["issuer"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post", "private_key_jwt"
    }


async def test_issuer_follows_a_tunnel(client) -> None:
    resp = await client.get(PREFIX + "/.well-known/oauth-authorization-server",
                            headers={"X-Forwarded-Proto": "https", "Host": "abc.ngrok.app"})
    assert (await resp.json())["issuer"] == "https://abc.ngrok.app/oauth2/default"


async def test_keys_are_public_and_cacheable(client, signing_keys: KeyStore) -> None:
    resp = await client.get(PREFIX + "/v1/keys")
    body = await resp.json()
    assert "max-age=300" in resp.headers["Cache-Control"]
    assert [k["kid"] for k in body["keys"]] == [signing_keys.active.kid]
    assert "d" not in body["keys"][0] and body["keys"][0]["alg"] == "RS256"


async def test_each_client_authentication_method_gets_a_token(client, rsa_keys) -> None:
    results = [
        await token_call(client, {"grant_type": "client_credentials"}, auth=("okta-hooks", SECRET)),
        await token_call(
            client, {"grant_type": "client_credentials", "client_id": "okta-hooks", "client_secret": SECRET}
        ),
        await token_call(client, pkj(client, rsa_keys["next"], "pkj-pem")),
        await token_call(client, pkj(client, rsa_keys["next"], "pkj-jwks")),
    ]
    assert [status for status, _ in results] == [200, 200, 200, 200]
    cids = [jwt.decode(body["access_token"], options={"verify_signature": False})["cid"] for _, body in results]
    assert cids == ["okta-hooks", "okta-hooks", "pkj-pem", "pkj-jwks"]
    assert all(body["token_type"] == "Bearer" and body["expires_in"] == 3600 for _, body in results)


@pytest.mark.parametrize(
    "case, status, error",
    [
        ("bad secret basic", 401, "invalid_client"),
        ("bad secret post", 401, "invalid_client"),
        ("unknown client", 401, "invalid_client"),
        ("no client auth", 401, "invalid_client"),
        ("assertion signed by another key", 401, "invalid_client"),
        ("assertion for another audience", 401, "invalid_client"),
        ("assertion expired", 401, "invalid_client"),
        ("assertion sub differs", 401, "invalid_client"),
        ("secret client tries an assertion", 401, "invalid_client"),
        ("unknown grant", 400, "unsupported_grant_type"),
        ("scope not offered", 400, "invalid_scope"),
    ],
)
async def test_token_endpoint_refusals(client, rsa_keys, case: str, status: int, error: str) -> None:
    ok_form = {"grant_type": "client_credentials"}
    calls = {
        "bad secret basic": lambda: token_call(client, ok_form, auth=("okta-hooks", "nope")),
        "bad secret post": lambda: token_call(client, {**ok_form, "client_id": "okta-hooks", "client_secret": "nope"}),
        "unknown client": lambda: token_call(client, ok_form, auth=("ghost", SECRET)),
        "no client auth": lambda: token_call(client, ok_form),
        "assertion signed by another key": lambda: token_call(client, pkj(client, rsa_keys["attacker"])),
        "assertion for another audience": lambda: token_call(client, pkj(client, rsa_keys["next"], aud="https://elsewhere/v1/token")),
        "assertion expired": lambda: token_call(client, pkj(client, rsa_keys["next"], exp=int(time.time()) - 600)),
        "assertion sub differs": lambda: token_call(client, pkj(client, rsa_keys["next"], sub="someone")),
        "secret client tries an assertion": lambda: token_call(client, pkj(client, rsa_keys["next"], "okta-hooks")),
        "unknown grant": lambda: token_call(client, {"grant_type": "password"}, auth=("okta-hooks", SECRET)),
        "scope not offered": lambda: token_call(
            client, {**ok_form, "scope": "okta.hooks admin"}, auth=("okta-hooks", SECRET)
        ),
    }
    got_status, body = await calls[case]()
    assert (got_status, body["error"]) == (status, error)
    assert body["error_description"] and SECRET not in body["error_description"]


async def test_replayed_assertion_is_refused(client, rsa_keys) -> None:
    form = pkj(client, rsa_keys["next"])
    first, _ = await token_call(client, form)
    second, body = await token_call(client, form)
    assert (first, second, body["error"]) == (200, 401, "invalid_client")
    assert "already used" in body["error_description"]


async def test_scopes_default_to_all_and_narrow_on_request(client) -> None:
    creds = ("okta-hooks", SECRET)
    _, all_scopes = await token_call(client, {"grant_type": "client_credentials"}, auth=creds)
    _, one = await token_call(client, {"grant_type": "client_credentials", "scope": "okta.other"}, auth=creds)
    scp = lambda body: jwt.decode(body["access_token"], options={"verify_signature": False})["scp"]  # noqa: E731
    assert (scp(all_scopes), all_scopes["scope"]) == (["okta.hooks", "okta.other"], "okta.hooks okta.other")
    assert scp(one) == ["okta.other"]


async def test_tokens_verify_with_hookdev_and_independently(client) -> None:
    _, body = await token_call(
        client, {"grant_type": "client_credentials", "scope": "okta.hooks"}, auth=("okta-hooks", SECRET)
    )
    token = body["access_token"]
    issuer = url(client)

    verifier = build_verifier(
        AuthSettings(mode="oauth", issuer=issuer, audience="api://default", client_id="okta-hooks", scope="okta.hooks")
    )
    try:
        verdict = await verifier.verify(bearer(token))
    finally:
        await verifier.close()
    assert verdict.ok, verdict.detail

    # Independent check 1: keys fetched with aiohttp, signature and claims checked by PyJWT directly.
    keyset = await (await client.get(PREFIX + "/v1/keys")).json()
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in keyset["keys"] if k["kid"] == kid)
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience="api://default", issuer=issuer,
                        options={"require": ["exp", "iss", "aud", "iat"]})
    # Independent check 2: PyJWT's own (blocking) key client, kept off the event loop in a thread.
    signing = await asyncio.to_thread(jwt.PyJWKClient(url(client, "/v1/keys")).get_signing_key_from_jwt, token)
    claims2 = jwt.decode(token, signing.key, algorithms=["RS256"], audience="api://default", issuer=issuer)
    assert claims == claims2
    assert set(claims) == {"ver", "jti", "iss", "aud", "iat", "exp", "cid", "scp", "sub"}
    assert claims["ver"] == 1 and claims["jti"].startswith("AT.") and claims["sub"] == claims["cid"] == "okta-hooks"
    assert claims["exp"] - claims["iat"] == 3600


def test_a_client_public_key_that_is_not_a_key_is_a_config_error(tmp_path, signing_keys: KeyStore) -> None:
    (tmp_path / "bad.pem").write_text("hello")
    settings = AuthServerSettings(clients=(ClientSettings("c", public_key="bad.pem"),))
    with pytest.raises(ConfigError) as info:
        create_authserver_app(settings, signing_keys, base_dir=tmp_path)
    assert "authserver.clients[c].public_key" in str(info.value)
    with pytest.raises(ConfigError, match="cannot read"):
        missing = AuthServerSettings(clients=(ClientSettings("c", public_key="missing.pem"),))
        create_authserver_app(missing, signing_keys, base_dir=tmp_path)


async def test_fixed_issuer_accepts_assertions_for_the_tunnel_url(
    aiohttp_client, tmp_path, rsa_keys, signing_keys: KeyStore
) -> None:
    pem = rsa_keys["next"].private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings = AuthServerSettings(clients=(ClientSettings("pkj", public_key=pem.decode()),))
    root = web.Application()
    root.add_subapp(PREFIX, create_authserver_app(settings, signing_keys, issuer="http://127.0.0.1:8080/oauth2/default"))
    client = await aiohttp_client(root)
    form = pkj(client, rsa_keys["next"], "pkj", aud="https://abc.ngrok.app/oauth2/default/v1/token")
    resp = await client.post(
        PREFIX + "/v1/token", data=form, headers={"X-Forwarded-Proto": "https", "Host": "abc.ngrok.app"}
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["iss"] == "http://127.0.0.1:8080/oauth2/default"
