"""OAuth client side of acting as Okta: fetch client_credentials tokens and cache them until they expire."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from hookdev.errors import SendError

SKEW_S = 30.0
"""A cached token is renewed this long before it expires, so it never expires on the way to the receiver."""
TOKEN_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_at: float | None
    """Epoch seconds; None when the token endpoint gave no lifetime (then it is used once, not cached)."""
    token_url: str
    client_id: str
    fresh: bool = True
    """True when fetched for this call, False when it came from the cache."""

    def lifetime_note(self, now: float | None = None) -> str:
        if self.expires_at is None:
            return "with no stated lifetime"
        left = self.expires_at - (time.time() if now is None else now)
        return f"valid for {ago(left)}"


def ago(seconds: float) -> str:
    """A duration for people: 45 s, 12 min, 3 h, 2 d."""
    seconds = abs(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT read without verifying it (only to know when to renew), or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


Fetcher = Callable[[], Awaitable[Token]]


class TokenCache:
    """Tokens per (token_url, client_id, scope), reused until SKEW_S before they expire, as Okta does."""

    def __init__(self, skew: float = SKEW_S) -> None:
        self.skew = skew
        self._tokens: dict[tuple[str, str, str], Token] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self.fetches = 0

    async def get(self, key: tuple[str, str, str], fetch: Fetcher) -> Token:
        """The cached token for key, or a new one from fetch(); concurrent callers share one fetch."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(key)
            if cached is not None and cached.expires_at is not None and cached.expires_at - self.skew > time.time():
                return Token(cached.value, cached.expires_at, cached.token_url, cached.client_id, fresh=False)
            token = await fetch()
            self.fetches += 1
            if token.expires_at is not None:
                self._tokens[key] = token
            else:
                self._tokens.pop(key, None)
            return token

    def clear(self) -> None:
        self._tokens.clear()


async def fetch_token(
    http: aiohttp.ClientSession, token_url: str, form: dict[str, str], client_id: str
) -> Token:
    """POST a client_credentials request; raise SendError saying what the token endpoint objected to."""
    try:
        async with http.post(
            token_url,
            data=form,
            headers={"Accept": "application/json"},
            timeout=aiohttp.ClientTimeout(total=TOKEN_TIMEOUT_S),
            allow_redirects=False,
        ) as resp:
            raw = await resp.read()
            status = resp.status
    except TimeoutError:
        raise SendError(f"the token endpoint {token_url} did not answer within {TOKEN_TIMEOUT_S:.0f} s") from None
    except aiohttp.ClientError as exc:
        raise SendError(
            f"cannot reach the token endpoint {token_url} ({exc}); is the authorization server running? "
            "Set [auth] token_url to the right one"
        ) from None
    data = _json_object(raw)
    if status != 200:
        reason = data.get("error_description") or data.get("error") or raw[:200].decode("utf-8", "replace")
        raise SendError(f"the token endpoint {token_url} refused client {client_id!r} with HTTP {status}: {reason}")
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise SendError(f"the token endpoint {token_url} answered 200 without an access_token")
    expires_in = data.get("expires_in")
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0:
        expires_at: float | None = time.time() + float(expires_in)
    else:
        expires_at = jwt_expiry(token)
    return Token(token, expires_at, token_url, client_id)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
