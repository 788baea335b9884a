"""The signing key file (0600, reused) and rotation with a grace period; Basic from a Glitch-style .env."""

from __future__ import annotations

import base64
import stat
import time

import jwt
from aiohttp import web

from hookdev.auth.authserver import create_authserver_app, mint_token
from hookdev.auth.keys import KeyStore
from hookdev.auth.verifiers import build_verifier
from hookdev.config import AuthServerSettings, AuthSettings, load_settings
from tests.auth.authkit import request_with


def test_key_file_is_created_0600_in_a_new_folder_and_reused(tmp_path) -> None:
    path = tmp_path / ".hookdev" / "keys.json"
    first = KeyStore.load(path)
    again = KeyStore.load(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert again.active.kid == first.active.kid
    assert "PRIVATE KEY" in path.read_text() and not list(path.parent.glob("*.tmp"))


def test_rotation_keeps_the_old_key_published_until_grace_ends(tmp_path) -> None:
    path = tmp_path / "keys.json"
    store = KeyStore.load(path)
    old = store.active.kid
    now = time.time()
    new = store.rotate(3600, now=now)
    assert store.active.kid == new.kid != old
    assert [k["kid"] for k in store.jwks(now=now + 10)["keys"]] == [new.kid, old]
    assert [k["kid"] for k in store.jwks(now=now + 3601)["keys"]] == [new.kid]
    reloaded = KeyStore.load(path)
    assert reloaded.active.kid == new.kid and stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_tokens_of_the_old_key_verify_during_grace(aiohttp_client, tmp_path) -> None:
    path = tmp_path / "keys.json"
    serving = KeyStore.load(path)
    settings = AuthServerSettings()
    root = web.Application()
    root.add_subapp("/oauth2/default", create_authserver_app(settings, serving))
    client = await aiohttp_client(root)
    issuer = str(client.make_url("/oauth2/default"))
    before, _ = mint_token(settings, serving, issuer, "okta-hooks", ["okta.hooks"])

    other_process = KeyStore.load(path)  # `hookdev authserver rotate` runs in another process
    new = other_process.rotate(600)
    keys = await (await client.get("/oauth2/default/v1/keys")).json()
    after, _ = mint_token(settings, serving, issuer, "okta-hooks", ["okta.hooks"])

    verifier = build_verifier(AuthSettings(mode="oauth", issuer=issuer))
    try:
        verdicts = [await verifier.verify(request_with(("Authorization", f"Bearer {t}"))) for t in (before, after)]
    finally:
        await verifier.close()
    assert len(keys["keys"]) == 2 and keys["keys"][0]["kid"] == new.kid
    assert jwt.get_unverified_header(after)["kid"] == new.kid != jwt.get_unverified_header(before)["kid"]
    assert [v.ok for v in verdicts] == [True, True]


async def test_glitch_env_user_and_password_work_for_basic(tmp_path) -> None:
    (tmp_path / ".env").write_text("# from the Glitch sample\nUSER=hookuser\nPASSWORD='hook pass:word'\n")
    settings = load_settings(cwd=tmp_path, environ={"USER": "login-name"})
    verifier = build_verifier(settings.auth)

    def basic(user: str, password: str):
        return request_with(("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()))

    good = await verifier.verify(basic("hookuser", "hook pass:word"))
    default = await verifier.verify(basic("admin", "supersecret"))
    assert settings.auth.mode == "basic" and good.ok
    assert (default.ok, default.reason) == (False, "bad_credentials")


async def test_glitch_env_with_empty_environment(tmp_path) -> None:
    (tmp_path / ".env").write_text("USER=alice\nPASSWORD=s3cret\n")
    settings = load_settings(cwd=tmp_path, environ={})
    verdict = await build_verifier(settings.auth).verify(
        request_with(("Authorization", "Basic " + base64.b64encode(b"alice:s3cret").decode()))
    )
    assert verdict.ok and verdict.scheme == "basic"
