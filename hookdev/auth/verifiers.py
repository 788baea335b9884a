"""Check the credential on each hook call (none, Basic, header secret, OAuth bearer JWT) into an AuthVerdict."""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeGuard

import aiohttp
import jwt

from hookdev.auth.jwks import KeySetCache, url_problem
from hookdev.config import AuthSettings
from hookdev.errors import ConfigError
from hookdev.loopback import is_remote_url
from hookdev.models import AuthReason, AuthVerdict, RequestSnapshot


class Verifier(Protocol):
    async def verify(self, request: RequestSnapshot) -> AuthVerdict: ...

    async def close(self) -> None: ...


def _eq(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class NoneVerifier:
    async def verify(self, request: RequestSnapshot) -> AuthVerdict:
        return AuthVerdict(scheme="none", ok=True)

    async def close(self) -> None:
        return None


class BasicVerifier:
    """`Authorization: Basic base64(user:password)`, user and password compared in constant time."""

    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password
        credentials = f"{username}:{password}".encode()
        self._expected = "Basic " + base64.b64encode(credentials).decode("ascii")
        """The header exactly as Okta sends it for these settings: most calls are checked by one comparison."""

    def _no(self, reason: AuthReason, detail: str) -> AuthVerdict:
        return AuthVerdict(scheme="basic", ok=False, reason=reason, detail=detail)

    async def verify(self, request: RequestSnapshot) -> AuthVerdict:
        value = request.header("authorization") or ""
        if value.isascii() and hmac.compare_digest(value, self._expected):
            return _BASIC_OK
        return self._check(value.strip())

    def _check(self, value: str) -> AuthVerdict:
        if not value:
            return self._no(
                "missing",
                "no Authorization header; in Okta set the hook's authentication field to Authorization "
                "and its secret to 'Basic ' + base64(username:password)",
            )
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() != "basic":
            if _decodes_as_basic(value):
                return self._no(
                    "malformed",
                    "the Authorization value is base64(username:password) without the 'Basic ' prefix; "
                    "in Okta's authentication secret write 'Basic ' before it",
                )
            return self._no("malformed", f"Authorization uses {_scheme_name(scheme)} scheme; expected Basic")
        decoded = _decodes_as_basic(encoded.strip())
        if decoded is None:
            return self._no("malformed", "the Basic credential is not base64 of 'username:password'; re-encode it")
        user, password = decoded
        user_ok = _eq(user, self._username)
        password_ok = _eq(password, self._password)  # always compared, so timing does not reveal the user
        if user_ok and password_ok:
            return AuthVerdict(scheme="basic", ok=True)
        which = "password" if user_ok else "username" if password_ok else "username and password"
        return self._no(
            "bad_credentials",
            f"the {which} in the Basic credential {'do' if ' and ' in which else 'does'} "
            "not match auth.username / auth.password "
            "(or USER / PASSWORD in .env); make Okta's secret and hookdev's settings agree",
        )

    async def close(self) -> None:
        return None


_BASIC_OK = AuthVerdict(scheme="basic", ok=True)


def _decodes_as_basic(text: str) -> tuple[str, str] | None:
    try:
        raw = base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


def _scheme_name(scheme: str) -> str:
    """'the Bearer' for a recognisable scheme word; never echoes arbitrary header text."""
    return f"the {scheme[:20]}" if scheme.isalnum() else "an unrecognised"


class HeaderVerifier:
    """A static secret in a named header, compared whole in constant time."""

    def __init__(self, header: str, secret: str) -> None:
        self._header = header
        self._secret = secret
        # Every verdict names the header, so the exchange keeps it masked whatever the configuration is later.
        self._ok = AuthVerdict(scheme="header", ok=True, header=header.lower())

    async def verify(self, request: RequestSnapshot) -> AuthVerdict:
        value = request.header(self._header)
        if value is None or not value.strip():
            return AuthVerdict(
                scheme="header",
                ok=False,
                reason="missing",
                detail=f"no {self._header} header; set the hook's authentication field in Okta to "
                f"{self._header} (or change auth.header to the name Okta sends)",
                header=self._ok.header,
            )
        if _eq(value.strip(), self._secret):
            return self._ok
        return AuthVerdict(
            scheme="header",
            ok=False,
            reason="bad_credentials",
            detail=f"the {self._header} value does not match auth.secret; paste the same secret into "
            "Okta's authentication secret and hookdev's settings",
            header=self._ok.header,
        )

    async def close(self) -> None:
        return None


VERIFIED_TOKENS = 256
"""Tokens whose signature was checked, kept so the next call with one skips the RSA check (Okta sends the same
access token with every call until it expires). A handful are in use at a time; the bound caps the memory."""


@dataclass(frozen=True, slots=True)
class _Signed:
    """A token whose signature `key` verified: its parsed header and claims."""

    header: dict[str, Any]
    claims: dict[str, Any]
    key: jwt.PyJWK


class OAuthVerifier:
    """`Authorization: Bearer <JWT>` as Okta sends it for OAuth 2.0 inline hooks.

    A token whose signature was verified is remembered (up to VERIFIED_TOKENS, by the whole token text) while
    the key that verified it is still in the issuer's key set; a call that brings it again skips parsing and
    the signature check, and every other check (alg, iss, the key still published, exp, nbf, aud, cid, scope)
    runs on each call, so a remembered token is refused the moment it expires.
    """

    def __init__(
        self, auth: AuthSettings, issuer: str, keys: KeySetCache, now: Callable[[], float] = time.time
    ) -> None:
        self._auth = auth
        self.issuer = issuer
        self.keys = keys
        self._now = now
        self._signed: OrderedDict[str, _Signed] = OrderedDict()
        self._generation = keys.generation

    async def verify(self, request: RequestSnapshot) -> AuthVerdict:
        value = (request.header("authorization") or "").strip()
        if not value:
            return _no(
                "missing",
                "no Authorization header; an OAuth 2.0 hook sends 'Authorization: Bearer <access token>' "
                "(check the hook's channel type and token URL in Okta)",
            )
        scheme, _, token = value.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _no(
                "malformed",
                f"Authorization uses {_scheme_name(scheme)} scheme; auth.mode is oauth, which expects "
                "'Bearer <JWT>' (or change auth.mode to match what Okta sends)",
            )
        signed = self._remembered(token)
        if signed is not None:
            return await self._check(token, signed.header, signed.claims, signed)
        try:
            # One unverified parse for header and claims: PyJWT's base64url check is per character, and
            # parsing twice here (plus once to verify) made verification 2.3x the cost of one jwt.decode.
            unverified = jwt.decode_complete(token, options={"verify_signature": False})
            header, claims = unverified["header"], unverified["payload"]
        except jwt.PyJWTError:
            return _no("malformed", "the bearer token is not a decodable JWT (three base64url parts of JSON)")
        return await self._check(token, header, claims, None)

    async def _check(
        self, token: str, header: dict[str, Any], claims: dict[str, Any], signed: _Signed | None
    ) -> AuthVerdict:
        def no(reason: AuthReason, detail: str) -> AuthVerdict:
            return _no(reason, detail, header, claims)

        alg = header.get("alg")
        allowed = self._auth.algorithms
        if alg not in allowed:
            forged = str(alg).lower() == "none" or str(alg).upper().startswith("HS")
            hint = " (a token signed with a shared secret or none is a known forgery)" if forged else ""
            return no(
                "alg_not_allowed", f"alg {alg} is not allowed{hint}; auth.algorithms allows {', '.join(allowed)}"
            )
        iss = claims.get("iss")
        if not isinstance(iss, str) or iss.rstrip("/") != self.issuer:
            got = f"iss is {iss}" if iss else "the token has no iss"
            return no(
                "wrong_issuer",
                f"{got}, expected {self.issuer}; keys come only from auth.issuer, "
                "so set it to the server that minted the token",
            )
        found = await self.keys.get(header.get("kid"))
        if found.key is None:
            self._signed.pop(token, None)
            return no(found.reason or "unknown_kid", found.detail)
        if signed is None or signed.key is not found.key:
            problem = _signature_problem(token, found.key, alg, self.keys.published_alg(found.key))
            if problem:
                self._signed.pop(token, None)
                return no("bad_signature", problem)
            self._remember(token, _Signed(header, claims, found.key))
        refused = self._claims(claims, no)
        if refused is not None:
            if refused.reason == "expired":
                self._signed.pop(token, None)
            return refused
        return AuthVerdict(scheme="oauth", ok=True, token_header=header, claims=claims)

    def _remembered(self, token: str) -> _Signed | None:
        if self.keys.generation != self._generation:
            # The key set changed: forget tokens whose key left it (or was replaced under the same kid).
            self._generation = self.keys.generation
            for gone in [t for t, s in self._signed.items() if not self.keys.holds(s.key)]:
                del self._signed[gone]
        signed = self._signed.get(token)
        if signed is not None:
            self._signed.move_to_end(token)
        return signed

    def _remember(self, token: str, signed: _Signed) -> None:
        exp = signed.claims.get("exp")
        if not _number(exp) or self._now() > exp + self._auth.leeway:
            return  # refused on every call anyway: not worth a place
        self._signed[token] = signed
        self._signed.move_to_end(token)
        while len(self._signed) > VERIFIED_TOKENS:
            self._signed.popitem(last=False)

    def _claims(self, claims: dict[str, Any], no: Callable[[AuthReason, str], AuthVerdict]) -> AuthVerdict | None:
        now = self._now()
        leeway = self._auth.leeway
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not _number(exp):
            return no("malformed", "the token's exp claim is missing or not a number of seconds; hookdev requires "
                                   "exp, iss and aud")
        if now > exp + leeway:
            return no(
                "expired",
                f"token expired {_ago(now - exp)} ago (exp {_iso(exp)}); a captured token cannot be replayed "
                "— mint a fresh one (or check this machine's clock)",
            )
        if nbf is not None and (not _number(nbf) or now + leeway < nbf):
            when = f"in {_ago(nbf - now)} (nbf {_iso(nbf)})" if _number(nbf) else f"(nbf {nbf!r} is not a number)"
            return no(
                "not_yet_valid",
                f"token is not valid yet: it starts {when}; check the clocks of this machine and the issuer",
            )
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud] if isinstance(aud, str) else []
        if self._auth.audience not in auds:
            listed = aud if isinstance(aud, str) else ", ".join(map(str, auds))
            got = f"aud is {listed}" if auds else "the token has no aud"
            return no(
                "wrong_audience",
                f"{got}, expected {self._auth.audience}; set auth.audience to the authorization server's audience",
            )
        if self._auth.client_id and claims.get("cid") != self._auth.client_id:
            cid = claims.get("cid")
            got = f"cid is {cid}" if cid else "the token has no cid"
            return no(
                "wrong_client",
                f"{got}, expected {self._auth.client_id} (auth.client_id); "
                "the hook's OAuth client id in Okta must match",
            )
        if self._auth.scope and self._auth.scope not in _scopes(claims.get("scp")):
            got = ", ".join(_scopes(claims.get("scp"))) or "no scopes"
            return no(
                "missing_scope",
                f"scp has {got}, missing {self._auth.scope}; add the scope to the hook's OAuth config in Okta "
                "(auth.scope)",
            )
        return None

    async def close(self) -> None:
        await self.keys.close()


def _no(
    reason: AuthReason, detail: str, header: dict[str, Any] | None = None, claims: dict[str, Any] | None = None
) -> AuthVerdict:
    return AuthVerdict(scheme="oauth", ok=False, reason=reason, detail=detail, token_header=header, claims=claims)


def _signature_problem(token: str, key: jwt.PyJWK, alg: str, published_alg: str | None) -> str | None:
    kid = key.key_id or "(no kid)"
    if published_alg is not None and published_alg != alg:
        return (
            f"the token says alg {alg} but key {kid} is for {published_alg}; the token was altered or mis-signed"
        )
    try:
        jwt.decode(
            token,
            key.key,
            algorithms=[alg],
            options={
                "verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False, "verify_iss": False
            },
        )
    except jwt.InvalidSignatureError:
        return f"the signature does not match key {kid}: the token was altered after signing, or signed by another key"
    except jwt.PyJWTError as exc:
        return (
            f"the token cannot be checked with key {kid} ({exc}); it was altered or signed with the wrong kind of key"
        )
    return None


def _number(value: object) -> TypeGuard[float]:
    """A time claim hookdev can compare and show: a finite number (not a bool, NaN, inf, or an int past floats)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _scopes(scp: Any) -> list[str]:
    if isinstance(scp, str):
        return scp.split()
    if isinstance(scp, list):
        return [s for s in scp if isinstance(s, str)]
    return []


def _iso(epoch: float) -> str:
    try:
        return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):  # finite, but past any calendar (1e20)
        return f"{epoch:g}, beyond any calendar"


def _ago(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


def default_keys_uri(issuer: str) -> str:
    """Okta's layout: {issuer}/v1/keys for custom servers, {org}/oauth2/v1/keys for the org server."""
    return f"{issuer}/v1/keys" if "/oauth2" in issuer else f"{issuer}/oauth2/v1/keys"


def build_verifier(
    settings: AuthSettings,
    *,
    local_issuer: str | None = None,
    http: aiohttp.ClientSession | None = None,
    key_cache: KeySetCache | None = None,
) -> Verifier:
    """The verifier for settings.mode; raises ConfigError for settings that cannot work.

    In oauth mode without auth.issuer, `local_issuer` (the authorization server mounted in serve) is the
    issuer. Keys come from auth.jwks_uri when set; otherwise from {issuer}/v1/keys, and when that answers
    404, from the jwks_uri of the issuer's discovery document. `key_cache` replaces the default cache.
    """
    mode = settings.mode
    if mode == "none":
        return NoneVerifier()
    if mode == "basic":
        return BasicVerifier(settings.username, settings.password)
    if mode == "header":
        return HeaderVerifier(settings.header, settings.secret)
    if mode != "oauth":
        raise ConfigError("auth.mode", f"must be none, basic, header or oauth, got {mode!r}")
    issuer = (settings.issuer or local_issuer or "").rstrip("/")
    if not issuer:
        raise ConfigError(
            "auth.issuer",
            "oauth mode needs an issuer: set auth.issuer, or keep authserver.mount = true "
            "so serve's own authorization server issues the tokens",
        )
    problem = url_problem(issuer)
    if problem:
        raise ConfigError("auth.issuer", problem)
    if settings.jwks_uri and (problem := url_problem(settings.jwks_uri)):
        raise ConfigError("auth.jwks_uri", problem)
    if is_remote_url(issuer) and not (settings.client_id or settings.scope):
        # An org's authorization server mints tokens for every app in the org: audience and issuer alone
        # would admit a token any of them got.
        raise ConfigError(
            "auth.client_id",
            f"with the issuer {issuer}, set auth.client_id (the client id of the app whose tokens Okta's hook "
            "calls carry) or auth.scope (a scope only those tokens have): otherwise a token minted for any app "
            "of the org is accepted",
        )
    if key_cache is None:
        discovery = () if settings.jwks_uri else (
            f"{issuer}/.well-known/oauth-authorization-server",
            f"{issuer}/.well-known/openid-configuration",
        )
        key_cache = KeySetCache(settings.jwks_uri or default_keys_uri(issuer), discovery_uris=discovery, http=http)
    return OAuthVerifier(settings, issuer, key_cache)
