"""The local OAuth 2.0 authorization server: discovery, key set and client_credentials token endpoint."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization

from hookdev.auth.keys import KeyStore
from hookdev.config import AuthServerSettings, ClientSettings
from hookdev.errors import ConfigError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
KEYS_MAX_AGE = 300
"""Cache-Control max-age of /v1/keys; a rotation's grace period should be longer than this."""
ASSERTION_LEEWAY = 60
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    secret: str
    public_keys: tuple[Any, ...]
    """Public keys accepted for private_key_jwt assertions (PyJWK or cryptography keys)."""


class OAuthError(Exception):
    """An RFC 6749 error answer; raised inside a handler and turned into JSON at its edge."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(slots=True)
class _State:
    settings: AuthServerSettings
    keys: KeyStore
    issuer: str | None
    clients: dict[str, Client]
    used_jti: dict[str, float]
    """jti of accepted client assertions -> their exp, so an assertion cannot be replayed."""


STATE = web.AppKey("hookdev_authserver", _State)


def create_authserver_app(
    settings: AuthServerSettings,
    keys: KeyStore,
    issuer: str | None = None,
    *,
    base_dir: Path = Path("."),
) -> web.Application:
    """An aiohttp app to mount with app.add_subapp(settings.path, sub), or to run on its own.

    With issuer None, the issuer is derived from each request (X-Forwarded-Proto, Host, mount prefix), so
    it is right through a tunnel too. Client public keys (PEM or JWKS files) resolve against base_dir.
    """
    clients = {c.client_id: _load_client(c, base_dir) for c in settings.clients}
    app = web.Application()
    app[STATE] = _State(settings, keys, issuer.rstrip("/") if issuer else None, clients, {})
    app.router.add_get("/.well-known/oauth-authorization-server", _discovery)
    app.router.add_get("/.well-known/openid-configuration", _discovery)
    app.router.add_get("/v1/keys", _keys)
    app.router.add_post("/v1/token", _token)
    return app


def _load_client(client: ClientSettings, base_dir: Path) -> Client:
    keys: tuple[Any, ...] = ()
    if client.public_key:
        keys = _load_public_keys(client.public_key, base_dir, client.client_id)
    return Client(client.client_id, client.client_secret, keys)


def _load_public_keys(value: str, base_dir: Path, client_id: str) -> tuple[Any, ...]:
    key = f"authserver.clients[{client_id}].public_key"
    text = value
    if "-----BEGIN" not in value and not value.lstrip().startswith("{"):
        path = Path(value).expanduser()
        path = path if path.is_absolute() else base_dir / path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                key, f"cannot read {path} ({exc.strerror}); give a PEM public key or a JWKS file"
            ) from exc
    try:
        if "-----BEGIN" in text:
            return (serialization.load_pem_public_key(text.encode("ascii")),)
        data = json.loads(text)
        return tuple(jwt.PyJWKSet.from_dict(data if "keys" in data else {"keys": [data]}).keys)
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ConfigError(
            key, f"is neither a PEM public key nor a JWKS ({exc}); export the client's public key again"
        ) from exc


def issuer_of(request: web.Request, suffix: str) -> str:
    """The fixed issuer, else the one the caller sees: forwarded scheme, Host, and the mount prefix."""
    return request.app[STATE].issuer or seen_issuer(request, suffix)


def seen_issuer(request: web.Request, suffix: str) -> str:
    proto = (request.headers.get("X-Forwarded-Proto") or request.scheme).split(",")[0].strip()
    host = (request.headers.get("X-Forwarded-Host") or request.host).split(",")[0].strip()
    path = request.rel_url.path
    prefix = path[: -len(suffix)] if path.endswith(suffix) else ""
    return f"{proto}://{host}{prefix}".rstrip("/")


async def _discovery(request: web.Request) -> web.Response:
    state = request.app[STATE]
    suffix = "/.well-known/" + request.rel_url.path.rsplit("/.well-known/", 1)[-1]
    issuer = issuer_of(request, suffix)
    return web.json_response(
        {
            "issuer": issuer,
            "token_endpoint": f"{issuer}/v1/token",
            "jwks_uri": f"{issuer}/v1/keys",
            "grant_types_supported": ["client_credentials"],
            "response_types_supported": ["token"],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
            "scopes_supported": list(state.settings.scopes),
            "claims_supported": ["ver", "jti", "iss", "aud", "iat", "exp", "cid", "scp", "sub"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
    )


async def _keys(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.keys.refresh()
    return web.json_response(
        state.keys.jwks(), headers={"Cache-Control": f"max-age={KEYS_MAX_AGE}, must-revalidate"}
    )


async def _token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        form = await request.post()
        # An assertion's aud is the token URL the client used (maybe through a tunnel) or the issuer's own.
        issuers = (issuer_of(request, "/v1/token"), seen_issuer(request, "/v1/token"))
        token_urls = list(dict.fromkeys(u + "/v1/token" for u in issuers))
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        grant = fields.get("grant_type")
        if not grant:
            raise OAuthError("invalid_request", "grant_type is missing; send grant_type=client_credentials")
        if grant != "client_credentials":
            raise OAuthError(
                "unsupported_grant_type",
                f"grant_type {grant[:60]} is not supported; this server issues client_credentials tokens",
            )
        client = _authenticate(state, request, fields, token_urls)
        scopes = _granted_scopes(state.settings, fields.get("scope", ""))
    except OAuthError as exc:
        return _error(exc)
    state.keys.refresh()
    token, lifetime = mint_token(state.settings, state.keys, issuer_of(request, "/v1/token"), client.client_id, scopes)
    return web.json_response(
        {"token_type": "Bearer", "expires_in": lifetime, "access_token": token, "scope": " ".join(scopes)},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def mint_token(
    settings: AuthServerSettings, keys: KeyStore, issuer: str, client_id: str, scopes: list[str],
    now: float | None = None,
) -> tuple[str, int]:
    """An access token shaped like an Okta custom authorization server's, signed RS256 with the active key."""
    iat = int(time.time() if now is None else now)
    claims = {
        "ver": 1,
        "jti": "AT." + secrets.token_urlsafe(24),
        "iss": issuer,
        "aud": settings.audience,
        "iat": iat,
        "exp": iat + settings.token_lifetime,
        "cid": client_id,
        "scp": scopes,
        "sub": client_id,  # client_credentials: the client is the subject, and there is no uid
    }
    key = keys.active
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid}), settings.token_lifetime


def _error(exc: OAuthError) -> web.Response:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="hookdev"'
    return web.json_response(
        {"error": exc.error, "error_description": exc.description}, status=exc.status, headers=headers
    )


def _invalid_client(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, status=401)


def _authenticate(state: _State, request: web.Request, fields: dict[str, str], token_urls: list[str]) -> Client:
    basic = request.headers.get("Authorization", "")
    used = [
        name
        for name, present in (
            ("client_secret_basic", basic.lower().startswith("basic ")),
            ("client_secret_post", "client_secret" in fields),
            ("private_key_jwt", "client_assertion" in fields),
        )
        if present
    ]
    if len(used) > 1:
        raise OAuthError("invalid_request", f"use one client authentication method, got {', '.join(used)}")
    if not used:
        raise _invalid_client(
            "no client authentication; use client_secret_basic, client_secret_post or private_key_jwt"
        )
    if used[0] == "client_secret_basic":
        client_id, secret = _basic_credentials(basic)
        return _check_secret(state, client_id, secret)
    if used[0] == "client_secret_post":
        return _check_secret(state, fields.get("client_id", ""), fields["client_secret"])
    return _check_assertion(state, fields, token_urls)


def _basic_credentials(header: str) -> tuple[str, str]:
    try:
        raw = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, IndexError):
        raise _invalid_client("the Basic credential is not base64 of client_id:client_secret") from None
    client_id, sep, secret = raw.partition(":")
    if not sep:
        raise _invalid_client("the Basic credential is not base64 of client_id:client_secret")
    # RFC 6749 2.3.1: both parts are form-urlencoded before base64
    return unquote_plus(client_id), unquote_plus(secret)


def _check_secret(state: _State, client_id: str, secret: str) -> Client:
    client = state.clients.get(client_id)
    expected = client.secret if client and client.secret else secrets.token_hex(16)
    ok = hmac.compare_digest(secret.encode("utf-8"), expected.encode("utf-8"))  # compared even for unknown ids
    if client is None:
        raise _invalid_client(f"unknown client_id {client_id[:80]!r}; register it under [[authserver.clients]]")
    if not client.secret:
        raise _invalid_client(f"client {client_id} has no client_secret; it authenticates with private_key_jwt")
    if not ok:
        raise _invalid_client(f"wrong client_secret for {client_id}; use the one in [[authserver.clients]]")
    return client


def _check_assertion(state: _State, fields: dict[str, str], token_urls: list[str]) -> Client:
    if fields.get("client_assertion_type") != ASSERTION_TYPE:
        raise _invalid_client(f"client_assertion_type must be {ASSERTION_TYPE}")
    assertion = fields["client_assertion"]
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise _invalid_client("client_assertion is not a decodable JWT") from None
    client_id = fields.get("client_id") or str(unverified.get("iss", ""))
    client = state.clients.get(client_id)
    if client is None or not client.public_keys:
        raise _invalid_client(f"client {client_id[:80]!r} has no registered public_key for private_key_jwt")
    claims = _verify_assertion(assertion, header, client, token_urls)
    now = time.time()
    for jti, exp in list(state.used_jti.items()):
        if exp + ASSERTION_LEEWAY < now:
            del state.used_jti[jti]
    jti = str(claims["jti"])
    if jti in state.used_jti:
        raise _invalid_client(
            f"client_assertion jti {jti[:80]} was already used; sign a new assertion with a fresh jti for every request"
        )
    state.used_jti[jti] = float(claims["exp"])
    return client


def _verify_assertion(assertion: str, header: dict[str, Any], client: Client, token_urls: list[str]) -> dict[str, Any]:
    kid = header.get("kid")
    candidates = [
        k for k in client.public_keys if not isinstance(k, jwt.PyJWK) or not kid or k.key_id in (None, kid)
    ]
    last = "no key of the client matches the assertion's kid"
    for key in candidates:
        try:
            claims = jwt.decode(
                assertion,
                key.key if isinstance(key, jwt.PyJWK) else key,
                algorithms=ASSERTION_ALGS,
                audience=token_urls,
                issuer=client.client_id,
                leeway=ASSERTION_LEEWAY,
                options={"require": ["exp", "iss", "sub", "aud", "jti"]},
            )
        except jwt.InvalidSignatureError:
            last = "the client_assertion signature does not match the client's registered public key"
            continue
        except jwt.InvalidAudienceError:
            raise _invalid_client(f"client_assertion aud must be the token endpoint {token_urls[-1]}") from None
        except jwt.PyJWTError as exc:
            raise _invalid_client(f"client_assertion rejected: {exc}") from None
        if claims.get("sub") != client.client_id:
            raise _invalid_client(f"client_assertion sub must equal iss and the client_id {client.client_id}")
        return claims
    raise _invalid_client(last)


def _granted_scopes(settings: AuthServerSettings, requested: str) -> list[str]:
    allowed = list(settings.scopes)
    wanted = requested.split()
    if not wanted:
        return allowed
    extra = [s for s in wanted if s not in allowed]
    if extra:
        raise OAuthError(
            "invalid_scope",
            f"scope {' '.join(extra)[:120]} is not offered; allowed: {' '.join(allowed) or 'none'} (authserver.scopes)",
        )
    return list(dict.fromkeys(wanted))
