"""An OAuth 2.0 service app signing in to an Okta org: client credentials with private_key_jwt, DPoP when required."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from pathlib import Path
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from hookdev.errors import ConfigError, OktaError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 300
RENEW_BEFORE_S = 30.0
TOKEN_TIMEOUT_S = 15.0
DPOP_ERRORS = ("invalid_dpop_proof", "use_dpop_nonce")

TOKEN_FIXES = {
    "invalid_client": "Okta did not accept the signed client assertion: check [okta] client_id, and that the "
    "app's public key (Applications > your app > General > Public Keys) pairs with [okta] private_key",
    "invalid_scope": "the app is not granted every scope hookdev asks for: grant them on the app's "
    "Okta API Scopes tab",
    "unauthorized_client": "the app cannot use the client credentials grant: it must be an API Services app",
    "invalid_grant": "check the app's client authentication: it must be Public key / Private key",
}


def load_signing_key(path: Path) -> tuple[Any, str | None]:
    """A private key from a PEM file or a JWK (or a JWKS holding one), and its kid when the file names one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError("okta.private_key", f"cannot read {path} ({exc.strerror})") from None
    text = raw.decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
            jwk = data["keys"][0] if isinstance(data, dict) and "keys" in data else data
            key = jwt.PyJWK.from_dict(jwk)
        except (ValueError, KeyError, IndexError, TypeError, jwt.PyJWTError) as exc:
            raise ConfigError("okta.private_key", f"{path} is not a private JWK ({exc})") from None
        if "d" not in jwk:
            raise ConfigError("okta.private_key", f"{path} holds a public key; hookdev signs with the private one")
        return key.key, jwk.get("kid")
    if "PRIVATE KEY" not in text:
        raise ConfigError("okta.private_key", f"{path} is neither a PEM private key nor a JWK")
    return raw, None


def client_assertion(client_id: str, audience: str, key: Any, kid: str | None = None) -> str:
    """A private_key_jwt assertion: iss = sub = client_id, aud = the token URL, short-lived, with a unique jti."""
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now,
              "exp": now + ASSERTION_LIFETIME_S, "jti": secrets.token_urlsafe(24)}
    try:
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid} if kid else None)
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ConfigError("okta.private_key", f"is not a usable RSA private key ({exc})") from None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class DPoPKey:
    """A key pair made for this process, proving that the tokens it gets are used by it alone (RFC 9449)."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        numbers = self._key.public_key().public_numbers()
        self.jwk = {"kty": "EC", "crv": "P-256", "x": _b64(numbers.x.to_bytes(32, "big")),
                    "y": _b64(numbers.y.to_bytes(32, "big"))}

    def proof(self, method: str, url: str, *, nonce: str | None = None, token: str | None = None) -> str:
        claims: dict[str, Any] = {"htm": method.upper(), "htu": url.split("?", 1)[0].split("#", 1)[0],
                                  "iat": int(time.time()), "jti": secrets.token_urlsafe(24)}
        if nonce:
            claims["nonce"] = nonce
        if token:
            claims["ath"] = _b64(hashlib.sha256(token.encode()).digest())
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": self.jwk})


class ServiceApp:
    """Access tokens for the Okta Management API, fetched as an API Services app and renewed before they expire."""

    def __init__(self, org_url: str, client_id: str, key_path: Path, scopes: tuple[str, ...],
                 http: aiohttp.ClientSession) -> None:
        self.client_id = client_id
        self.key_path = key_path
        self.scopes = scopes
        self.token_url = org_url.rstrip("/") + "/oauth2/v1/token"
        self.http = http
        self._key: Any = None
        self._kid: str | None = None
        self._dpop: DPoPKey | None = None
        self._nonce: str | None = None
        self._token: tuple[str, str, float] | None = None
        """(token_type, access_token, expires_at)."""
        self._lock = asyncio.Lock()

    def describe(self) -> str:
        return f"OAuth 2.0 service app {self.client_id}"

    async def headers(self, method: str, url: str) -> dict[str, str]:
        token_type, token = await self._current()
        out = {"Authorization": f"{token_type} {token}"}
        if self._dpop is not None:
            out["DPoP"] = self._dpop.proof(method, url, token=token, nonce=self._nonce)
        return out

    def retry_after_401(self, headers: Any) -> bool:
        """Whether a refused call is worth one more try: a new nonce was asked for, or the token may be stale."""
        challenge = str(headers.get("WWW-Authenticate", ""))
        if "use_dpop_nonce" in challenge and headers.get("DPoP-Nonce"):
            self._nonce = headers["DPoP-Nonce"]
            return True
        if self._token is not None:
            self._token = None
            return True
        return False

    async def _current(self) -> tuple[str, str]:
        async with self._lock:
            if self._token is None or self._token[2] - RENEW_BEFORE_S < time.time():
                self._token = await self._fetch()
            return self._token[0], self._token[1]

    async def _fetch(self) -> tuple[str, str, float]:
        if self._key is None:
            self._key, self._kid = await asyncio.to_thread(load_signing_key, self.key_path)
        for _ in range(3):  # plain, then with a DPoP proof, then with the nonce Okta hands out
            status, data, headers = await self._post()
            error = data.get("error")
            if status == 400 and error in DPOP_ERRORS:
                self._dpop = self._dpop or DPoPKey()
                self._nonce = headers.get("DPoP-Nonce") or self._nonce
                continue
            break
        if status != 200 or not isinstance(data.get("access_token"), str):
            detail = data.get("error_description") or error or f"HTTP {status}"
            raise OktaError(
                f"Okta refused a token to the service app {self.client_id} ({detail})",
                status=status, code=error if isinstance(error, str) else None,
                fix=TOKEN_FIXES.get(str(error), "check [okta] client_id and private_key, or use [okta] api_token"),
            )
        lifetime = data.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool) else 300.0
        return str(data.get("token_type") or "Bearer"), data["access_token"], time.time() + seconds

    async def _post(self) -> tuple[int, dict[str, Any], Any]:
        form = {"grant_type": "client_credentials", "scope": " ".join(self.scopes),
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": client_assertion(self.client_id, self.token_url, self._key, self._kid)}
        headers = {"Accept": "application/json"}
        if self._dpop is not None:
            headers["DPoP"] = self._dpop.proof("POST", self.token_url, nonce=self._nonce)
        try:
            async with self.http.post(self.token_url, data=form, headers=headers, allow_redirects=False,
                                      timeout=aiohttp.ClientTimeout(total=TOKEN_TIMEOUT_S)) as resp:
                raw = await resp.read()
                status, resp_headers = resp.status, resp.headers
        except TimeoutError:
            raise OktaError(f"Okta's token endpoint {self.token_url} did not answer within "
                            f"{TOKEN_TIMEOUT_S:.0f} s") from None
        except aiohttp.ClientError as exc:
            raise OktaError(f"cannot reach {self.token_url} ({exc})", fix="check [okta] org_url") from None
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
        return status, data if isinstance(data, dict) else {}, resp_headers
