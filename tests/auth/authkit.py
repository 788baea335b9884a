"""Helpers of the auth tests: RSA keys, a counting key server, a fake clock, hand-built tokens."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from hookdev.models import RequestSnapshot

AUDIENCE = "api://default"
CLIENT_ID = "okta-hooks"
SCOPE = "okta.hooks"


@dataclass
class RsaKey:
    kid: str
    private: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid, "n": jwk["n"], "e": jwk["e"]}

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid, **headers})


@dataclass
class KeyServer:
    """The issuer side: a key set, its Cache-Control, and how often it was fetched."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    cache_control: str | None = "max-age=300"
    gate: asyncio.Event | None = None
    """When set, each key set request waits until the gate opens."""
    fetches: int = 0
    base: str = ""

    @property
    def issuer(self) -> str:
        return self.base + "/oauth2/default"

    def app(self) -> web.Application:
        async def keys(request: web.Request) -> web.Response:
            self.fetches += 1
            if self.gate is not None:
                await self.gate.wait()
            headers = {"Cache-Control": self.cache_control} if self.cache_control else {}
            return web.json_response({"keys": self.keys}, headers=headers)

        app = web.Application()
        app.router.add_get("/oauth2/default/v1/keys", keys)
        return app


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def claims_for(issuer: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "ver": 1,
        "jti": "AT.test",
        "iss": issuer,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 3600,
        "cid": CLIENT_ID,
        "scp": [SCOPE],
        "sub": CLIENT_ID,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)])


def request_with(*headers: tuple[str, str]) -> RequestSnapshot:
    return RequestSnapshot(method="POST", path="/tokenHook", headers=tuple(headers), body=b"{}", remote="127.0.0.1")


def bearer(token: str) -> RequestSnapshot:
    return request_with(("Authorization", f"Bearer {token}"))
