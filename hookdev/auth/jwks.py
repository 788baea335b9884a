"""Async cache of an issuer's JSON Web Key Set: aiohttp fetch, Cache-Control TTL, guarded refetch on unknown kid."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import aiohttp
from jwt import PyJWK
from jwt.exceptions import PyJWTError

from hookdev.loopback import is_loopback_host

MIN_TTL = 60.0
MAX_TTL = 24 * 3600.0
DEFAULT_TTL = 300.0
DEFAULT_COOLDOWN = 30.0
"""After a refetch caused by an unknown kid, further unknown kids wait this long: a flood of forged kids
cannot turn hookdev into a hammer against the issuer."""
DEFAULT_TIMEOUT = 2.0
"""Short enough that a hung issuer still gives a verdict inside Okta's 3 s budget."""

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def url_problem(url: str) -> str | None:
    """Why a key-set or issuer URL is unsafe to trust, or None: https anywhere, plain http on loopback only."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        if is_loopback_host(parts.hostname):
            return None
        return (
            f"{url} is plain http on a non-loopback host: anyone on the path could swap the keys. "
            "Use https://, or http:// only on 127.0.0.1 / ::1 / localhost"
        )
    return f"{url} is not an http(s) URL with a host, e.g. https://dev-123.okta.com/oauth2/default"


def ttl_from_cache_control(value: str | None) -> float:
    """Seconds to keep a key set: max-age clamped to [1 min, 24 h]; 5 min when the issuer says nothing."""
    if not value:
        return DEFAULT_TTL
    match = _MAX_AGE.search(value)
    if not match:
        return DEFAULT_TTL
    return min(max(float(match.group(1)), MIN_TTL), MAX_TTL)


@dataclass(frozen=True, slots=True)
class KeyLookup:
    """A key for a kid, or why there is none (an expected negative, not an exception)."""

    key: PyJWK | None
    reason: Literal["unknown_kid", "jwks_unavailable"] | None = None
    detail: str = ""


class KeySetCache:
    """Keys of one issuer by kid; one fetch at a time, shared by every caller waiting on it."""

    def __init__(
        self,
        uri: str,
        *,
        discovery_uris: Sequence[str] = (),
        http: aiohttp.ClientSession | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        cooldown: float = DEFAULT_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uri = uri
        self._discovery = tuple(discovery_uris)
        """Tried in order when `uri` answers 404; the jwks_uri they name replaces `uri`."""
        self._http = http
        self._own_http: aiohttp.ClientSession | None = None
        self._timeout = timeout
        self._cooldown = cooldown
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._published: dict[str, dict[str, object]] = {}
        """Each key as the issuer published it: a refetch that brings the same key keeps the same PyJWK."""
        self.generation = 0
        """Goes up each time a key is added, changed or dropped, so caches of verified tokens can re-check."""
        self._expires = float("-inf")
        self._last_miss_fetch: float | None = None
        self._inflight: asyncio.Task[str | None] | None = None
        self.fetches = 0
        """HTTP requests made for key sets (and discovery), for diagnostics and tests."""

    async def get(self, kid: str | None) -> KeyLookup:
        now = self._clock()
        fetched_now = False
        if now >= self._expires:
            error = await self._refresh()
            fetched_now = True
            if error and not self._keys:
                return KeyLookup(None, "jwks_unavailable", self._unavailable(error))
        key = self._find(kid)
        if key is not None:
            return KeyLookup(key)
        if self._inflight is not None:
            await self._refresh()  # someone is already fetching: share that answer
        elif fetched_now:
            self._last_miss_fetch = now  # this call's fetch counts as the unknown-kid refetch
        elif self._last_miss_fetch is None or now - self._last_miss_fetch >= self._cooldown:
            self._last_miss_fetch = now
            error = await self._refresh()
            if error:
                return KeyLookup(None, "jwks_unavailable", self._unavailable(error))
        else:
            wait = self._cooldown - (now - self._last_miss_fetch)
            return KeyLookup(None, "unknown_kid", self._unknown(kid, f"next refetch allowed in {wait:.0f} s"))
        key = self._find(kid)
        if key is not None:
            return KeyLookup(key)
        return KeyLookup(None, "unknown_kid", self._unknown(kid, "the key set was just refetched"))

    async def close(self) -> None:
        if self._inflight is not None:
            self._inflight.cancel()
        if self._own_http is not None:
            await self._own_http.close()
            self._own_http = None

    def published_alg(self, key: PyJWK) -> str | None:
        """The alg the issuer published with `key` (a JWK may leave it out, and PyJWK then guesses one)."""
        alg = self._published.get(key.key_id or "", {}).get("alg")
        return alg if isinstance(alg, str) else None

    def holds(self, key: PyJWK) -> bool:
        """Whether `key` (an object this cache handed out) is still in the issuer's key set."""
        return self._keys.get(key.key_id or "") is key

    def _install(self, keys: dict[str, tuple[PyJWK, dict[str, object]]]) -> None:
        kept = {kid: self._keys[kid] for kid, (_, jwk) in keys.items() if self._published.get(kid) == jwk}
        if len(kept) != len(keys) or len(kept) != len(self._keys):
            self.generation += 1
        self._keys = {kid: kept.get(kid, key) for kid, (key, _) in keys.items()}
        self._published = {kid: jwk for kid, (_, jwk) in keys.items()}

    def _find(self, kid: str | None) -> PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def _unknown(self, kid: str | None, when: str) -> str:
        known = ", ".join(sorted(self._keys)) or "none"
        if kid is None:
            return (
                f"the token header has no kid and the key set at {self.uri} holds {len(self._keys)} keys; "
                "mint the token with a kid from that key set"
            )
        return (
            f"kid {kid} is not in the key set at {self.uri} (known: {known}; {when}). The token was signed by "
            "another issuer or a key not yet published; check auth.issuer / auth.jwks_uri"
        )

    def _unavailable(self, error: str) -> str:
        return (
            f"cannot get the issuer's keys: {error}. Start the issuer or fix auth.issuer / auth.jwks_uri; "
            "the next call retries"
        )

    async def _refresh(self) -> str | None:
        task = self._inflight
        if task is None:
            task = self._inflight = asyncio.create_task(self._fetch())
            task.add_done_callback(self._fetch_done)
        # shield: a caller that gives up (client hung up) must not cancel the fetch others wait on
        return await asyncio.shield(task)

    def _fetch_done(self, task: asyncio.Task[str | None]) -> None:
        if self._inflight is task:
            self._inflight = None

    async def _session(self) -> aiohttp.ClientSession:
        if self._http is not None:
            return self._http
        if self._own_http is None:
            self._own_http = aiohttp.ClientSession(headers={"Accept": "application/json"})
        return self._own_http

    async def _get_json(self, url: str) -> tuple[int, object, str | None]:
        self.fetches += 1
        session = await self._session()
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        async with session.get(url, timeout=timeout) as resp:
            if resp.status != 200:
                return resp.status, None, None
            return 200, await resp.json(content_type=None), resp.headers.get("Cache-Control")

    async def _fetch(self) -> str | None:
        """Fetch and install the key set; an error sentence instead of raising."""
        error = await self._fetch_once()
        if error and self._keys:
            # Keep serving the stale keys for a while instead of making every call wait on a dead issuer.
            self._expires = self._clock() + self._cooldown
        return error

    async def _fetch_once(self) -> str | None:
        url = self.uri
        try:
            status, data, cache_control = await self._get_json(url)
            if status == 404 and self._discovery:
                found = await self._discover()
                if found is not None and found != url:
                    url = self.uri = found
                    status, data, cache_control = await self._get_json(url)
        except TimeoutError:
            return f"{url} did not answer within {self._timeout:g} s"
        except aiohttp.ClientError as exc:
            return f"cannot reach {url} ({type(exc).__name__}: {exc})"
        except ValueError:
            return f"{url} did not answer JSON"
        if status != 200:
            return f"{url} answered HTTP {status}"
        keys = _parse_keys(data)
        if isinstance(keys, str):
            return f"{url}: {keys}"
        self._install(keys)
        self._expires = self._clock() + ttl_from_cache_control(cache_control)
        return None

    async def _discover(self) -> str | None:
        for doc_url in self._discovery:
            status, data, _ = await self._get_json(doc_url)
            if status != 200 or not isinstance(data, dict):
                continue
            jwks_uri = data.get("jwks_uri")
            if isinstance(jwks_uri, str) and url_problem(jwks_uri) is None:
                return jwks_uri
        return None


def _parse_keys(data: object) -> dict[str, tuple[PyJWK, dict[str, object]]] | str:
    """Usable signing keys by kid, each with the JWK it was read from; or what is wrong with the set."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        return 'not a JSON Web Key Set (expected {"keys": [...]})'
    out: dict[str, tuple[PyJWK, dict[str, object]]] = {}
    for jwk in data["keys"]:
        # Symmetric (oct) keys never belong in a public key set; dropping them keeps HS* forgeries impossible.
        if not isinstance(jwk, dict) or jwk.get("kty") == "oct" or jwk.get("use", "sig") != "sig":
            continue
        kid = jwk.get("kid")
        if kid is not None and not isinstance(kid, str):
            continue
        try:
            key = PyJWK(jwk)
        except PyJWTError:
            continue  # a key of a type or curve that cannot verify anything here
        out[kid or ""] = (key, jwk)
    if not out:
        return f"no usable signing keys (RSA, EC or OKP keys for signatures) among the {len(data['keys'])} listed"
    return out
