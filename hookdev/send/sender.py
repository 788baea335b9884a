"""Act as Okta toward any URL: Okta's headers and auth (fetching OAuth tokens), 3 s timeout, retry rule, verdict."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from hookdev.auth.oauth_client import Token, TokenCache, fetch_token
from hookdev.config import AuthSettings, Settings
from hookdev.errors import ConfigError, SendError, UsageError
from hookdev.io.redact import mask_headers
from hookdev.models import Headers, Kind, Problem, ResponseSnapshot, Timing, Validation, header_value
from hookdev.okta.commands import ERROR_EFFECT, fails_for
from hookdev.okta.kinds import CHALLENGE_HEADER, classify_body
from hookdev.okta.outcome import outcome
from hookdev.okta.timing import BUDGET_MS, timeout_consequence
from hookdev.okta.validate import validate
from hookdev.runtime import read_runtime
from hookdev.send.headers import DROPPED_HEADERS, REPLAY_HEADER

__all__ = ["Payload", "SendResult", "TokenCache", "send", "OKTA_TIMEOUT_S", "REPLAY_HEADER", "DROPPED_HEADERS"]

OKTA_TIMEOUT_S = 3.0
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 300
# Okta's docs name only Accept, Content-Type and the auth header (concepts/event-hooks and concepts/inline-hooks,
# "HTTP headers"). These User-Agent values and X-Okta-Request-Id come from captured Okta calls instead (an inline
# hook in 2019; event hook deliveries in 2019 and in a screenshot of Okta's Hookdeck guide), so they are
# informational: a hook should never depend on them.
INLINE_AGENT = "Okta-Integrations"
EVENT_AGENT = "Okta Hook Service v1.0.0 - hookdev"
RETRIED_INLINE: tuple[Kind, ...] = ("registration", "saml", "password_import", "user_import")


@dataclass(frozen=True, slots=True)
class Payload:
    """A call to make as Okta: method, body, extra headers, and its hook kind."""

    method: str
    body: bytes
    headers: Headers
    kind: Kind
    source: str
    """Where it came from: a file path, a sample name, or `exchange <id>`."""
    replay_of: str | None = None

    def parsed(self) -> Any:
        try:
            return json.loads(self.body) if self.body.strip() else None
        except (ValueError, RecursionError):
            return None


@dataclass(frozen=True, slots=True)
class SendResult:
    """What happened when the call was made, and what Okta would do with the answer."""

    url: str
    kind: Kind
    status: int | None
    response: ResponseSnapshot | None
    attempts: int
    duration_ms: float
    validation: Validation | None
    verdict: str
    accepted: bool
    token_note: str | None = None
    error: str | None = None
    method: str = "POST"
    auth: str = "none"
    """How the call authenticated: none, basic, header <name>, or oauth <method>."""
    request_headers: Headers = ()
    exchange_id: str | None = None
    """The id the hookdev receiver gave the call (its X-Hookdev-Exchange answer header), when it is one."""
    replay_of: str | None = None

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        resp, sent = self.response, self.request_headers
        return {
            "url": self.url,
            "method": self.method,
            "kind": self.kind,
            "auth": self.auth,
            "status": self.status,
            "attempts": self.attempts,
            "duration_ms": round(self.duration_ms, 3),
            "accepted": self.accepted,
            "verdict": self.verdict,
            "validation": self.validation.to_json() if self.validation else None,
            "token_note": self.token_note,
            "error": self.error,
            "exchange_id": self.exchange_id,
            "replay_of": self.replay_of,
            "request_headers": [list(h) for h in (sent if reveal else mask_headers(sent))],
            "response": None if resp is None else {
                "status": resp.status,
                "headers": [list(h) for h in resp.headers],
                "body": resp.body.decode("utf-8", errors="replace"),
            },
        }


@dataclass(frozen=True, slots=True)
class _Auth:
    headers: Headers
    label: str
    note: str | None = None


def check_url(url: str, option: str = "--to") -> str:
    """`url` when it is an http(s) URL with a host; UsageError (exit 2) saying what a good one looks like."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        hint = f"; did you mean http://{url}?" if "://" not in url and url else ""
        raise UsageError(f"{option} must be an http:// or https:// URL with a host, e.g. "
                         f"http://127.0.0.1:8080/tokenHook; got {url!r}{hint}")
    try:
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        raise UsageError(f"{option} {url!r} has a port that is not a number") from None
    return url


def kind_of(method: str, headers: Headers, body: bytes) -> Kind:
    """The hook kind of a call about to be sent: the verification GET, else the body's eventType."""
    if method.upper() == "GET" and header_value(headers, CHALLENGE_HEADER) is not None:
        return "event_verification"
    try:
        return classify_body(json.loads(body)) if body.strip() else "unknown"
    except (ValueError, RecursionError):
        return "unknown"


def should_retry(kind: Kind, status: int | None) -> bool:
    """Okta's retry rule (docs/okta-hooks.md); status None means a timeout or connection error."""
    if kind == "event_verification":
        return status is None or not 200 <= status < 300
    if kind == "event" or kind in RETRIED_INLINE:
        return status is None or status >= 500
    return False  # token and telephony hooks are never retried; unknown calls are not Okta's


def request_id(body: Any) -> str | None:
    """X-Okta-Request-Id as captured Okta calls carry it (not in Okta's docs): data.context.request.id of inline
    hooks, the first event's debugContext.debugData.requestId for event deliveries."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    if not isinstance(data, dict):
        return None
    context = data.get("context")
    request = context.get("request") if isinstance(context, dict) else None
    if isinstance(request, dict) and isinstance(request.get("id"), str):
        return request["id"]
    events = data.get("events")
    if isinstance(events, list) and events and isinstance(events[0], dict):
        debug = (events[0].get("debugContext") or {}).get("debugData")
        if isinstance(debug, dict) and isinstance(debug.get("requestId"), str):
            return debug["requestId"]
    return None


def okta_headers(payload: Payload, secret_header: str | None) -> dict[str, tuple[str, str]]:
    """The headers Okta sends, then the payload's own (minus connection headers and credentials)."""
    agent = EVENT_AGENT if payload.kind in ("event", "event_verification") else INLINE_AGENT
    out: dict[str, tuple[str, str]] = {
        "accept": ("Accept", "application/json"),
        "content-type": ("Content-Type", "application/json"),
        "user-agent": ("User-Agent", agent),
    }
    rid = request_id(payload.parsed())
    if rid:
        out["x-okta-request-id"] = ("X-Okta-Request-Id", rid)
    dropped = DROPPED_HEADERS | ({secret_header.lower()} if secret_header else set())
    for name, value in payload.headers:
        if name.lower() not in dropped:
            out[name.lower()] = (name, value)
    return out


@dataclass(frozen=True, slots=True)
class TokenClient:
    """Where and as whom `send` gets an OAuth 2.0 token, as Okta does for an inline hook's OAuth settings."""

    token_url: str
    origin: str
    """Why this token URL, for the report: the setting it came from."""
    client_id: str
    client_secret: str
    private_key: str


def token_endpoint(issuer: str) -> str:
    """Okta's layout: {issuer}/v1/token for a custom authorization server, {org}/oauth2/v1/token for the org's."""
    issuer = issuer.rstrip("/")
    return f"{issuer}/v1/token" if "/oauth2" in issuer else f"{issuer}/oauth2/v1/token"


def token_client(settings: Settings, serve_url: str | None = None) -> TokenClient:
    """The token URL and client hookdev authenticates with in oauth mode.

    The token URL is [auth] token_url, else the token endpoint of [auth] issuer, else (no issuer: the hooks are
    verified against hookdev's own authorization server) that of the serve running on the store (`serve_url`).
    Never one guessed from the target URL: only hookdev itself serves tokens there.
    """
    auth, server = settings.auth, settings.authserver
    if auth.token_url:
        token_url, origin = auth.token_url, "[auth] token_url"
    elif auth.issuer:
        token_url, origin = token_endpoint(auth.issuer), f"the token endpoint of [auth] issuer {auth.issuer}"
    elif serve_url and server.mount:
        token_url = f"{serve_url.rstrip('/')}{server.path.rstrip('/')}/v1/token"
        origin = "the local authorization server of the hookdev serve running on this store"
    else:
        raise ConfigError(
            "auth.token_url",
            "oauth mode needs a token URL to get a token from, as Okta does: set [auth] token_url (the token URL "
            "of the inline hook's OAuth 2.0 settings in Okta) or [auth] issuer, or start `hookdev serve` on this "
            "store so its local authorization server issues the token",
        )
    client_id = auth.send_client_id or auth.client_id or (server.clients[0].client_id if server.clients else "")
    if not client_id:
        raise ConfigError(
            "auth.send_client_id", "oauth mode needs a client to fetch tokens as; set [auth] send_client_id"
        )
    registered = next((c for c in server.clients if c.client_id == client_id), None)
    secret = auth.client_secret or (registered.client_secret if registered else "")
    if not secret and not auth.private_key:
        raise ConfigError(
            "auth.client_secret",
            f"no client_secret or private_key for client {client_id!r}; set [auth] client_secret or private_key",
        )
    return TokenClient(token_url, origin, client_id, secret, auth.private_key)


def client_assertion(client_id: str, token_url: str, private_key_pem: bytes) -> str:
    """A private_key_jwt assertion: iss = sub = client_id, aud = the token URL, short-lived, unique jti."""
    import jwt  # here, not at the top: PyJWT and cryptography cost `hookdev send` 60 ms at start

    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": token_url, "iat": now, "exp": now + ASSERTION_LIFETIME_S,
              "jti": secrets.token_urlsafe(24)}
    try:
        return jwt.encode(claims, private_key_pem, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ConfigError("auth.private_key", f"is not a usable RSA private key in PEM ({exc})") from None


async def _oauth(settings: Settings, http: aiohttp.ClientSession, tokens: TokenCache) -> _Auth:
    serving = await asyncio.to_thread(read_runtime, settings.path(settings.server.store))
    serve_url = serving.get("url") if serving is not None else None
    client = token_client(settings, serve_url if isinstance(serve_url, str) else None)
    token_url, client_id, key_path = client.token_url, client.client_id, client.private_key
    method = "private_key_jwt" if key_path else "client_secret_post"
    scope = settings.auth.scope

    async def fetch() -> Token:
        form = {"grant_type": "client_credentials", "client_id": client_id}
        if scope:
            form["scope"] = scope
        if key_path:
            path = settings.path(key_path)
            try:
                pem = await asyncio.to_thread(Path(path).read_bytes)
            except OSError as exc:
                raise ConfigError("auth.private_key", f"cannot read {path} ({exc.strerror})") from None
            form["client_assertion_type"] = ASSERTION_TYPE
            form["client_assertion"] = client_assertion(client_id, token_url, pem)
        else:
            form["client_secret"] = client.client_secret
        return await fetch_token(http, token_url, form, client_id)

    token = await tokens.get((token_url, client_id, scope), fetch)
    verb = "minted a fresh token from" if token.fresh else "reused the cached token from"
    note = f"{verb} {token_url} ({client.origin}) as {client_id} ({method}), {token.lifetime_note()}"
    return _Auth((("Authorization", f"Bearer {token.value}"),), f"oauth {method}", note)


def event_hook_credential(auth: AuthSettings) -> _Auth:
    """What Okta sends to an event hook in a setup whose inline hooks use OAuth 2.0: event hooks take only a
    header (OpenAPI schema EventHookChannelConfigAuthSchemeType: "Currently only supports HEADER")."""
    why = "Okta secures event hooks with a header, never an OAuth 2.0 token"
    if auth.secret:
        return _Auth(((auth.header, auth.secret),), f"header {auth.header}",
                     f"{why}: sent the [auth] header {auth.header}")
    if auth.username and auth.password:
        raw = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
        return _Auth((("Authorization", f"Basic {raw}"),), "basic",
                     f"{why}: sent [auth] username and password as Basic (set [auth] header and secret to send "
                     "another header)")
    return _Auth((), "none", f"{why}, and [auth] sets no header secret or Basic credential, so none was sent")


async def credentials(
    settings: Settings, kind: Kind, http: aiohttp.ClientSession, tokens: TokenCache
) -> _Auth:
    """The auth header of the configured mode, as Okta would send it for a call of `kind`."""
    auth = settings.auth
    if auth.mode == "basic":
        raw = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
        return _Auth((("Authorization", f"Basic {raw}"),), "basic")
    if auth.mode == "header":
        return _Auth(((auth.header, auth.secret),), f"header {auth.header}")
    if auth.mode == "oauth" and kind in ("event", "event_verification"):
        return event_hook_credential(auth)
    if auth.mode == "oauth":
        return await _oauth(settings, http, tokens)
    return _Auth((), "none")


async def _attempt(
    http: aiohttp.ClientSession, payload: Payload, url: str, headers: Headers, timeout: float
) -> tuple[ResponseSnapshot | None, float, str | None, bool]:
    """One try: (answer or None, ms taken, error, timed out). A timeout is a failure, as it is for Okta."""
    started = time.monotonic()
    try:
        async with http.request(
            payload.method,
            url,
            data=payload.body if payload.method.upper() != "GET" else None,
            headers=list(headers),
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,  # Okta does not follow redirects
        ) as resp:
            body = await resp.read()
            answer = ResponseSnapshot(status=resp.status, headers=tuple(resp.headers.items()), body=body)
    except TimeoutError:
        return None, (time.monotonic() - started) * 1000, f"no answer within {timeout:g} s", True
    except aiohttp.ClientError as exc:
        return None, (time.monotonic() - started) * 1000, f"cannot reach {url}: {exc}", False
    return answer, (time.monotonic() - started) * 1000, None, False


async def send(
    payload: Payload,
    to: str,
    settings: Settings,
    *,
    http: aiohttp.ClientSession | None = None,
    tokens: TokenCache | None = None,
    replay_of: str | None = None,
    timeout: float = OKTA_TIMEOUT_S,
    retry: bool = True,
) -> SendResult:
    """Make the call as Okta would, retrying as Okta does for its kind, and judge the answer as Okta would."""
    check_url(to)
    own = http is None
    session = aiohttp.ClientSession() if http is None else http
    try:
        return await _send(payload, to, settings, session, tokens or TokenCache(), replay_of or payload.replay_of,
                           timeout, retry)
    finally:
        if own:
            await session.close()


async def _send(
    payload: Payload, to: str, settings: Settings, http: aiohttp.ClientSession, tokens: TokenCache,
    replay_of: str | None, timeout: float, retry: bool,
) -> SendResult:
    kind = payload.kind
    secret_header = settings.auth.header if settings.auth.mode == "header" else None
    headers = okta_headers(payload, secret_header)
    method = payload.method.upper()
    try:
        auth = await credentials(settings, kind, http, tokens)
    except SendError as exc:
        verdict = f"Okta could not get a token, so the hook call was never made: {exc}."
        return SendResult(url=to, kind=kind, method=method, replay_of=replay_of, status=None, response=None,
                          attempts=0, duration_ms=0.0, validation=None, verdict=verdict, accepted=False,
                          error=str(exc), auth="oauth")
    for name, value in auth.headers:
        headers[name.lower()] = (name, value)
    if replay_of:
        headers[REPLAY_HEADER.lower()] = (REPLAY_HEADER, replay_of)
    sent: Headers = tuple(headers.values())
    most = 2 if retry and should_retry(kind, None) else 1
    attempts = 0
    while True:
        attempts += 1
        answer, ms, error, timed_out = await _attempt(http, payload, to, sent, timeout)
        if attempts >= most or not should_retry(kind, answer.status if answer else None):
            break
    validation = _judge(kind, payload, answer, ms, timed_out, timeout)
    accepted = validation.ok if kind != "unknown" else bool(answer and 200 <= answer.status < 300)
    return SendResult(
        url=to,
        kind=kind,
        method=method,
        replay_of=replay_of,
        status=answer.status if answer else None,
        response=answer,
        attempts=attempts,
        duration_ms=ms,
        validation=validation,
        verdict=verdict_for(kind, payload, answer, validation, error, attempts, accepted),
        accepted=accepted,
        token_note=auth.note,
        error=error,
        auth=auth.label,
        request_headers=sent,
        exchange_id=answer.header("X-Hookdev-Exchange") if answer else None,
    )


def _judge(kind: Kind, payload: Payload, answer: ResponseSnapshot | None, ms: float, timed_out: bool,
           timeout: float) -> Validation:
    if answer is None:
        consequence = timeout_consequence(kind) if timed_out else fails_for(kind, payload.parsed())
        what = f"no answer within {timeout:g} s" if timed_out else "no answer: the connection failed"
        grade = Timing(max(ms, BUDGET_MS) if timeout >= OKTA_TIMEOUT_S else ms, BUDGET_MS, "timeout", consequence)
        return Validation(ok=False, problems=(Problem("timing" if timed_out else "connection", what, consequence),),
                          timing=grade if timed_out else None)
    reason = refused_by_hookdev(answer)
    if reason is not None:
        consequence = fails_for(kind, payload.parsed()) if kind != "unknown" else "the call fails"
        problem = Problem("auth", f"the hookdev receiver refused the credential ({reason})", consequence)
        return Validation(ok=False, problems=(problem,))
    context: Any = header_value(payload.headers, CHALLENGE_HEADER) if kind == "event_verification" else payload.parsed()
    return validate(kind, answer, context, ms)


def refused_by_hookdev(answer: ResponseSnapshot) -> str | None:
    """The reason code when the answer is a hookdev receiver's auth refusal (a 401 it sent, not the hook)."""
    if answer.status != 401 or answer.header("X-Hookdev-Exchange") is None:
        return None
    try:
        body = json.loads(answer.body)
    except (ValueError, RecursionError):
        return None
    if isinstance(body, dict) and body.get("error") == "unauthorized" and isinstance(body.get("reason"), str):
        return str(body["reason"])
    return None


def verdict_for(kind: Kind, payload: Payload, answer: ResponseSnapshot | None, validation: Validation,
                error: str | None, attempts: int, accepted: bool) -> str:
    """One sentence: what Okta would do with this answer."""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if answer is None:
        return f"Okta would get no answer ({error}){tries}: {validation.problems[0].consequence}."
    if accepted:
        n = len(validation.warnings)
        warned = f" ({n} warning{'s' if n > 1 else ''})" if n else ""
        if kind in ERROR_EFFECT and _carries_error(answer):
            return f"Okta would take this {answer.status} answer's error object: {ERROR_EFFECT[kind]}{warned}."
        if answer.status == 204 and kind in NO_CHANGE:
            return f"Okta would accept this 204 answer: {NO_CHANGE[kind]}{warned}."
        effect = outcome(kind, answer.status, answer.body).detail if validation.outcome else ""
        said = f" ({effect})" if effect else ""
        return (f"Okta would accept this {answer.status} answer: {ACCEPTED.get(kind, 'the call succeeded')}{said}"
                f"{warned}.")
    if kind == "unknown":
        return (
            f"HTTP {answer.status}: this is not an Okta hook call (no known eventType), so only the status is judged."
        )
    first = validation.problems[0] if validation.problems else None
    if first is None and validation.timing is not None:
        return f"Okta would not wait for this answer{tries}: {validation.timing.consequence}"
    assert first is not None
    tail = f"; {first.consequence}" if first.consequence else ""
    extra = len(validation.problems) - 1
    more = f" (and {extra} more {'problem' if extra == 1 else 'problems'})" if extra else ""
    return f"Okta would not accept this answer{tries}: {first.path}: {first.message}{tail}{more}."


def _carries_error(answer: ResponseSnapshot) -> bool:
    try:
        body = json.loads(answer.body) if answer.body else None
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


NO_CHANGE: dict[str, str] = {
    "event": "the delivery counts as done",
    "registration": "no change, the registration is allowed as submitted",
    "token": "no change, the tokens are issued as they are",
    "saml": "no change, the assertion is sent as it is",
    "password_import": "the default action, the password is not verified (UNVERIFIED)",
    "user_import": "no change, the user is imported as mapped",
}

ACCEPTED: dict[str, str] = {
    "event_verification": "the challenge is echoed, so the event hook is verified",
    "event": "the delivery counts as done",
    "registration": "its commands apply to the registration",
    "token": "its commands apply to the tokens",
    "saml": "its commands apply to the assertion",
    "telephony": "it reports how the OTP was sent",
    "password_import": "its commands decide the password check",
    "user_import": "its commands apply to the imported user",
}
